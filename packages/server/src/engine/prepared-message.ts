import type { RawData } from "@switchboard/protocol";

/** Engine.IO packet type digits, as they appear on the wire (spec "Protocol" table). */
export type PacketTypeChar = "0" | "1" | "2" | "3" | "4" | "5" | "6";

function toBuffer(data: Uint8Array | ArrayBuffer): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Binary payloads above this size keep their frame header in a separate Buffer (written
 * next to the payload under cork) instead of being copied into one frame Buffer.
 */
const COPY_LIMIT = 8 * 1024;

/** RFC 6455 section 5.2 header length for an unmasked server frame carrying `len` bytes. */
export function headerLength(len: number): number {
  return len < 126 ? 2 : len < 65536 ? 4 : 10;
}

/** Writes an unmasked, final (FIN) frame header at the start of `out`. */
export function writeHeader(out: Buffer, opcode: 1 | 2, len: number): void {
  out[0] = 0x80 | opcode;
  if (len < 126) {
    out[1] = len;
  } else if (len < 65536) {
    out[1] = 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(len / 0x100000000), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
}

/** The two cached wire forms; read by the transports through {@link pollingForm}/{@link websocketForm}. */
export let pollingForm: (message: PreparedMessage) => string;
/** WebSocket frame content of a prepared packet: a Buffer, sent as text unless {@link isBinaryFrame}. */
export let websocketForm: (message: PreparedMessage) => Buffer;
/**
 * Complete WebSocket frame bytes (header + payload, unmasked, FIN, no extension), built once
 * per message; for a large binary payload only the header (see {@link frameTail}).
 */
export let frameHead: (message: PreparedMessage) => Buffer;
/** The payload to write after {@link frameHead}, or null when the head is the whole frame. */
export let frameTail: (message: PreparedMessage) => Buffer | null;
/** Whether the WebSocket frame is binary (a binary "message" packet, sent without type prefix). */
export let isBinaryFrame: (message: PreparedMessage) => boolean;
/** Approximate size in bytes, for the outgoing-buffer bound. */
export let frameSize: (message: PreparedMessage) => number;
/** UTF-8 byte length of {@link pollingForm}, without building it or measuring it again. */
export let pollingSize: (message: PreparedMessage) => number;
/** Builds a control packet (ping, noop, close, pong "probe", open) from its type and text. */
export let controlPacket: (type: PacketTypeChar, text?: string) => PreparedMessage;

/**
 * One engine "message" encoded once and sent to many sessions (broadcast).
 *
 * It caches its long-polling form (`"4text"` or `"b<base64>"`) and its WebSocket frame
 * bytes (header + `"4text"`, or header + the raw bytes for binary), so N recipients cost
 * one encoding. Each form is built lazily, on first use by a transport.
 *
 * @example
 * ```ts
 * const prepared = new PreparedMessage('2["news","hello"]');
 * for (const conn of engine.clients.values()) conn.send([prepared]);
 * ```
 */
export class PreparedMessage {
  /** The message payload as given. */
  readonly data: RawData;
  #type: PacketTypeChar = "4";
  #polling: string | undefined = undefined;
  #ws: Buffer | undefined = undefined;
  #head: Buffer | undefined = undefined;
  #size = -1;

  constructor(data: RawData) {
    this.data = data;
  }

  static {
    pollingForm = (m) => {
      if (m.#polling !== undefined) return m.#polling;
      const data = m.data;
      m.#polling =
        typeof data === "string" ? m.#type + data : `b${toBuffer(data).toString("base64")}`;
      return m.#polling;
    };
    websocketForm = (m) => {
      if (m.#ws !== undefined) return m.#ws;
      const data = m.data;
      m.#ws = typeof data === "string" ? Buffer.from(m.#type + data, "utf8") : toBuffer(data);
      return m.#ws;
    };
    isBinaryFrame = (m) => typeof m.data !== "string";
    frameSize = (m) => {
      if (m.#size >= 0) return m.#size;
      const data = m.data;
      m.#size = typeof data === "string" ? Buffer.byteLength(data) + 1 : data.byteLength;
      return m.#size;
    };
    // A text message's frame content is its polling form ("4" + text); a binary one is
    // sent over polling as "b" + base64, 4 ASCII characters per started 3 bytes.
    pollingSize = (m) => {
      const data = m.data;
      return typeof data === "string" ? frameSize(m) : 1 + 4 * Math.ceil(data.byteLength / 3);
    };
    frameHead = (m) => {
      if (m.#head !== undefined) return m.#head;
      const data = m.data;
      const len = frameSize(m);
      const h = headerLength(len);
      let out: Buffer;
      if (typeof data === "string") {
        // One allocation: header, type digit, then the UTF-8 text written in place.
        out = Buffer.allocUnsafe(h + len);
        writeHeader(out, 1, len);
        out[h] = m.#type.charCodeAt(0);
        if (len > 1) out.write(data, h + 1, "utf8");
      } else if (len > COPY_LIMIT) {
        out = Buffer.allocUnsafe(h);
        writeHeader(out, 2, len);
      } else {
        out = Buffer.allocUnsafe(h + len);
        writeHeader(out, 2, len);
        toBuffer(data).copy(out, h);
      }
      m.#head = out;
      return out;
    };
    frameTail = (m) => {
      const data = m.data;
      if (typeof data === "string" || data.byteLength <= COPY_LIMIT) return null;
      return websocketForm(m);
    };
    controlPacket = (type, text = "") => {
      const m = new PreparedMessage(text);
      m.#type = type;
      return m;
    };
  }
}

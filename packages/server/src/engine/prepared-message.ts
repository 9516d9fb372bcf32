import type { RawData } from "@switchboard/protocol";

/** Engine.IO packet type digits, as they appear on the wire (spec "Protocol" table). */
export type PacketTypeChar = "0" | "1" | "2" | "3" | "4" | "5" | "6";

function toBuffer(data: Uint8Array | ArrayBuffer): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** The two cached wire forms; read by the transports through {@link pollingForm}/{@link websocketForm}. */
export let pollingForm: (message: PreparedMessage) => string;
/** WebSocket frame content of a prepared packet: a Buffer, sent as text unless {@link isBinaryFrame}. */
export let websocketForm: (message: PreparedMessage) => Buffer;
/** Whether the WebSocket frame is binary (a binary "message" packet, sent without type prefix). */
export let isBinaryFrame: (message: PreparedMessage) => boolean;
/** Approximate size in bytes, for the outgoing-buffer bound. */
export let frameSize: (message: PreparedMessage) => number;
/** Builds a control packet (ping, noop, close, pong "probe", open) from its type and text. */
export let controlPacket: (type: PacketTypeChar, text?: string) => PreparedMessage;

/**
 * One engine "message" encoded once and sent to many sessions (broadcast).
 *
 * It caches its long-polling form (`"4text"` or `"b<base64>"`) and its WebSocket frame
 * content (a Buffer of `"4text"`, or the raw bytes for binary), so N recipients cost one
 * encoding. Both forms are built lazily, on first use by a transport.
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
  #type: PacketTypeChar;
  #polling: string | undefined;
  #ws: Buffer | undefined;
  #size = -1;

  constructor(data: RawData) {
    this.data = data;
    this.#type = "4";
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
    controlPacket = (type, text = "") => {
      const m = new PreparedMessage(text);
      m.#type = type;
      return m;
    };
  }
}

import type { Duplex } from "node:stream";
import { type RawData, RECORD_SEPARATOR } from "@switchboard/protocol";

/**
 * Everything the engine writes on the wire, framed: the cached forms of a
 * {@link PreparedMessage} (its long-polling text and its complete WebSocket frame, built
 * once per broadcast), Engine.IO v4 polling payloads joined from those cached forms, RFC
 * 6455 frame headers and control frames, and the {@link FrameBatch} that shares one
 * flush's bytes among the sessions flushing the same messages. Engine.IO v3 framing is in
 * eio3.ts, on top of this; the encoders of packets themselves are @switchboard/protocol's.
 *
 * Why the polling payload is not `encodePayload` of @switchboard/protocol: that encoder
 * takes packets and encodes each one (binary as base64 in pure TypeScript, for browsers);
 * here every message's polling form is cached on the message and shared by all its
 * recipients, the join only concatenates them, and the answer's Content-Length is summed
 * from cached sizes. The output is the same bytes (`RECORD_SEPARATOR` between packets,
 * `b` + standard base64 for binary); re-encoding per recipient is what a broadcast must
 * not do (docs/engine.md, "Sending, batching and backpressure").
 */

/** Engine.IO packet type digits, as they appear on the wire (spec "Protocol" table). */
export type PacketTypeChar = "0" | "1" | "2" | "3" | "4" | "5" | "6";

function toBuffer(data: Uint8Array | ArrayBuffer): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

// ---- RFC 6455 frames (server side: unmasked, FIN, no extension) ----

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

/** One text frame holding `text` (open packet, "3probe"). */
export function textFrame(text: string): Buffer {
  const len = Buffer.byteLength(text);
  const h = headerLength(len);
  const out = Buffer.allocUnsafe(h + len);
  writeHeader(out, 1, len);
  out.write(text, h, "utf8");
  return out;
}

/** True when `text` is ASCII and fits a frame with a one-byte length (< 126 bytes). */
export function shortAscii(text: string): boolean {
  if (text.length >= 126) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** `head` followed by a text frame of `text` ({@link shortAscii}), as one latin1 string. */
export function withShortTextFrame(head: string, text: string): string {
  return `${head}\x81${String.fromCharCode(text.length)}${text}`;
}

/** Control frame opcodes (RFC 6455 section 5.5). */
export const CLOSE_OPCODE = 0x8;
export const PING_OPCODE = 0x9;
export const PONG_OPCODE = 0xa;

/** A control frame (close, ping, pong) carrying `payload` (at most 125 bytes). */
export function controlFrame(opcode: 0x8 | 0x9 | 0xa, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + payload.length);
  out[0] = 0x80 | opcode;
  out[1] = payload.length;
  payload.copy(out, 2);
  return out;
}

/** A close frame, with the status `code` when given (section 5.5.1). */
export function closeFrame(code: number | undefined): Buffer {
  if (code === undefined) return controlFrame(CLOSE_OPCODE, Buffer.alloc(0));
  const payload = Buffer.allocUnsafe(2);
  payload.writeUInt16BE(code, 0);
  return controlFrame(CLOSE_OPCODE, payload);
}

// ---- prepared messages: the pre-framed broadcast forms ----

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
/** The Engine.IO packet type digit of a prepared packet ("4" for a message). */
export let packetType: (message: PreparedMessage) => PacketTypeChar;
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

  // The cached forms are read by the transports through module functions (not public
  // methods): the package entry exports the class, not its framing internals.
  static {
    pollingForm = (m) => {
      if (m.#polling !== undefined) return m.#polling;
      const data = m.data;
      // Node's native base64: the same text as the protocol package's encodeBase64.
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
    packetType = (m) => m.#type;
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

/** Control packets every session sends (spec "Protocol"): built once, shared. */
export const PING = controlPacket("2");
export const PONG = controlPacket("3");
export const NOOP = controlPacket("6");
export const CLOSE = controlPacket("1");

// ---- Engine.IO v4 long-polling payloads ----

/** One polling answer: the messages' cached polling forms joined by the record separator. */
export function pollingPayload(messages: readonly PreparedMessage[]): string {
  if (messages.length === 1) return pollingForm(messages[0]!);
  let out = pollingForm(messages[0]!);
  for (let i = 1; i < messages.length; i++) out += RECORD_SEPARATOR + pollingForm(messages[i]!);
  return out;
}

/**
 * UTF-8 length of {@link pollingPayload}'s result from each message's cached size (one
 * byte per separator): the HTTP answer needs it for Content-Length, and measuring the
 * joined string would walk (and flatten) every answer again (measured on the polling
 * broadcast: ~10% of the server's time per delivered message).
 */
export function pollingPayloadBytes(messages: readonly PreparedMessage[]): number {
  let n = messages.length - 1;
  for (let i = 0; i < messages.length; i++) n += pollingSize(messages[i]!);
  return n;
}

// ---- writing prepared frames to a socket ----

/** Under cork, hand what is gathered to the OS once it reaches this many bytes. */
export const CORK_FLUSH_BYTES = 64 * 1024;

/** Frames of one flush are copied into one Buffer (one write syscall) up to this size. */
const CONCAT_LIMIT = 64 * 1024;

/**
 * The bytes built for the last multi-frame flush, reused when the next session flushes the
 * same prepared messages in the same order (a broadcast): N recipients, one concatenation.
 * Owned by the flush round (session-flush.ts), which clears it when its flushes are done
 * so that nothing outlives the round; writes outside a round pass none.
 */
export class FrameBatch {
  #frames: readonly PreparedMessage[] | null = null;
  #bytes: Buffer | null = null;

  /** The bytes of `frames` if they are the last batch's messages, in the same order. */
  bytesFor(frames: readonly PreparedMessage[]): Buffer | null {
    const last = this.#frames;
    if (last === null || last.length !== frames.length) return null;
    for (let i = 0; i < frames.length; i++) if (last[i] !== frames[i]) return null;
    return this.#bytes;
  }

  remember(frames: readonly PreparedMessage[], bytes: Buffer): void {
    this.#frames = frames;
    this.#bytes = bytes;
  }

  clear(): void {
    this.#frames = null;
    this.#bytes = null;
  }
}

/** One Buffer holding every frame, or null when a frame is large or the total too big. */
function concatFrames(frames: readonly PreparedMessage[]): Buffer | null {
  let total = 0;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    if (frameTail(f) !== null) return null;
    total += frameHead(f).length;
    if (total > CONCAT_LIMIT) return null;
  }
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (let i = 0; i < frames.length; i++) {
    const head = frameHead(frames[i]!);
    head.copy(out, offset);
    offset += head.length;
  }
  return out;
}

/** Large frames: header and payload as separate chunks under cork, never copied. */
function writeCorked(socket: Duplex, frames: readonly PreparedMessage[]): void {
  socket.cork();
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    socket.write(frameHead(f));
    const tail = frameTail(f);
    if (tail !== null) socket.write(tail);
    if (socket.writableLength >= CORK_FLUSH_BYTES) {
      socket.uncork();
      socket.cork();
    }
  }
  socket.uncork();
}

/**
 * Writes one flush's frames as pre-built bytes (RFC 6455 section 5.2, unmasked, built once
 * per prepared message) straight to the socket. Several frames go out as one Buffer (one
 * syscall), shared through `batch` by every session flushing the same messages in a round.
 */
export function writePreparedFrames(
  socket: Duplex,
  frames: readonly PreparedMessage[],
  batch: FrameBatch | null,
): void {
  if (frames.length === 1) {
    const f = frames[0]!;
    if (frameTail(f) === null) socket.write(frameHead(f));
    else writeCorked(socket, frames);
    return;
  }
  if (batch !== null) {
    const shared = batch.bytesFor(frames);
    if (shared !== null) {
      socket.write(shared);
      return;
    }
  }
  const bytes = concatFrames(frames);
  if (bytes === null) {
    writeCorked(socket, frames);
    return;
  }
  batch?.remember(frames, bytes);
  socket.write(bytes);
}

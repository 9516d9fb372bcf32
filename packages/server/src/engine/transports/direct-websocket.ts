import { isUtf8 } from "node:buffer";
import * as crypto from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import createDebug from "debug";
import { TransportError, TransportErrorCode } from "../errors.js";
import { joinedHeader as joined } from "../http.js";
import { headerLength, type PreparedMessage, writeHeader } from "../prepared-message.js";
import { sendPreparedFrames, type WebSocketOwner } from "./websocket.js";

const debug = createDebug("switchboard:engine:websocket");

/**
 * WebSocket without `ws` objects, used when per-message deflate is off (the default).
 *
 * `ws` gives each connection a WebSocket, a Receiver (a Writable stream), a Sender and a few
 * closures: about 1.3 KB of heap per idle connection. This transport is one small object
 * on the socket's own events, speaking just what RFC 6455 needs of a server: the opening
 * handshake (section 4.2), masked client frames, fragmentation, ping/pong, the close
 * handshake, UTF-8 checks on text (close 1007) and protocol errors (close 1002). Extensions
 * are never negotiated here; with `perMessageDeflate` on, the engine uses `ws` instead.
 *
 * It must be at least as hard to break as `ws` (issue 12), so every input dimension is
 * bounded ({@link WebSocketLimits}): bytes per message with the headers of continuation
 * frames charged (close 1009; empty fragments are not free), frames per message (close
 * 1008), control frames per second (close 1008), and pongs: a ping that arrives while the
 * socket's writes are backed up pauses reading until they drain, so a peer that sends
 * pings and never reads cannot make answers pile up.
 */

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const KEY = /^[+/0-9A-Za-z]{22}==$/;

/** Bound on a peer that never answers our close frame. */
const CLOSE_TIMEOUT = 30_000;

/**
 * 0 open; 1 answered the peer's close frame (waiting for the socket to close); 3 sent our
 * close frame (waiting for the peer's, still reading); 2 closed (detached).
 */
type State = 0 | 1 | 2 | 3;

const kTransport = Symbol("switchboard.directWebSocket");
type Tagged = Socket & { [kTransport]?: DirectWebSocketTransport };

/** The request headers a WebSocket handshake reads (RFC 6455 section 4.2.1). */
interface UpgradeHeaders {
  upgrade: string | undefined;
  key: string | undefined;
  version: string | undefined;
  protocol: string | undefined;
}

/**
 * The handshake's headers straight from `rawHeaders`, repeated ones joined with ", " as
 * Node's `req.headers` joins them. `req.headers` is built lazily, on first read, into an
 * object of every header: reading the four needed here from the raw list leaves that to
 * whoever asks for it (most apps never do over WebSocket). Measured on the connect path.
 */
function upgradeHeaders(req: IncomingMessage): UpgradeHeaders {
  const out: UpgradeHeaders = {
    upgrade: undefined,
    key: undefined,
    version: undefined,
    protocol: undefined,
  };
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    // Only names of the four lengths are lowercased and compared.
    switch (name.length) {
      case 7:
        if (name.toLowerCase() === "upgrade") out.upgrade = joined(out.upgrade, raw[i + 1]!);
        break;
      case 17:
        if (name.toLowerCase() === "sec-websocket-key") out.key = joined(out.key, raw[i + 1]!);
        break;
      case 21:
        if (name.toLowerCase() === "sec-websocket-version") {
          out.version = joined(out.version, raw[i + 1]!);
        }
        break;
      case 22:
        if (name.toLowerCase() === "sec-websocket-protocol") {
          out.protocol = joined(out.protocol, raw[i + 1]!);
        }
        break;
    }
  }
  return out;
}

/**
 * RFC 6455 section 4.2.1 checks; returns the accept key and the first offered subprotocol,
 * or an error status and message.
 */
export function checkWebSocketHandshake(
  req: IncomingMessage,
):
  | { accept: string; protocol: string | undefined }
  | { status: number; message: string; headers?: Record<string, string> } {
  if (req.method !== "GET") return { status: 405, message: "Invalid HTTP method" };
  const h = upgradeHeaders(req);
  const upgrade = h.upgrade;
  if (upgrade === undefined || upgrade.toLowerCase() !== "websocket") {
    return { status: 400, message: "Invalid Upgrade header" };
  }
  const key = h.key;
  if (key === undefined || !KEY.test(key)) {
    return { status: 400, message: "Missing or invalid Sec-WebSocket-Key header" };
  }
  const version = Number(h.version);
  if (version !== 13 && version !== 8) {
    return {
      status: 400,
      message: "Missing or invalid Sec-WebSocket-Version header",
      headers: { "Sec-WebSocket-Version": "13, 8" },
    };
  }
  // Like `ws` without handleProtocols: the first offered subprotocol.
  const protocol = h.protocol === undefined ? undefined : h.protocol.split(",")[0]?.trim();
  return { accept: sha1Base64(key + GUID), protocol: protocol || undefined };
}

// One-shot `crypto.hash` (Node >= 20.12 / 21.7) skips the Hash object of `createHash`.
const oneShotHash = (crypto as { hash?: (alg: string, data: string, enc: "base64") => string })
  .hash;
function sha1Base64(data: string): string {
  if (oneShotHash !== undefined) return oneShotHash("sha1", data, "base64");
  return crypto.createHash("sha1").update(data).digest("base64");
}

/** True when `text` is ASCII and fits a frame with a one-byte length (< 126 bytes). */
function shortAscii(text: string): boolean {
  if (text.length >= 126) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Answers a WebSocket handshake that failed the RFC checks (as `ws` does) and drops the socket. */
export function abortWebSocketHandshake(
  socket: Duplex,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (socket.writable) {
    const reason = status === 405 ? "Method Not Allowed" : "Bad Request";
    let head = `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(message)}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    socket.write(`${head}\r\n${message}`);
  }
  socket.destroy();
}

/** The 101 answer; `extra` holds `Name: value` lines (cookie, `headers` listeners). */
export function switchingProtocols(
  accept: string,
  protocol: string | undefined,
  extra: string[],
): string {
  let head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n`;
  if (protocol !== undefined) head += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  for (let i = 0; i < extra.length; i++) head += `${extra[i]}\r\n`;
  return `${head}\r\n`;
}

function textFrame(text: string): Buffer {
  const len = Buffer.byteLength(text);
  const h = headerLength(len);
  const out = Buffer.allocUnsafe(h + len);
  writeHeader(out, 1, len);
  out.write(text, h, "utf8");
  return out;
}

function controlFrame(opcode: 0x8 | 0x9 | 0xa, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + payload.length);
  out[0] = 0x80 | opcode;
  out[1] = payload.length;
  payload.copy(out, 2);
  return out;
}

function closePayload(code: number | undefined): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(code, 0);
  return b;
}

/** RFC 6455 section 7.4: close codes a peer may send. */
function validCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}

/** The limits a connection enforces (the engine's resolved options). */
export interface WebSocketLimits {
  /** Bytes per message: payload plus the header bytes of every frame after the first. */
  readonly maxHttpBufferSize: number;
  /** Frames per fragmented message, the first included. */
  readonly maxMessageFragments: number;
  /** Ping/pong frames per one-second window. */
  readonly maxControlFrames: number;
}

function protocolError(message: string): TransportError {
  return new TransportError(TransportErrorCode.WS_PROTOCOL, message, { closeCode: 1002 });
}

function tooBig(): TransportError {
  return new TransportError(TransportErrorCode.WS_MESSAGE_TOO_BIG, "message too big", {
    closeCode: 1009,
  });
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Below this many bytes the byte loop beats making an Int32Array view. */
const WORD_UNMASK_MIN = 64;

/**
 * XORs `data[start, end)` with the 4-byte masking key, big-endian in `mask` (RFC 6455
 * section 5.3), in place. Browsers pick a random key per frame, so every byte a client
 * sends goes through here: a 32-bit word at a time where the memory is aligned, about 4x
 * faster than a byte loop on 64 KiB.
 */
export function unmask(data: Uint8Array, start: number, end: number, mask: number): void {
  if (mask === 0) return; // a zero key leaves the bytes unchanged
  let i = start;
  if (end - start >= WORD_UNMASK_MIN) {
    // Bytes up to a 4-byte boundary of the underlying memory (Int32Array views need one).
    for (; ((data.byteOffset + i) & 3) !== 0; i++) {
      data[i] = data[i]! ^ ((mask >>> (24 - 8 * ((i - start) & 3))) & 0xff);
    }
  }
  // The key rotated so that its first byte falls on `i`.
  const r = ((i - start) & 3) * 8;
  const key = r === 0 ? mask : ((mask << r) | (mask >>> (32 - r))) >>> 0;
  const words = end - start >= WORD_UNMASK_MIN ? (end - i) >>> 2 : 0;
  if (words > 0) {
    const word = LITTLE_ENDIAN
      ? ((key & 0xff) << 24) | ((key & 0xff00) << 8) | ((key >>> 8) & 0xff00) | (key >>> 24)
      : key | 0;
    const w = new Int32Array(data.buffer, data.byteOffset + i, words);
    let j = 0;
    for (; j + 3 < words; j += 4) {
      w[j] = w[j]! ^ word;
      w[j + 1] = w[j + 1]! ^ word;
      w[j + 2] = w[j + 2]! ^ word;
      w[j + 3] = w[j + 3]! ^ word;
    }
    for (; j < words; j++) w[j] = w[j]! ^ word;
    i += words * 4;
  }
  for (let shift = 24; i < end; i++, shift = (shift + 24) & 31) {
    data[i] = data[i]! ^ ((key >>> shift) & 0xff);
  }
}

// Shared socket listeners: the transport is found through a symbol, no per-connection closures.
function onData(this: Tagged, chunk: Buffer): void {
  this[kTransport]?.receive(chunk);
}
function onError(this: Tagged, err: Error): void {
  const t = this[kTransport];
  debug("socket error %s", err.message);
  this.destroy();
  t?.fail(err);
}
function onClose(this: Tagged): void {
  this[kTransport]?.fail(undefined);
}
function onDrain(this: Tagged): void {
  const t = this[kTransport];
  if (t !== undefined) t.onDrain();
}
function onCloseTimeout(this: Tagged): void {
  this.destroy();
}

/**
 * Bytes read and dropped after the close frame went out (peer closed first, or a protocol
 * error): a peer that keeps sending instead of closing is cut off past this.
 */
const DISCARD_LIMIT = 64 * 1024;
const kDiscarded = Symbol("switchboard.discarded");
function onDiscard(this: Tagged & { [kDiscarded]?: number }, chunk: Buffer): void {
  const n = (this[kDiscarded] ?? 0) + chunk.length;
  this[kDiscarded] = n;
  if (n > DISCARD_LIMIT) this.destroy();
}

/** Receive state beyond whole frames in one chunk: allocated only while in use. */
interface RxState {
  /**
   * The bytes of a frame split across chunks, gathered into a Buffer of its own as they
   * arrive (sized to the whole frame once its header is known), or null. Handed on once
   * complete and never reused: the payload given to the session is a view of it.
   */
  partial: Buffer | null;
  /** Bytes of `partial` filled so far. */
  have: number;
  /** Bytes `partial` needs before it can be parsed: the whole frame, or while its header is incomplete a lower bound. */
  need: number;
  /**
   * The payload of a fragmented message being received (opcode in fragOpcode), gathered
   * into one buffer as fragments arrive (grown by doubling), or null. One buffer rather
   * than a list of fragments: a message of many tiny fragments costs its bytes, not an
   * object per fragment.
   */
  fragments: Buffer | null;
  fragOpcode: number;
  /** Payload bytes of `fragments` filled so far. */
  fragBytes: number;
  /** Frames of the message so far. */
  fragCount: number;
  /** What the message has been charged against the byte limit: payload plus later frames' headers. */
  fragCost: number;
}

function newRx(): RxState {
  return {
    partial: null,
    have: 0,
    need: 0,
    fragments: null,
    fragOpcode: 0,
    fragBytes: 0,
    fragCount: 0,
    fragCost: 0,
  };
}

/** Length of a control-frame rate window, ms. */
const CONTROL_WINDOW_MS = 1000;

/** Smallest buffer set aside for a frame split across reads (see `#stash`) or a fragmented message. */
const MIN_PARTIAL = 1024;

/** Appends a fragment's payload to the message being gathered, doubling its buffer as needed. */
function appendFragment(rx: RxState, payload: Buffer): void {
  let buf = rx.fragments!;
  const need = rx.fragBytes + payload.length;
  if (need > buf.length) {
    // Outside Node's shared pool: the delivered message is a view of this buffer, and a
    // pooled slice would keep its whole 8 KiB slab alive.
    const grown = Buffer.allocUnsafeSlow(Math.max(need, 2 * buf.length));
    buf.copy(grown, 0, 0, rx.fragBytes);
    rx.fragments = buf = grown;
  }
  payload.copy(buf, rx.fragBytes);
  rx.fragBytes = need;
}

/** Room for the longest frame header (RFC 6455 section 5.2: 2 + 8 length bytes + 4 key bytes). */
const MAX_HEADER = 14;

/** One WebSocket connection over a raw socket: one engine packet per frame (spec "WebSocket"). */
export class DirectWebSocketTransport {
  get name(): "websocket" {
    return "websocket";
  }
  /** The session; set by the session's constructor or when attached as a probe. */
  owner: WebSocketOwner | null = null;
  readonly #socket: Tagged;
  readonly #limits: WebSocketLimits;
  #state: State = 0;
  /** Start of the current control-frame window (performance.now() ms) and its count. */
  #controlWindow = 0;
  #controlFrames = 0;
  /** Reading paused until the socket drains (a ping came while writes were backed up). */
  #paused = false;
  /** Bytes received with the upgrade request, until {@link readHead}. */
  #head: Buffer | null;
  #rx: RxState | null = null;
  /** The 101 answer, held to leave in one write with the first frame (see `sendText`). */
  #answer: string | null;

  /** `answer`: the handshake answer, written before anything else (`releaseAnswer`). */
  constructor(socket: Duplex, head: Buffer, limits: WebSocketLimits, answer: string | null = null) {
    this.#socket = socket as Tagged;
    this.#limits = limits;
    this.#answer = answer;
    const s = this.#socket;
    s[kTransport] = this;
    // An idle timeout from the HTTP server (keep-alive) must not close the WebSocket; most
    // upgrades arrive on a fresh connection without one, and clearing costs a timer unenroll.
    if ((s as Partial<Socket>).timeout) s.setTimeout(0);
    s.setNoDelay(true);
    s.on("data", onData);
    // The peer half-closing (with or without a close frame) ends our side too: Node does it
    // when allowHalfOpen is off (HTTP servers turn it on), with no "end" listener of ours.
    s.allowHalfOpen = false;
    s.on("error", onError);
    s.on("close", onClose);
    s.on("drain", onDrain);
    // Bytes that came with the upgrade request are read once the session is listening
    // (readHead), so that an error in them is reported to it.
    this.#head = head.length > 0 ? Buffer.from(head) : null;
  }

  /**
   * Parses the bytes that arrived with the upgrade request (RFC 6455 lets a client send
   * frames right after its handshake). Called by the engine once `owner` is set and the
   * open packet (or probe) is under way.
   */
  readHead(): void {
    const head = this.#head;
    if (head === null) return;
    this.#head = null;
    if (this.#state === 0) this.receive(head);
  }

  /** Open and not backed up: a write now goes (almost) straight to the OS. */
  get writable(): boolean {
    return this.#state === 0 && !this.#socket.writableNeedDrain;
  }

  /** Bytes written and not yet handed to the OS. */
  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  /** Writes one flush's frames (pre-built bytes, see {@link sendPreparedFrames}). */
  sendFrames(frames: readonly PreparedMessage[], _compress: boolean): void {
    if (this.#state !== 0) return;
    this.releaseAnswer();
    sendPreparedFrames(this.#socket, frames);
  }

  /**
   * Sends one text frame right away (open packet, "3probe"). The open packet of a handshake
   * leaves with the held 101 answer as one latin1 string: one write instead of a writev.
   */
  sendText(text: string): void {
    if (this.#state !== 0) return;
    const answer = this.#answer;
    if (answer !== null && shortAscii(text)) {
      this.#answer = null;
      this.#socket.write(`${answer}\x81${String.fromCharCode(text.length)}${text}`, "latin1");
      return;
    }
    this.releaseAnswer();
    this.#socket.write(textFrame(text));
  }

  /** Writes the held handshake answer, if still held. */
  releaseAnswer(): void {
    const answer = this.#answer;
    if (answer === null) return;
    this.#answer = null;
    if (!this.#socket.destroyed) this.#socket.write(answer, "latin1");
  }

  /** Graceful close: a close frame (with `code`, if given) after what is queued, then the end of the stream. */
  close(code?: number): void {
    if (this.#state !== 0) return;
    this.#sendClose(code, "initiate");
  }

  /** Immediate close, dropping what is queued (slow client, errors). */
  terminate(): void {
    if (this.#state === 2) return;
    this.#detach();
    this.#socket.destroy();
  }

  /** The socket drained: reading resumes if a ping paused it; the session hears of it. */
  onDrain(): void {
    if (this.#paused) {
      this.#paused = false;
      if (this.#state === 0 || this.#state === 3) this.#socket.resume();
    }
    this.owner?.onWebSocketDrain(this);
  }

  /** Socket closed or failed. */
  fail(error: Error | undefined): void {
    if (this.#state === 2) return;
    if (this.#state === 3) {
      // Closed by us: the session already knows.
      this.#detach();
      return;
    }
    this.#detach();
    this.owner?.onWebSocketClose(this, error);
  }

  /**
   * Sends a close frame (RFC 6455 section 5.5.1). "answer": the peer closed first; we end
   * our side and, like `ws`, the session hears of the close when the socket closes.
   * "initiate": the session closed us; like `ws`, the stream ends only once the peer's
   * close frame arrives (so the peer reads everything before it sees the end), or after
   * CLOSE_TIMEOUT. "error": a protocol error; the stream ends at once.
   */
  #sendClose(code: number | undefined, mode: "answer" | "initiate" | "error"): void {
    const s = this.#socket;
    if (!s.destroyed) {
      this.releaseAnswer();
      s.write(controlFrame(0x8, closePayload(code)));
      // Bounded either way: the peer has CLOSE_TIMEOUT of silence to finish the handshake.
      s.setTimeout(CLOSE_TIMEOUT, onCloseTimeout);
      if (mode !== "initiate") {
        // A peer that does not read what we wrote will not read the close frame either.
        if (mode === "error" && s.writableNeedDrain) s.destroy();
        else s.end();
      }
    }
    this.#rx = null;
    if (mode === "initiate") {
      this.#state = 3;
      return;
    }
    if (mode === "answer") {
      this.#state = 1;
      s.off("data", onData);
    } else this.#detach();
    // Keep reading (to see the peer's end) but drop what comes, up to DISCARD_LIMIT.
    if (!s.destroyed) {
      s.on("data", onDiscard);
      if (this.#paused) s.resume();
    }
  }

  #detach(): void {
    this.#state = 2;
    this.#rx = null;
    this.#socket[kTransport] = undefined;
    this.#socket.off("data", onData);
    this.#socket.off("drain", onDrain);
    // "error" and "close" stay attached; they find no transport.
  }

  /** Parses incoming bytes (called for each socket chunk). */
  receive(chunk: Buffer): void {
    const owner = this.owner;
    owner?.onWebSocketReadStart?.(this);
    try {
      const rx = this.#rx;
      const offset = rx !== null && rx.partial !== null ? this.#fill(chunk) : 0;
      if (offset >= 0 && offset < chunk.length) this.#parse(chunk, offset);
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      debug("protocol error: %s", err.message);
      if (this.#state === 0) this.#sendClose(err.closeCode, "error");
      else {
        this.#detach();
        this.#socket.destroy();
        return;
      }
      owner?.onWebSocketClose(this, err);
    } finally {
      owner?.onWebSocketReadEnd?.(this);
    }
  }

  /**
   * Copies into the pending split frame only the bytes it still needs, parses it once
   * complete; returns where the rest of `chunk` starts, or -1 when all of it was taken.
   * Copying as bytes arrive (rather than keeping the chunks and joining them at the end)
   * releases each chunk at once: a large frame costs its own size in memory, not twice.
   */
  #fill(chunk: Buffer): number {
    let offset = 0;
    for (;;) {
      const rx = this.#rx;
      if (rx === null || rx.partial === null) return offset;
      let partial = rx.partial;
      if (rx.have === partial.length) {
        // Full, and the frame is not: grow with what has arrived (doubling, up to the frame).
        const grown = Buffer.allocUnsafe(Math.min(rx.need, 2 * partial.length));
        partial.copy(grown, 0, 0, rx.have);
        rx.partial = partial = grown;
      }
      const take = Math.min(rx.need - rx.have, chunk.length - offset, partial.length - rx.have);
      chunk.copy(partial, rx.have, offset, offset + take);
      rx.have += take;
      offset += take;
      if (rx.have < rx.need) {
        if (offset === chunk.length) return -1;
        continue;
      }
      const frame = partial.subarray(0, rx.have);
      rx.partial = null;
      rx.have = 0;
      // One frame, or a header completed just now: then `#parse` stashes it again with the
      // frame's whole length as `need`, and the loop goes on filling from this chunk.
      this.#parse(frame, 0);
      if (this.#state !== 0 && this.#state !== 3) return -1;
    }
  }

  /**
   * Keeps the incomplete frame at `data[offset…]` until `need` bytes of it are there. The
   * buffer is sized by what has arrived (twice it, at least MIN_PARTIAL), not by the
   * length the header claims: a peer sending headers of large frames and nothing else
   * gets no more memory set aside than it sent, give or take 1 KiB. A frame that has mostly
   * arrived (the common split at a read boundary) gets its exact size at once.
   */
  #stash(data: Buffer, offset: number, need: number): void {
    let rx = this.#rx;
    if (rx === null) {
      rx = newRx();
      this.#rx = rx;
    }
    const have = data.length - offset;
    const size = Math.min(Math.max(need, MAX_HEADER), Math.max(2 * have, MIN_PARTIAL));
    const partial = Buffer.allocUnsafe(size);
    data.copy(partial, 0, offset);
    rx.partial = partial;
    rx.have = have;
    rx.need = need;
  }

  #parse(data: Buffer, from: number): void {
    let offset = from;
    let need = 0;
    const length = data.length;
    while (offset < length && (this.#state === 0 || this.#state === 3)) {
      const avail = length - offset;
      if (avail < 2) {
        need = 2;
        break;
      }
      const b0 = data[offset]!;
      const b1 = data[offset + 1]!;
      if ((b0 & 0x70) !== 0) throw protocolError("RSV bits set without an extension");
      if ((b1 & 0x80) === 0) throw protocolError("client frame not masked");
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      let len = b1 & 0x7f;
      let headerLen = 6;
      if (opcode >= 0x8) {
        if (opcode > 0xa) throw protocolError(`invalid opcode ${opcode}`);
        if (!fin || len > 125) throw protocolError("invalid control frame");
      } else if (opcode > 0x2) {
        throw protocolError(`invalid opcode ${opcode}`);
      }
      if (len === 126) {
        if (avail < 4) {
          need = 4;
          break;
        }
        len = data.readUInt16BE(offset + 2);
        headerLen = 8;
      } else if (len === 127) {
        if (avail < 10) {
          need = 10;
          break;
        }
        const high = data.readUInt32BE(offset + 2);
        if (high > 0x1fffff) throw tooBig();
        len = high * 0x100000000 + data.readUInt32BE(offset + 6);
        headerLen = 14;
      }
      // Checked before anything is set aside for the frame's bytes. A continuation frame is
      // charged its header too, so that a stream of empty fragments reaches the limit.
      if (opcode === 0x0) {
        const rx = this.#rx;
        // Refused from its header: never buffered up to a length no message allows.
        if (rx === null || rx.fragments === null)
          throw protocolError("continuation without a start");
        if (rx.fragCost + headerLen + len > this.#limits.maxHttpBufferSize) throw tooBig();
        if (rx.fragCount >= this.#limits.maxMessageFragments) {
          throw new TransportError(
            TransportErrorCode.WS_TOO_MANY_FRAGMENTS,
            "too many message fragments",
            { closeCode: 1008 },
          );
        }
      } else if (opcode < 0x8 && len > this.#limits.maxHttpBufferSize) {
        throw tooBig();
      }
      const total = headerLen + len;
      if (avail < total) {
        need = total;
        break;
      }
      const start = offset + headerLen;
      const end = offset + total;
      unmask(data, start, end, data.readUInt32BE(start - 4));
      offset = end;
      const payload = data.subarray(start, end);
      if (opcode >= 0x8) this.#onControl(opcode, payload);
      else this.#onData(opcode, fin, payload, headerLen);
    }
    if (offset < length && (this.#state === 0 || this.#state === 3)) {
      this.#stash(data, offset, need);
    } else if (this.#rx !== null && this.#rx.fragments === null && this.#rx.partial === null) {
      this.#rx = null;
    }
  }

  #onData(opcode: number, fin: boolean, payload: Buffer, headerLen: number): void {
    if (this.#state === 3) return; // after our close frame: only the peer's close matters
    let message: Buffer;
    let binary: boolean;
    const rx = this.#rx;
    if (opcode === 0) {
      if (rx === null || rx.fragments === null) {
        throw protocolError("continuation without a start");
      }
      rx.fragCount++;
      rx.fragCost += headerLen + payload.length;
      appendFragment(rx, payload);
      if (!fin) return;
      message = rx.fragments.subarray(0, rx.fragBytes);
      binary = rx.fragOpcode === 0x2;
      rx.fragments = null;
      rx.fragBytes = 0;
    } else {
      if (rx !== null && rx.fragments !== null) {
        throw protocolError("new message inside a fragmented one");
      }
      if (!fin) {
        const state = rx ?? newRx();
        this.#rx = state;
        // Sized by the first fragment (grown by doubling): an empty fragmented message
        // costs nothing ahead of its bytes.
        state.fragments = Buffer.allocUnsafeSlow(payload.length);
        payload.copy(state.fragments);
        state.fragOpcode = opcode;
        state.fragBytes = payload.length;
        state.fragCount = 1;
        state.fragCost = payload.length;
        return;
      }
      message = payload;
      binary = opcode === 0x2;
    }
    if (!binary && !isUtf8(message)) {
      throw new TransportError(
        TransportErrorCode.WS_INVALID_UTF8,
        "invalid UTF-8 in a text frame",
        {
          closeCode: 1007,
        },
      );
    }
    this.owner?.onWebSocketFrame(this, message, binary);
  }

  /** Counts a ping or pong against `maxControlFrames` per one-second window. */
  #countControl(): void {
    const now = performance.now();
    if (now - this.#controlWindow >= CONTROL_WINDOW_MS) {
      this.#controlWindow = now;
      this.#controlFrames = 0;
    }
    if (++this.#controlFrames > this.#limits.maxControlFrames) {
      throw new TransportError(TransportErrorCode.WS_CONTROL_FLOOD, "too many control frames", {
        closeCode: 1008,
      });
    }
  }

  #onControl(opcode: number, payload: Buffer): void {
    if (opcode === 0x9) {
      this.#countControl();
      if (this.#state === 0) {
        this.releaseAnswer();
        const s = this.#socket;
        s.write(controlFrame(0xa, payload));
        // The peer is not reading what we write: stop reading its pings until it does.
        if (s.writableNeedDrain && !this.#paused) {
          this.#paused = true;
          s.pause();
        }
      }
      return;
    }
    if (opcode === 0xa) {
      this.#countControl();
      return;
    }
    // Close (section 5.5.1): check the code, answer with the same code, report the close.
    let code: number | undefined;
    if (payload.length === 1) throw protocolError("invalid close frame");
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      if (!validCloseCode(code)) throw protocolError(`invalid close code ${code}`);
      if (!isUtf8(payload.subarray(2))) {
        throw new TransportError(TransportErrorCode.WS_INVALID_UTF8, "invalid close reason", {
          closeCode: 1007,
        });
      }
    }
    if (this.#state === 3) {
      // The answer to our close frame: the closing handshake is complete.
      this.#detach();
      this.#socket.end();
      return;
    }
    this.#sendClose(code, "answer");
  }
}

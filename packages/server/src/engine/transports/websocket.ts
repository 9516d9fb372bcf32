import type { Duplex } from "node:stream";
import createDebug from "debug";
import type { WebSocket } from "ws";
import { TransportError, TransportErrorCode, type TransportErrorCodeValue } from "../errors.js";
import {
  frameHead,
  frameTail,
  isBinaryFrame,
  type PreparedMessage,
  websocketForm,
} from "../prepared-message.js";

import type { DirectWebSocketTransport } from "./direct-websocket.js";

const debug = createDebug("switchboard:engine:websocket");

/** Either WebSocket transport: over `ws` (per-message deflate) or direct. */
export type AnyWebSocketTransport = WebSocketTransport | DirectWebSocketTransport;

/** What the WebSocket transport reports to its session. */
export interface WebSocketOwner {
  onWebSocketFrame(transport: AnyWebSocketTransport, data: Buffer, isBinary: boolean): void;
  onWebSocketClose(transport: AnyWebSocketTransport, error: Error | undefined): void;
  onWebSocketDrain(transport: AnyWebSocketTransport): void;
  /**
   * The frames of one read from the socket start / have all been handed over
   * (the direct transport only): replies written in between can leave in one write
   * right after the read instead of waiting for the end-of-tick flush.
   */
  onWebSocketReadStart?(transport: AnyWebSocketTransport): void;
  onWebSocketReadEnd?(transport: AnyWebSocketTransport): void;
}

/** Under cork, hand what is gathered to the OS once it reaches this many bytes. */
const CORK_FLUSH_BYTES = 64 * 1024;

/** Frames of one flush are copied into one Buffer (one write syscall) up to this size. */
const CONCAT_LIMIT = 64 * 1024;

// The bytes built for the last multi-frame flush, reused when the next session flushes the
// same prepared messages in the same order (a broadcast): N recipients, one concatenation.
// Cleared at the end of each flush round (see clearFrameBatch) so nothing outlives the tick.
let batchFrames: readonly PreparedMessage[] | null = null;
let batchBytes: Buffer | null = null;

/** Forgets the shared batch bytes (called once the tick's flushes are done). */
export function clearFrameBatch(): void {
  batchFrames = null;
  batchBytes = null;
}

function sameFrames(a: readonly PreparedMessage[], b: readonly PreparedMessage[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
 * syscall), shared by every session flushing the same messages in this tick.
 */
export function sendPreparedFrames(socket: Duplex, frames: readonly PreparedMessage[]): void {
  if (frames.length === 1) {
    const f = frames[0]!;
    if (frameTail(f) === null) socket.write(frameHead(f));
    else writeCorked(socket, frames);
    return;
  }
  if (batchBytes !== null && batchFrames !== null && sameFrames(batchFrames, frames)) {
    socket.write(batchBytes);
    return;
  }
  const bytes = concatFrames(frames);
  if (bytes === null) {
    writeCorked(socket, frames);
    return;
  }
  batchFrames = frames;
  batchBytes = bytes;
  socket.write(bytes);
}

const kTransport = Symbol("switchboard.transport");
type Tagged = { [kTransport]?: WebSocketTransport };

// Shared listeners (no per-connection closures): the transport is found through a symbol.
function onMessage(this: WebSocket & Tagged, data: Buffer, isBinary: boolean): void {
  const t = this[kTransport];
  t?.owner?.onWebSocketFrame(t, data, isBinary);
}
/** `ws`'s receiver error codes as the engine's {@link TransportError} codes (same close codes). */
const WS_ERRORS: Readonly<Record<string, [TransportErrorCodeValue, number]>> = {
  WS_ERR_INVALID_UTF8: [TransportErrorCode.WS_INVALID_UTF8, 1007],
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: [TransportErrorCode.WS_MESSAGE_TOO_BIG, 1009],
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: [TransportErrorCode.WS_MESSAGE_TOO_BIG, 1009],
  // `ws` uses this code for both too many fragments and too many buffered chunks.
  WS_ERR_TOO_MANY_BUFFERED_PARTS: [TransportErrorCode.WS_TOO_MANY_FRAGMENTS, 1008],
};

/** A `ws` error as a {@link TransportError} (the original as `cause`); other errors as they are. */
function transportErrorOf(err: Error): Error {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== "string" || !code.startsWith("WS_ERR_")) return err;
  const [ours, closeCode] = WS_ERRORS[code] ?? [TransportErrorCode.WS_PROTOCOL, 1002];
  const error = new TransportError(ours, err.message, { closeCode });
  (error as { cause?: unknown }).cause = err;
  return error;
}

function onError(this: WebSocket & Tagged, err: Error): void {
  const t = this[kTransport];
  debug("error %s", err.message);
  if (t !== undefined) t.fail(transportErrorOf(err));
}
function onClose(this: WebSocket & Tagged): void {
  const t = this[kTransport];
  if (t !== undefined) t.fail(undefined);
}
function onDrain(this: Duplex & Tagged): void {
  const t = this[kTransport];
  t?.owner?.onWebSocketDrain(t);
}
function onControlFrame(this: WebSocket & Tagged): void {
  this[kTransport]?.countControl();
}

/** Length of a control-frame rate window, ms (as the direct transport's). */
const CONTROL_WINDOW_MS = 1000;

/** One WebSocket (via `ws`): one engine packet per frame (spec "WebSocket"). */
export class WebSocketTransport {
  readonly name = "websocket" as const;
  /** The session; set by the session's constructor or when attached as a probe. */
  owner: WebSocketOwner | null = null;
  readonly #ws: WebSocket & Tagged;
  readonly #socket: Duplex & Tagged;
  /** No extension negotiated (no per-message deflate): frames are written to the socket directly. */
  readonly #direct: boolean;
  readonly #maxControlFrames: number;
  #controlWindow = 0;
  #controlFrames = 0;
  #closed = false;

  /**
   * `maxControlFrames`: pings and pongs allowed per second (close 1008 past it). `ws` itself
   * bounds fragments (`maxFragments`, close 1008), message bytes (`maxPayload`, 1009) and
   * unanswered pongs (`maxPendingAutoPongs`, 60: the connection is terminated).
   */
  constructor(ws: WebSocket, socket: Duplex, maxControlFrames: number) {
    this.#maxControlFrames = maxControlFrames;
    this.#ws = ws as WebSocket & Tagged;
    this.#socket = socket as Duplex & Tagged;
    this.#ws[kTransport] = this;
    this.#socket[kTransport] = this;
    this.#direct = ws.extensions === "";
    ws.on("message", onMessage);
    ws.on("error", onError);
    ws.on("close", onClose);
    ws.on("ping", onControlFrame);
    ws.on("pong", onControlFrame);
    socket.on("drain", onDrain);
  }

  /** Counts a ping or pong; past the limit the connection closes with 1008 ("transport error"). */
  countControl(): void {
    if (this.#closed) return;
    const now = performance.now();
    if (now - this.#controlWindow >= CONTROL_WINDOW_MS) {
      this.#controlWindow = now;
      this.#controlFrames = 0;
    }
    if (++this.#controlFrames <= this.#maxControlFrames) return;
    const error = new TransportError(
      TransportErrorCode.WS_CONTROL_FLOOD,
      "too many control frames",
      { closeCode: 1008 },
    );
    this.#detach();
    this.#ws.close(1008);
    // No closing handshake with a flooding peer (as the direct transport does): our side
    // ends after the close frame; one that is not even reading is cut off at once.
    if (this.#socket.writableNeedDrain) this.#ws.terminate();
    else this.#socket.end();
    this.owner?.onWebSocketClose(this, error);
  }

  /** Open and not backed up: a write now goes (almost) straight to the OS. */
  get writable(): boolean {
    return !this.#closed && this.#ws.readyState === 1 && !this.#socket.writableNeedDrain;
  }

  /** Bytes accepted by `ws` and not yet written to the OS. */
  get bufferedAmount(): number {
    // Direct mode: `ws`'s sender never holds bytes itself (no deflate), only the socket does.
    return this.#direct ? this.#socket.writableLength : this.#ws.bufferedAmount;
  }

  /**
   * Writes one flush's frames. Without extensions they go through
   * {@link sendPreparedFrames}: `ws`'s sender writes synchronously when nothing is
   * deflating, so ordering with the frames it writes itself (pong, close) is kept.
   */
  sendFrames(frames: readonly PreparedMessage[], compress: boolean): void {
    if (this.#closed) return;
    if (this.#direct) {
      if (this.#ws.readyState === 1) sendPreparedFrames(this.#socket, frames);
      return;
    }
    const ws = this.#ws;
    const socket = this.#socket;
    const options = { binary: false, compress };
    const binaryOptions = { binary: true, compress };
    socket.cork();
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i]!;
      ws.send(websocketForm(frame), isBinaryFrame(frame) ? binaryOptions : options);
      if (socket.writableLength >= CORK_FLUSH_BYTES) {
        socket.uncork();
        socket.cork();
      }
    }
    socket.uncork();
  }

  /** Sends one text frame right away (open packet, "3probe"). */
  sendText(text: string): void {
    if (!this.#closed) this.#ws.send(text);
  }

  /** Graceful close (close frame, with `code` if given, after what is queued). */
  close(code?: number): void {
    if (this.#closed) return;
    this.#detach();
    this.#ws.close(code);
  }

  /** Immediate close, dropping what is queued (slow client, errors). */
  terminate(): void {
    if (this.#closed) return;
    this.#detach();
    this.#ws.terminate();
  }

  /** Called by the shared listeners on error/close. */
  fail(error: Error | undefined): void {
    if (this.#closed) return;
    this.#detach();
    if (error !== undefined) this.#ws.terminate();
    this.owner?.onWebSocketClose(this, error);
  }

  #detach(): void {
    this.#closed = true;
    this.#ws[kTransport] = undefined;
    this.#socket[kTransport] = undefined;
    this.#ws.off("message", onMessage);
    this.#socket.off("drain", onDrain);
    // "error" and "close" stay attached (ws may still emit them); they find no transport.
  }
}

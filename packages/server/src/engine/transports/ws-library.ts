import type { Duplex } from "node:stream";
import createDebug from "debug";
import type { WebSocket } from "ws";
import { eio3WebSocketFrames } from "../eio3.js";
import { TransportError, TransportErrorCode, type TransportErrorCodeValue } from "../errors.js";
import {
  CORK_FLUSH_BYTES,
  type FrameBatch,
  isBinaryFrame,
  type PreparedMessage,
  websocketForm,
  writePreparedFrames,
} from "../framing.js";
import type { TransportOwner, WebSocketTransport } from "./transport.js";

const debug = createDebug("switchboard:engine:websocket");

const kTransport = Symbol("switchboard.transport");
type Tagged = { [kTransport]?: WsLibraryTransport };

// Shared listeners (no per-connection closures): the transport is found through a symbol.
function onMessage(this: WebSocket & Tagged, data: Buffer, isBinary: boolean): void {
  const t = this[kTransport];
  t?.owner?.onFrame(t, data, isBinary);
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
  t?.owner?.onDrain(t);
}
function onControlFrame(this: WebSocket & Tagged): void {
  this[kTransport]?.countControl();
}

/** Length of a control-frame rate window, ms (as the direct transport's). */
const CONTROL_WINDOW_MS = 1000;

/**
 * One WebSocket over `ws` (used when `perMessageDeflate` is on): one engine packet per
 * frame (spec "WebSocket").
 */
export class WsLibraryTransport implements WebSocketTransport {
  readonly name = "websocket" as const;
  readonly upgradable = false;
  readonly streaming = true;
  owner: TransportOwner | null = null;
  readonly #ws: WebSocket & Tagged;
  readonly #socket: Duplex & Tagged;
  /** No extension negotiated (no per-message deflate): frames are written to the socket directly. */
  readonly #direct: boolean;
  readonly #maxControlFrames: number;
  /** The session speaks Engine.IO v3: binary messages go behind their type byte. */
  readonly #v3: boolean;
  #controlWindow = 0;
  #controlFrames = 0;
  #closed = false;

  /**
   * `maxControlFrames`: pings and pongs allowed per second (close 1008 past it). `ws` itself
   * bounds fragments (`maxFragments`, close 1008), message bytes (`maxPayload`, 1009) and
   * unanswered pongs (`maxPendingAutoPongs`, 60: the connection is terminated).
   */
  constructor(ws: WebSocket, socket: Duplex, maxControlFrames: number, v3 = false) {
    this.#maxControlFrames = maxControlFrames;
    this.#v3 = v3;
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
    this.owner?.onTransportClose(this, "transport error", error);
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
   * {@link writePreparedFrames}: `ws`'s sender writes synchronously when nothing is
   * deflating, so ordering with the frames it writes itself (pong, close) is kept.
   */
  write(
    messages: readonly PreparedMessage[],
    compress: boolean,
    batch: FrameBatch | null,
  ): boolean {
    if (this.#closed) return true;
    const frames = this.#v3 ? eio3WebSocketFrames(messages) : messages;
    if (this.#direct) {
      if (this.#ws.readyState === 1) writePreparedFrames(this.#socket, frames, batch);
      return true;
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
    return true;
  }

  /** Sends one text frame right away (open packet, "3probe"). */
  sendText(text: string): void {
    if (!this.#closed) this.#ws.send(text);
  }

  /** Graceful close (a close frame after what is queued). */
  close(_last?: PreparedMessage): void {
    if (this.#closed) return;
    this.#detach();
    this.#ws.close();
  }

  closeWithCode(code: number): void {
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
    this.owner?.onTransportClose(
      this,
      error === undefined ? "transport close" : "transport error",
      error,
    );
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

import type { Duplex } from "node:stream";
import createDebug from "debug";
import type { WebSocket } from "ws";
import { isBinaryFrame, type PreparedMessage, websocketForm } from "../prepared-message.js";

const debug = createDebug("switchboard:engine:websocket");

/** What the WebSocket transport reports to its session. */
export interface WebSocketOwner {
  onWebSocketFrame(transport: WebSocketTransport, data: Buffer, isBinary: boolean): void;
  onWebSocketClose(transport: WebSocketTransport, error: Error | undefined): void;
  onWebSocketDrain(transport: WebSocketTransport): void;
}

/** Under cork, hand what is gathered to the OS once it reaches this many bytes. */
const CORK_FLUSH_BYTES = 64 * 1024;

const kTransport = Symbol("switchboard.transport");
type Tagged = { [kTransport]?: WebSocketTransport };

// Shared listeners (no per-connection closures): the transport is found through a symbol.
function onMessage(this: WebSocket & Tagged, data: Buffer, isBinary: boolean): void {
  const t = this[kTransport];
  t?.owner?.onWebSocketFrame(t, data, isBinary);
}
function onError(this: WebSocket & Tagged, err: Error): void {
  const t = this[kTransport];
  debug("error %s", err.message);
  if (t !== undefined) t.fail(err);
}
function onClose(this: WebSocket & Tagged): void {
  const t = this[kTransport];
  if (t !== undefined) t.fail(undefined);
}
function onDrain(this: Duplex & Tagged): void {
  const t = this[kTransport];
  t?.owner?.onWebSocketDrain(t);
}

/** One WebSocket (via `ws`): one engine packet per frame (spec "WebSocket"). */
export class WebSocketTransport {
  readonly name = "websocket" as const;
  /** The session; set by the session's constructor or when attached as a probe. */
  owner: WebSocketOwner | null = null;
  readonly #ws: WebSocket & Tagged;
  readonly #socket: Duplex & Tagged;
  #closed = false;

  constructor(ws: WebSocket, socket: Duplex) {
    this.#ws = ws as WebSocket & Tagged;
    this.#socket = socket as Duplex & Tagged;
    this.#ws[kTransport] = this;
    this.#socket[kTransport] = this;
    ws.on("message", onMessage);
    ws.on("error", onError);
    ws.on("close", onClose);
    socket.on("drain", onDrain);
  }

  /** Open and not backed up: a write now goes (almost) straight to the OS. */
  get writable(): boolean {
    return !this.#closed && this.#ws.readyState === 1 && !this.#socket.writableNeedDrain;
  }

  /** Bytes accepted by `ws` and not yet written to the OS. */
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  /** Writes frames together: the socket is corked so one tick's frames leave in few syscalls. */
  sendFrames(frames: readonly PreparedMessage[], compress: boolean): void {
    if (this.#closed) return;
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

  /** Graceful close (close frame after what is queued). */
  close(): void {
    if (this.#closed) return;
    this.#detach();
    this.#ws.close();
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

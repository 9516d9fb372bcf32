import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import createDebug from "debug";
import { eio3WebSocketFrames } from "../eio3.js";
import { TransportError } from "../errors.js";
import {
  closeFrame,
  controlFrame,
  type FrameBatch,
  PONG_OPCODE,
  type PreparedMessage,
  shortAscii,
  textFrame,
  withShortTextFrame,
  writePreparedFrames,
} from "../framing.js";
import { FrameReceiver, type WebSocketLimits } from "./frame-receiver.js";
import type { TransportOwner, WebSocketTransport } from "./transport.js";

const debug = createDebug("switchboard:engine:websocket");

/**
 * WebSocket without `ws` objects, used when per-message deflate is off (the default).
 *
 * `ws` gives each connection a WebSocket, a Receiver (a Writable stream), a Sender and a few
 * closures: about 1.3 KB of heap per idle connection. This transport is one small object
 * on the socket's own events, speaking just what RFC 6455 needs of a server: the opening
 * handshake (websocket-handshake.ts), masked client frames, fragmentation, ping/pong and
 * UTF-8 and protocol checks (frame-receiver.ts, its base class), the close handshake (here).
 * Extensions are never negotiated; with `perMessageDeflate` on, the engine uses `ws`.
 *
 * It must be at least as hard to break as `ws` (issue 12), so every input dimension is
 * bounded ({@link WebSocketLimits}): bytes per message with the headers of continuation
 * frames charged (close 1009; empty fragments are not free), frames per message (close
 * 1008), control frames per second (close 1008), and pongs: a ping that arrives while the
 * socket's writes are backed up pauses reading until they drain, so a peer that sends
 * pings and never reads cannot make answers pile up.
 */

/** Bound on a peer that never answers our close frame. */
const CLOSE_TIMEOUT = 30_000;

const kTransport = Symbol("switchboard.directWebSocket");
type Tagged = Socket & { [kTransport]?: DirectWebSocketTransport };

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
  if (t !== undefined) t.onSocketDrain();
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

/** One WebSocket connection over a raw socket: one engine packet per frame (spec "WebSocket"). */
export class DirectWebSocketTransport extends FrameReceiver implements WebSocketTransport {
  get name(): "websocket" {
    return "websocket";
  }
  get upgradable(): boolean {
    return false;
  }
  get streaming(): boolean {
    return true;
  }
  owner: TransportOwner | null = null;
  readonly #socket: Tagged;
  /** The session speaks Engine.IO v3: binary messages go behind their type byte. */
  readonly #v3: boolean;
  /** Reading paused until the socket drains (a ping came while writes were backed up). */
  #paused = false;
  /** Bytes received with the upgrade request, until {@link readHead}. */
  #head: Buffer | null;
  /** The 101 answer, held to leave in one write with the first frame (see `sendText`). */
  #answer: string | null;

  /**
   * `answer`: the handshake answer, written before anything else (`releaseAnswer`);
   * `v3`: the session speaks Engine.IO v3 (`allowEIO3`).
   */
  constructor(
    socket: Duplex,
    head: Buffer,
    limits: WebSocketLimits,
    answer: string | null = null,
    v3 = false,
  ) {
    super(limits);
    this.#socket = socket as Tagged;
    this.#answer = answer;
    this.#v3 = v3;
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
    if (this.state === "open") this.receive(head);
  }

  /** Open and not backed up: a write now goes (almost) straight to the OS. */
  get writable(): boolean {
    return this.state === "open" && !this.#socket.writableNeedDrain;
  }

  /** Bytes written and not yet handed to the OS. */
  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  /** Writes one flush's frames (pre-built bytes, see {@link writePreparedFrames}). */
  write(
    messages: readonly PreparedMessage[],
    _compress: boolean,
    batch: FrameBatch | null,
  ): boolean {
    if (this.state !== "open") return true;
    this.releaseAnswer();
    writePreparedFrames(this.#socket, this.#v3 ? eio3WebSocketFrames(messages) : messages, batch);
    return true;
  }

  /**
   * Sends one text frame right away (open packet, "3probe"). The open packet of a handshake
   * leaves with the held 101 answer as one latin1 string: one write instead of a writev.
   */
  sendText(text: string): void {
    if (this.state !== "open") return;
    const answer = this.#answer;
    if (answer !== null && shortAscii(text)) {
      this.#answer = null;
      this.#socket.write(withShortTextFrame(answer, text), "latin1");
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

  /** Graceful close: a close frame after what is queued, then the end of the stream. */
  close(_last?: PreparedMessage): void {
    if (this.state !== "open") return;
    this.#sendClose(undefined, "initiate");
  }

  closeWithCode(code: number): void {
    if (this.state !== "open") return;
    this.#sendClose(code, "initiate");
  }

  /** Immediate close, dropping what is queued (slow client, errors). */
  terminate(): void {
    if (this.state === "closed") return;
    this.#detach();
    this.#socket.destroy();
  }

  /** The socket drained: reading resumes if a ping paused it; the session hears of it. */
  onSocketDrain(): void {
    if (this.#paused) {
      this.#paused = false;
      if (this.state === "open" || this.state === "closing") this.#socket.resume();
    }
    this.owner?.onDrain(this);
  }

  /** Socket closed or failed. */
  fail(error: Error | undefined): void {
    if (this.state === "closed") return;
    if (this.state === "closing") {
      // Closed by us: the session already knows.
      this.#detach();
      return;
    }
    this.#detach();
    this.owner?.onTransportClose(
      this,
      error === undefined ? "transport close" : "transport error",
      error,
    );
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
      s.write(closeFrame(code));
      // Bounded either way: the peer has CLOSE_TIMEOUT of silence to finish the handshake.
      s.setTimeout(CLOSE_TIMEOUT, onCloseTimeout);
      if (mode !== "initiate") {
        // A peer that does not read what we wrote will not read the close frame either.
        if (mode === "error" && s.writableNeedDrain) s.destroy();
        else s.end();
      }
    }
    this.dropReceived();
    if (mode === "initiate") {
      this.state = "closing";
      return;
    }
    if (mode === "answer") {
      this.state = "answered";
      s.off("data", onData);
    } else this.#detach();
    // Keep reading (to see the peer's end) but drop what comes, up to DISCARD_LIMIT.
    if (!s.destroyed) {
      s.on("data", onDiscard);
      if (this.#paused) s.resume();
    }
  }

  #detach(): void {
    this.state = "closed";
    this.dropReceived();
    this.#socket[kTransport] = undefined;
    this.#socket.off("data", onData);
    this.#socket.off("drain", onDrain);
    // "error" and "close" stay attached; they find no transport.
  }

  /** Parses incoming bytes (called for each socket chunk). */
  receive(chunk: Buffer): void {
    const owner = this.owner;
    owner?.onReadStart?.(this);
    try {
      this.parseChunk(chunk);
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      debug("protocol error: %s", err.message);
      if (this.state === "open") this.#sendClose(err.closeCode, "error");
      else {
        this.#detach();
        this.#socket.destroy();
        return;
      }
      owner?.onTransportClose(this, "transport error", err);
    } finally {
      owner?.onReadEnd?.(this);
    }
  }

  protected onMessage(message: Buffer, binary: boolean): void {
    this.owner?.onFrame(this, message, binary);
  }

  protected onPing(payload: Buffer): void {
    this.releaseAnswer();
    const s = this.#socket;
    s.write(controlFrame(PONG_OPCODE, payload));
    // The peer is not reading what we write: stop reading its pings until it does.
    if (s.writableNeedDrain && !this.#paused) {
      this.#paused = true;
      s.pause();
    }
  }

  protected onCloseFrame(code: number | undefined): void {
    if (this.state === "closing") {
      // The answer to our close frame: the closing handshake is complete.
      this.#detach();
      this.#socket.end();
      return;
    }
    this.#sendClose(code, "answer");
  }
}

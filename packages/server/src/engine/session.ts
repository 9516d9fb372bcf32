import { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import {
  decodeEnginePacket,
  decodeV3WebSocketFrame,
  type EnginePacket,
} from "@switchboard/protocol";
import createDebug from "debug";
import {
  type Eio3State,
  eio3OpenPacket,
  eio3PollingPayload,
  eio3PollingText,
  eio3WebSocketFrames,
} from "./eio3.js";
import { engineStats } from "./internal.js";
import type { ResolvedEngineOptions } from "./options.js";
import {
  controlPacket,
  frameSize,
  PreparedMessage,
  pollingForm,
  pollingSize,
} from "./prepared-message.js";
import { TimerEntry, TimerWheel } from "./timer-wheel.js";
import type { PollingOwner, PollingTransport } from "./transports/polling.js";
import {
  type AnyWebSocketTransport,
  clearFrameBatch,
  type WebSocketOwner,
} from "./transports/websocket.js";
import {
  EngineCloseReason,
  type EngineConnection,
  type EngineConnectionHandler,
  type EngineReadyState,
  type EngineSessionId,
  type OutgoingMessage,
  type SendOptions,
} from "./types.js";

const debug = createDebug("switchboard:engine:session");

const PING = controlPacket("2");
const NOOP = controlPacket("6");
const CLOSE = controlPacket("1");
const PONG = controlPacket("3");
const SEPARATOR = "\x1e";
/** Longest wait, after a polling close() flushed its messages, for the GET that takes the close packet, ms. */
const CLOSE_WAIT_MS = 5_000;

/** What follows the sid in open packets, per options object and transport kind. */
interface OpenTail {
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
  upgrades: readonly string[];
  polling: string;
  websocket: string;
}
const openTails = new WeakMap<ResolvedEngineOptions, OpenTail>();

/**
 * The open packet after `{"sid":…`: the same JSON as JSON.stringify of the object, in the
 * same key order, built once per server and rebuilt if its options were changed.
 */
function openPacketTail(o: ResolvedEngineOptions, polling: boolean): string {
  let t = openTails.get(o);
  if (
    t === undefined ||
    t.pingInterval !== o.pingInterval ||
    t.pingTimeout !== o.pingTimeout ||
    t.maxPayload !== o.maxHttpBufferSize ||
    t.upgrades !== o.upgrades
  ) {
    const rest = `"pingInterval":${o.pingInterval},"pingTimeout":${o.pingTimeout},"maxPayload":${o.maxHttpBufferSize}}`;
    t = {
      pingInterval: o.pingInterval,
      pingTimeout: o.pingTimeout,
      maxPayload: o.maxHttpBufferSize,
      upgrades: o.upgrades,
      polling: `,"upgrades":${JSON.stringify(o.upgrades)},${rest}`,
      websocket: `,"upgrades":[],${rest}`,
    };
    openTails.set(o, t);
  }
  return polling ? t.polling : t.websocket;
}

/** Heartbeat and close-wait deadlines of every session: one Node timer per duration. */
const heartbeats = new TimerWheel<Session>((s) => Session.onDeadline(s));

/** What a session needs from its server. */
export interface SessionHost {
  readonly options: ResolvedEngineOptions;
  onSessionClosed(session: Session): void;
}

type Transport = PollingTransport | AnyWebSocketTransport;

/** Upgrade progress: none, probe WebSocket open, "3probe" sent and waiting for "5". */
type UpgradeState = "none" | "probing" | "probed";

// One microtask flushes every session written to in this tick (no per-message scheduling);
// it is scheduled by the push that makes the list non-empty.
let pendingFlush: Session[] = [];
// Sessions written to while one of their reads was handled: flushed together once every
// socket readable in this event-loop iteration has been read (setImmediate: the check phase
// right after the poll phase), so the replies leave in one burst of writes.
let afterReads: Session[] = [];
/**
 * Flushes are scheduled with `then` on a settled promise: the same microtask queue as
 * `queueMicrotask`, without the AsyncResource and bound function Node's `queueMicrotask`
 * makes for every call (measured on the connect path, one flush per new connection).
 */
const settled = Promise.resolve();
function rethrow(err: unknown): never {
  throw err;
}

function encodePollingPayload(frames: readonly PreparedMessage[]): string {
  if (frames.length === 1) return pollingForm(frames[0]!);
  let out = pollingForm(frames[0]!);
  for (let i = 1; i < frames.length; i++) out += SEPARATOR + pollingForm(frames[i]!);
  return out;
}

/**
 * UTF-8 length of {@link encodePollingPayload}'s result from each message's cached size
 * (one byte per separator): the HTTP answer needs it for Content-Length, and measuring the
 * joined string would walk (and flatten) every answer again (measured on the polling
 * broadcast: ~10% of the server's time per delivered message).
 */
function pollingPayloadBytes(frames: readonly PreparedMessage[]): number {
  let n = frames.length - 1;
  for (let i = 0; i < frames.length; i++) n += pollingSize(frames[i]!);
  return n;
}

/**
 * Whether anyone listens for `event`, without `listenerCount`'s argument handling (it sits
 * on the per-message path). `_events`/`_eventsCount` are EventEmitter's long-stable internals.
 */
function hasListeners(emitter: EventEmitter, event: string): boolean {
  const e = emitter as unknown as { _events: Record<string, unknown>; _eventsCount: number };
  // `_eventsCount` is a fast in-object load; `_events` is a dictionary (hash lookup).
  return e._eventsCount > 0 && e._events[event] !== undefined;
}

/**
 * One Engine.IO session: heartbeat, upgrade, bounded write buffer, close.
 * Implements {@link EngineConnection} for the socket layer.
 */
export class Session
  extends EventEmitter
  implements EngineConnection, PollingOwner, WebSocketOwner
{
  readonly id: EngineSessionId;
  readonly request: IncomingMessage;

  #host: SessionHost;
  #remoteAddress: string | undefined = undefined;
  #transport: Transport;
  #probe: AnyWebSocketTransport | null = null;
  #upgradeState: UpgradeState = "none";
  #upgraded = false;
  #state: EngineReadyState = "opening";
  #handler: EngineConnectionHandler | null = null;
  /** Messages queued for the next flush; allocated on first use. */
  #queue: PreparedMessage[] | null = null;
  #queuedBytes = 0;
  /** Transport backlog (bytes not yet handed to the OS) read after the last flush. */
  #backlog = 0;
  #compress = true;
  #flushScheduled = false;
  /** Inside a read of the direct WebSocket transport (between ReadStart and ReadEnd). */
  #reading = false;
  /** Heartbeat / close-wait deadline on the shared timer wheel; allocated on first arm. */
  #deadline: TimerEntry<Session> | null = null;
  #awaitingPong = false;
  #upgradeTimer: NodeJS.Timeout | null = null;
  /** Engine.IO v3 client (`allowEIO3`): its state, or null for v4 (see eio3.ts). */
  readonly #eio3: Eio3State | null;

  constructor(
    host: SessionHost,
    id: EngineSessionId,
    request: IncomingMessage,
    transport: Transport,
    eio3: Eio3State | null = null,
  ) {
    super();
    this.id = id;
    this.#eio3 = eio3;
    this.request = request;
    this.#host = host;
    this.#transport = transport;
    if (transport.name === "polling") this.#remoteAddress = request.socket.remoteAddress ?? "";
    transport.owner = this;
    engineStats.liveSessions++;
  }

  /** The Engine.IO protocol version the client speaks: 4, or 3 with `allowEIO3`. */
  get protocol(): 3 | 4 {
    return this.#eio3 === null ? 4 : 3;
  }

  /**
   * The peer's address. Over WebSocket it is read when first asked (the socket lives as
   * long as the session; no per-connection copy before that); a polling handshake's socket
   * may be gone by then, so polling reads it at once.
   */
  get remoteAddress(): string {
    if (this.#remoteAddress === undefined) {
      this.#remoteAddress = this.request.socket.remoteAddress ?? "";
    }
    return this.#remoteAddress;
  }

  get transport(): Transport {
    return this.#transport;
  }

  get readyState(): EngineReadyState {
    return this.#state;
  }

  get upgraded(): boolean {
    return this.#upgraded;
  }

  /** True while a probe WebSocket is attached and the upgrade has not completed. */
  get upgrading(): boolean {
    return this.#upgradeState !== "none";
  }

  get bufferedBytes(): number {
    const t = this.#transport;
    return this.#queuedBytes + (t.name === "websocket" ? t.bufferedAmount : 0);
  }

  setHandler(handler: EngineConnectionHandler): void {
    this.#handler = handler;
  }

  /** The open packet body (spec "Handshake"). */
  openPacket(): string {
    if (this.#eio3 !== null) {
      return eio3OpenPacket(this.id, this.#host.options, this.#transport.name === "polling");
    }
    const tail = openPacketTail(this.#host.options, this.#transport.name === "polling");
    return `0{"sid":${JSON.stringify(this.id)}${tail}`;
  }

  /** Marks the session open (after the open packet went out) and starts the heartbeat. */
  start(): void {
    this.#state = "open";
    debug("%s open on %s", this.id, this.#transport.name);
    if (this.#eio3 !== null) {
      // v3: the client pings, the server answers; a client silent for pingInterval +
      // pingTimeout is gone (spec v3, "Timeouts"). Awaiting its ping, never sending ours.
      this.#awaitingPong = true;
      this.#arm(this.#host.options.pingInterval + this.#host.options.pingTimeout);
      return;
    }
    this.#arm(this.#host.options.pingInterval);
  }

  send(messages: readonly OutgoingMessage[], options?: SendOptions): void {
    if (this.#state !== "open") return;
    if (options !== undefined) {
      if (options.volatile === true && !this.#writableNow()) return;
      this.#compress = options.compress !== false;
    }
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (!this.#enqueue(m instanceof PreparedMessage ? m : new PreparedMessage(m))) return;
    }
    // The scheduled flush that follows finds the queue empty and writes nothing.
    if (options?.flush === true && this.#transport.name === "websocket") this.#flush();
  }

  close(): void {
    if (this.#state !== "open" && this.#state !== "opening") return;
    debug("%s forced close", this.id);
    this.#state = "closing";
    this.#clearTimers();
    const t = this.#transport;
    if (t.name === "websocket") {
      this.#flush();
      this.#finish(EngineCloseReason.forcedClose, undefined, false);
      return;
    }
    // Polling: pending messages and the close packet never share a payload. socket.io-client
    // handles a payload's close packet before the messages decoded with it (it defers them),
    // so a Socket.IO DISCONNECT sent with the close would be lost ("transport close" instead
    // of "io server disconnect"). The messages go in one response, the close in the next.
    if (t.hasPendingGet) {
      if (this.#queue === null || this.#queue.length === 0) {
        this.#finish(EngineCloseReason.forcedClose, undefined, false);
        return;
      }
      this.#flush();
    }
    // Bounded wait for the next GET: a client that never polls again is closed anyway.
    this.#arm(Math.min(this.#host.options.pingTimeout, CLOSE_WAIT_MS));
  }

  /** Closes right away (server close): no flush. */
  destroy(reason: string): void {
    this.#finish(reason, undefined, false);
  }

  // ---- write path ----

  #writableNow(): boolean {
    const t = this.#transport;
    if (t.name === "websocket") return t.writable;
    return t.hasPendingGet;
  }

  #enqueue(frame: PreparedMessage): boolean {
    if (this.#queue === null) this.#queue = [frame];
    else this.#queue.push(frame);
    this.#queuedBytes += frameSize(frame);
    if (hasListeners(this, "packetCreate")) {
      this.emit("packetCreate", { type: "message", data: frame.data });
    }
    const max = this.#host.options.maxBufferedBytes;
    // The socket backlog only shrinks between flushes, so the one read at the last flush
    // bounds it from above: the exact (slower) read is needed only when that bound trips.
    if (this.#queuedBytes + this.#backlog > max && this.bufferedBytes > max) {
      debug("%s buffer overflow (%d bytes)", this.id, this.bufferedBytes);
      this.#finish(EngineCloseReason.bufferOverflow, undefined, true);
      return false;
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      if (this.#reading) {
        if (afterReads.push(this) === 1) setImmediate(Session.#runAfterReads);
      } else if (pendingFlush.push(this) === 1) {
        void settled.then(Session.#runFlushes);
      }
    }
    return true;
  }

  static #runFlushes(): void {
    const list = pendingFlush;
    pendingFlush = [];
    Session.#flushAll(list);
  }

  static #runAfterReads(): void {
    const list = afterReads;
    afterReads = [];
    Session.#flushAll(list);
  }

  static #flushAll(list: readonly Session[]): void {
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      s.#flushScheduled = false;
      try {
        s.#flush();
      } catch (err) {
        // A throwing "drain" listener: the other sessions still flush, and the error is an
        // uncaught exception as from any event listener (not a rejected flush promise).
        process.nextTick(rethrow, err);
      }
    }
    clearFrameBatch();
  }

  #flush(): void {
    const queue = this.#queue;
    if (this.#state === "closed" || queue === null || queue.length === 0) return;
    const t = this.#transport;
    if (t.name === "polling") {
      if (!t.hasPendingGet) return;
      this.#queue = null;
      this.#queuedBytes = 0;
      if (this.#eio3 === null) t.write(encodePollingPayload(queue), pollingPayloadBytes(queue));
      else {
        const body = eio3PollingPayload(queue, this.#eio3);
        if (typeof body === "string") t.write(body);
        else t.writeBinary(body);
      }
      this.emit("drain");
      return;
    }
    this.#queue = null;
    this.#queuedBytes = 0;
    t.sendFrames(this.#eio3 === null ? queue : eio3WebSocketFrames(queue), this.#compress);
    const backlog = t.bufferedAmount;
    this.#backlog = backlog;
    if (backlog > this.#host.options.maxBufferedBytes) {
      debug("%s buffer overflow (%d bytes unflushed)", this.id, backlog);
      this.#finish(EngineCloseReason.bufferOverflow, undefined, true);
      return;
    }
    if (hasListeners(this, "drain") && t.writable) this.emit("drain");
  }

  // ---- timers ----

  #arm(ms: number): void {
    let e = this.#deadline;
    if (e === null) {
      e = new TimerEntry<Session>(this);
      this.#deadline = e;
    }
    if (e.list === null) engineStats.liveTimers++;
    heartbeats.arm(e, ms);
  }

  /** Called by the shared timer wheel when this session's deadline is due. */
  static onDeadline(s: Session): void {
    engineStats.liveTimers--;
    if (s.#state === "closing") {
      s.#finish(EngineCloseReason.forcedClose, undefined, false);
    } else if (s.#awaitingPong) {
      debug("%s ping timeout", s.id);
      s.#finish(EngineCloseReason.pingTimeout, undefined, false);
    } else if (s.#state === "open") {
      s.#awaitingPong = true;
      s.#enqueue(PING);
      if (s.#state === "open") s.#arm(s.#host.options.pingTimeout);
    }
  }

  static #onUpgradeTimeout(s: Session): void {
    s.#upgradeTimer = null;
    engineStats.liveTimers--;
    debug("%s upgrade timeout", s.id);
    s.#dropProbe();
  }

  #clearTimers(): void {
    const e = this.#deadline;
    if (e !== null && e.list !== null) {
      heartbeats.disarm(e);
      engineStats.liveTimers--;
    }
    if (this.#upgradeTimer !== null) {
      clearTimeout(this.#upgradeTimer);
      this.#upgradeTimer = null;
      engineStats.liveTimers--;
    }
  }

  // ---- incoming ----

  #onPacket(packet: EnginePacket): void {
    if (this.#state !== "open") {
      // The client's own close while ours waits for its next GET ends the wait.
      if (this.#state === "closing" && packet.type === "close") {
        this.#finish(EngineCloseReason.forcedClose, undefined, false, NOOP);
      }
      return;
    }
    this.emit("packet", packet);
    switch (packet.type) {
      case "message": {
        let data = packet.data ?? "";
        // Polling payloads decode base64 to a Uint8Array; hand Node users a Buffer, as ws does.
        if (typeof data !== "string" && !Buffer.isBuffer(data)) {
          data =
            data instanceof ArrayBuffer
              ? Buffer.from(data)
              : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        }
        if (this.#handler !== null) this.#handler.onMessage(data);
        else this.emit("message", data);
        break;
      }
      case "ping":
        // v3: the client's heartbeat, answered with a pong carrying the same data. A v4
        // client has no reason to ping (the server does): ignored, as before.
        if (this.#eio3 !== null) {
          this.#enqueue(packet.data === undefined ? PONG : controlPacket("3", String(packet.data)));
          if (this.#state === "open") {
            this.#arm(this.#host.options.pingInterval + this.#host.options.pingTimeout);
          }
          this.emit("heartbeat");
        }
        break;
      case "pong":
        if (this.#awaitingPong && this.#eio3 === null) {
          this.#awaitingPong = false;
          this.#arm(this.#host.options.pingInterval);
        }
        this.emit("heartbeat");
        break;
      case "close":
        debug("%s client sent close", this.id);
        this.#finish(EngineCloseReason.transportClose, undefined, false, NOOP);
        break;
      default:
        // noop, upgrade on the current transport: nothing to do.
        break;
    }
  }

  onPollingPackets(packets: EnginePacket[]): void {
    for (let i = 0; i < packets.length && this.#state !== "closed"; i++)
      this.#onPacket(packets[i]!);
  }

  onPollingGet(): void {
    const t = this.#transport;
    if (t.name !== "polling") return;
    if (this.#state === "closing") {
      // Messages queued before close() first; the close packet goes with the GET after.
      if (this.#queue !== null && this.#queue.length > 0) this.#flush();
      else this.#finish(EngineCloseReason.forcedClose, undefined, false);
      return;
    }
    // While the client pauses polling for the upgrade, a GET is answered at once (noop).
    if (this.#upgradeState === "probed" && this.#queue === null) this.#queue = [NOOP];
    if (this.#queue !== null) this.#flush();
  }

  onPollingError(reason: "transport error" | "parse error", description: unknown): void {
    if (this.#state === "closing") {
      this.#finish(EngineCloseReason.forcedClose, undefined, false);
      return;
    }
    debug("%s polling %s: %o", this.id, reason, description);
    this.#finish(reason, description, false);
  }

  onWebSocketFrame(t: AnyWebSocketTransport, data: Buffer, isBinary: boolean): void {
    let packet: EnginePacket;
    if (isBinary && this.#eio3 === null) {
      packet = { type: "message", data };
    } else {
      try {
        // v3: a binary frame starts with its type byte; text frames may be "b4<base64>".
        packet =
          this.#eio3 === null
            ? decodeEnginePacket(data.toString("utf8"))
            : decodeV3WebSocketFrame(isBinary ? data : data.toString("utf8"));
      } catch (err) {
        if (t === this.#probe) this.#dropProbe();
        else this.#finish(EngineCloseReason.parseError, err, true);
        return;
      }
    }
    if (t === this.#transport) this.#onPacket(packet);
    else if (t === this.#probe) this.#onProbePacket(t, packet);
  }

  onWebSocketClose(t: AnyWebSocketTransport, error: Error | undefined): void {
    if (t === this.#probe) {
      this.#probe = null;
      this.#dropProbe();
      return;
    }
    if (t !== this.#transport) return;
    if (this.#state === "closing") {
      this.#finish(EngineCloseReason.forcedClose, undefined, false);
      return;
    }
    this.#finish(
      error === undefined ? EngineCloseReason.transportClose : EngineCloseReason.transportError,
      error,
      false,
    );
  }

  /**
   * Replies written while the frames of one read are handled (an ack, the CONNECT answer;
   * `#enqueue` puts the session on the after-reads list) leave in one write per session
   * once every socket readable in this event-loop iteration has been read: one setImmediate per iteration instead of a microtask per read, and the
   * writes of all sessions in one burst, which wakes each peer once per burst rather than
   * once per reply (measured on the ack echo: +5% round trips/s, p50 0.40 → 0.30 ms).
   * Nothing waits past the iteration it was written in.
   */
  onWebSocketReadStart(t: AnyWebSocketTransport): void {
    if (t === this.#transport) this.#reading = true;
  }

  onWebSocketReadEnd(_t: AnyWebSocketTransport): void {
    this.#reading = false;
  }

  onWebSocketDrain(t: AnyWebSocketTransport): void {
    if (t === this.#transport && this.#state === "open") this.emit("drain");
  }

  // ---- upgrade (spec "Upgrade") ----

  /**
   * Takes a probe WebSocket opened with this session's sid. A session that cannot take one
   * (already on WebSocket, a probe in progress, closing) closes it with 1008 after its 101:
   * "a client MUST NOT open more than one WebSocket connection per session. Should it
   * happen, the server MUST close the WebSocket connection" (spec "WebSocket"). The session
   * itself is not affected.
   */
  attachProbe(probe: AnyWebSocketTransport): void {
    if (
      this.#state !== "open" ||
      this.#upgradeState !== "none" ||
      this.#transport.name !== "polling"
    ) {
      debug("%s extra WebSocket closed (%s, %s)", this.id, this.#state, this.#transport.name);
      probe.close(1008);
      return;
    }
    debug("%s probe attached", this.id);
    probe.owner = this;
    this.#probe = probe;
    this.#upgradeState = "probing";
    engineStats.liveTimers++;
    this.#upgradeTimer = setTimeout(
      Session.#onUpgradeTimeout,
      this.#host.options.upgradeTimeout,
      this,
    );
  }

  #onProbePacket(probe: AnyWebSocketTransport, packet: EnginePacket): void {
    if (packet.type === "ping" && packet.data === "probe" && this.#upgradeState === "probing") {
      probe.sendText("3probe");
      this.#upgradeState = "probed";
      this.emit("upgrading", probe);
      const t = this.#transport;
      if (t.name === "polling" && t.hasPendingGet) {
        if (this.#queue === null) this.#queue = [NOOP];
        this.#flush();
      }
    } else if (packet.type === "upgrade" && this.#upgradeState === "probed") {
      this.#completeUpgrade(probe);
    } else {
      debug("%s unexpected probe packet %s", this.id, packet.type);
      this.#dropProbe();
    }
  }

  #completeUpgrade(probe: AnyWebSocketTransport): void {
    if (this.#upgradeTimer !== null) {
      clearTimeout(this.#upgradeTimer);
      this.#upgradeTimer = null;
      engineStats.liveTimers--;
    }
    const old = this.#transport;
    this.#probe = null;
    this.#upgradeState = "none";
    this.#transport = probe;
    this.#upgraded = true;
    if (old.name === "polling") old.close(this.#pollingText(NOOP));
    debug("%s upgraded to websocket", this.id);
    this.emit("upgrade", probe);
    this.#flush();
    // close() came while polling was paused for the upgrade: finish as over WebSocket.
    if (this.#state === "closing") this.#finish(EngineCloseReason.forcedClose, undefined, false);
  }

  #dropProbe(): void {
    if (this.#upgradeTimer !== null) {
      clearTimeout(this.#upgradeTimer);
      this.#upgradeTimer = null;
      engineStats.liveTimers--;
    }
    const probe = this.#probe;
    this.#probe = null;
    this.#upgradeState = "none";
    probe?.terminate();
    // A GET that came in while the client was paused may be waiting for data again.
  }

  /** A control packet as a whole polling answer, in the session's protocol version. */
  #pollingText(m: PreparedMessage): string {
    return this.#eio3 === null ? pollingForm(m) : eio3PollingText(m);
  }

  // ---- close ----

  /**
   * `pollAnswer`: what a held GET is answered with. The close packet when the server ends
   * the session; a noop when the client did (its close packet): the client is gone and needs
   * no close of ours, and the official test suite expects "6" there ("close", HTTP
   * long-polling), as engine.io answers.
   */
  #finish(
    reason: string,
    description: unknown,
    abrupt: boolean,
    pollAnswer: PreparedMessage = CLOSE,
  ): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    debug("%s closed: %s", this.id, reason);
    this.#clearTimers();
    if (this.#probe !== null) {
      this.#probe.terminate();
      this.#probe = null;
    }
    const t = this.#transport;
    if (t.name === "websocket") {
      if (abrupt) t.terminate();
      else t.close();
    } else {
      t.close(this.#pollingText(pollAnswer));
    }
    this.#queue = null;
    this.#queuedBytes = 0;
    engineStats.liveSessions--;
    this.#host.onSessionClosed(this);
    const handler = this.#handler;
    this.#handler = null;
    handler?.onClose(reason, description);
    this.emit("close", reason, description);
  }
}

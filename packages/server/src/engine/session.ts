import { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import {
  decodeEnginePacket,
  decodeV3WebSocketFrame,
  type EnginePacket,
} from "@switchboard/protocol";
import createDebug from "debug";
import type { Eio3State } from "./eio3.js";
import { type Flushable, scheduleFlush } from "./flush-rounds.js";
import {
  CLOSE,
  controlPacket,
  type FrameBatch,
  frameSize,
  NOOP,
  PING,
  PONG,
  PreparedMessage,
} from "./framing.js";
import { engineStats } from "./internal.js";
import { type EngineObserver, kEngineObserver, type UpgradeOutcome } from "./observer.js";
import { openPacket } from "./open-packet.js";
import type { ResolvedEngineOptions } from "./options.js";
import { TimerEntry, TimerWheel } from "./timer-wheel.js";
import type {
  Transport,
  TransportEndReason,
  TransportOwner,
  WebSocketTransport,
} from "./transports/transport.js";
import {
  EngineCloseReason,
  type EngineConnection,
  type EngineConnectionHandler,
  type EngineReadyState,
  type EngineSessionId,
  type OutgoingMessage,
  type SendOptions,
} from "./types.js";
import { ProbeUpgrade, type UpgradeTarget } from "./upgrade.js";

const debug = createDebug("switchboard:engine:session");

/** Longest wait, after a polling close() flushed its messages, for the GET that takes the close packet, ms. */
const CLOSE_WAIT_MS = 5_000;

/** Heartbeat and close-wait deadlines of every session: one Node timer per duration. */
const heartbeats = new TimerWheel<Session>((s) => Session.onDeadline(s));

/** What a session needs from its server. */
export interface SessionHost {
  readonly options: ResolvedEngineOptions;
  /** The metrics collector, if one is installed (`@switchboard/server/metrics`). */
  readonly [kEngineObserver]?: EngineObserver | undefined;
  onSessionClosed(session: Session): void;
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
  implements EngineConnection, TransportOwner, Flushable, UpgradeTarget
{
  readonly id: EngineSessionId;
  readonly request: IncomingMessage;

  #host: SessionHost;
  #remoteAddress: string | undefined = undefined;
  #transport: Transport;
  /** The upgrade in progress (a probe WebSocket attached), or null. */
  #upgrade: ProbeUpgrade | null = null;
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
    // Only a WebSocket's socket lasts as long as the session (see remoteAddress).
    if (transport.upgradable) this.#remoteAddress = request.socket.remoteAddress ?? "";
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
    return this.#upgrade !== null;
  }

  get bufferedBytes(): number {
    return this.#queuedBytes + this.#transport.bufferedAmount;
  }

  setHandler(handler: EngineConnectionHandler): void {
    this.#handler = handler;
  }

  /** The open packet body (spec "Handshake"). */
  openPacket(): string {
    return openPacket(this.id, this.#host.options, this.#transport.upgradable);
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
      if (options.volatile === true && !this.#transport.writable) {
        this.#host[kEngineObserver]?.volatileDropped(messages.length);
        return;
      }
      this.#compress = options.compress !== false;
    }
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (!this.#enqueue(m instanceof PreparedMessage ? m : new PreparedMessage(m))) return;
    }
    // The scheduled flush that follows finds the queue empty and writes nothing.
    if (options?.flush === true && this.#transport.streaming) this.#flush(null);
  }

  close(): void {
    if (this.#state !== "open" && this.#state !== "opening") return;
    debug("%s forced close", this.id);
    this.#state = "closing";
    this.#clearTimers();
    this.#flush(null);
    // The close follows at once where it can reach the peer now: over a WebSocket (its
    // close frame goes after the frames just written), or over polling when a GET is still
    // held after the flush. Over polling the pending messages and the close packet never
    // share a payload: socket.io-client handles a payload's close packet before the
    // messages decoded with it (it defers them), so a Socket.IO DISCONNECT sent with the
    // close would be lost ("transport close" instead of "io server disconnect"). The
    // messages go in one answer, the close in the next.
    const t = this.#transport;
    if (t.streaming || t.writable) {
      this.#finish(EngineCloseReason.forcedClose, undefined, false);
      return;
    }
    // Bounded wait for the next GET: a client that never polls again is closed anyway.
    this.#arm(Math.min(this.#host.options.pingTimeout, CLOSE_WAIT_MS));
  }

  /** Closes right away (server close): no flush. */
  destroy(reason: string): void {
    this.#finish(reason, undefined, false);
  }

  // ---- write path ----

  #enqueue(frame: PreparedMessage): boolean {
    if (this.#queue === null) this.#queue = [frame];
    else this.#queue.push(frame);
    this.#queuedBytes += frameSize(frame);
    const observer = this.#host[kEngineObserver];
    if (observer !== undefined) observer.sent(frame);
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
      scheduleFlush(this, this.#reading);
    }
    return true;
  }

  /** Called by the flush round this session joined (flush-rounds.ts). */
  flushInRound(batch: FrameBatch): void {
    this.#flushScheduled = false;
    this.#flush(batch);
  }

  /**
   * Writes the queue (one polling answer, or one write of frames). `batch`: the round's
   * (flush-rounds.ts), or null for a flush outside a round (`flush: true`, close, upgrade).
   */
  #flush(batch: FrameBatch | null): void {
    const queue = this.#queue;
    if (this.#state === "closed" || queue === null || queue.length === 0) return;
    const t = this.#transport;
    const queued = this.#queuedBytes;
    this.#queue = null;
    this.#queuedBytes = 0;
    if (!t.write(queue, this.#compress, batch)) {
      // Polling without a held GET: the next GET takes the queue.
      this.#queue = queue;
      this.#queuedBytes = queued;
      return;
    }
    const backlog = t.bufferedAmount;
    this.#backlog = backlog;
    if (backlog > this.#host.options.maxBufferedBytes) {
      debug("%s buffer overflow (%d bytes unflushed)", this.id, backlog);
      this.#finish(EngineCloseReason.bufferOverflow, undefined, true);
      return;
    }
    // A poll answer is complete once written; a WebSocket has drained when its socket is
    // not backed up.
    if (hasListeners(this, "drain") && (!t.streaming || t.writable)) this.emit("drain");
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

  #clearTimers(): void {
    const e = this.#deadline;
    if (e !== null && e.list !== null) {
      heartbeats.disarm(e);
      engineStats.liveTimers--;
    }
    // A probe in progress stays: close() during the upgrade finishes once it completes.
    this.#upgrade?.stopTimer();
  }

  // ---- incoming ----

  /** `bytes`: the packet's size on the wire when known (a WebSocket frame), else -1. */
  #onPacket(packet: EnginePacket, bytes: number): void {
    if (this.#state !== "open") {
      // The client's own close while ours waits for its next GET ends the wait.
      if (this.#state === "closing" && packet.type === "close") {
        this.#finish(EngineCloseReason.forcedClose, undefined, false, NOOP);
      }
      return;
    }
    const observer = this.#host[kEngineObserver];
    if (observer !== undefined) observer.received(packet, bytes);
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

  // ---- TransportOwner: what the transports report ----

  onPackets(t: Transport, packets: readonly EnginePacket[]): void {
    if (t !== this.#transport) return;
    for (let i = 0; i < packets.length && this.#state !== "closed"; i++)
      this.#onPacket(packets[i]!, -1);
  }

  onPoll(t: Transport): void {
    if (t !== this.#transport) return;
    if (this.#state === "closing") {
      // Messages queued before close() first; the close packet goes with the GET after.
      if (this.#queue !== null && this.#queue.length > 0) this.#flush(null);
      else this.#finish(EngineCloseReason.forcedClose, undefined, false);
      return;
    }
    // While the client pauses polling for the upgrade, a GET is answered at once (noop).
    if (this.#upgrade?.probed === true && this.#queue === null) this.#queue = [NOOP];
    if (this.#queue !== null) this.#flush(null);
  }

  onFrame(t: Transport, data: Buffer, isBinary: boolean): void {
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
        if (t === this.#transport) this.#finish(EngineCloseReason.parseError, err, true);
        else if (t === this.#upgrade?.probe) this.#dropProbe("failed");
        return;
      }
    }
    // An Engine.IO v4 frame is the packet exactly (v3 text frames may carry base64).
    if (t === this.#transport) this.#onPacket(packet, this.#eio3 === null ? data.length : -1);
    else if (this.#upgrade !== null && t === this.#upgrade.probe) this.#upgrade.onPacket(packet);
  }

  onTransportClose(t: Transport, reason: TransportEndReason, description: unknown): void {
    const upgrade = this.#upgrade;
    if (upgrade !== null && t === upgrade.probe) {
      // The probe closed or failed on its own: nothing left to terminate.
      this.#upgrade = null;
      upgrade.stopTimer();
      this.#host[kEngineObserver]?.upgrade("closed");
      return;
    }
    if (t !== this.#transport) return;
    if (this.#state === "closing") {
      this.#finish(EngineCloseReason.forcedClose, undefined, false);
      return;
    }
    debug("%s %s: %o", this.id, reason, description);
    this.#finish(reason, description, false);
  }

  /**
   * Replies written while the frames of one read are handled (an ack, the CONNECT answer;
   * `#enqueue` puts the session on the after-reads list) leave in one write per session
   * once every socket readable in this event-loop iteration has been read: one
   * setImmediate per iteration instead of a microtask per read, and the writes of all
   * sessions in one burst, which wakes each peer once per burst rather than once per reply
   * (measured on the ack echo: +5% round trips/s, p50 0.40 → 0.30 ms). Nothing waits past
   * the iteration it was written in.
   */
  onReadStart(t: Transport): void {
    if (t === this.#transport) this.#reading = true;
  }

  onReadEnd(_t: Transport): void {
    this.#reading = false;
  }

  onDrain(t: Transport): void {
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
  attachProbe(probe: WebSocketTransport): void {
    if (this.#state !== "open" || this.#upgrade !== null || !this.#transport.upgradable) {
      debug("%s extra WebSocket closed (%s, %s)", this.id, this.#state, this.#transport.name);
      probe.closeWithCode(1008);
      this.#host[kEngineObserver]?.upgrade("refused");
      return;
    }
    debug("%s probe attached", this.id);
    probe.owner = this;
    this.#upgrade = new ProbeUpgrade(this, probe, this.#host.options.upgradeTimeout);
  }

  /** UpgradeTarget: "3probe" went out; the client pauses polling. */
  probeAnswered(probe: WebSocketTransport): void {
    this.emit("upgrading", probe);
    // The polling GET held now is answered at once.
    if (this.#transport.writable) {
      if (this.#queue === null) this.#queue = [NOOP];
      this.#flush(null);
    }
  }

  /** UpgradeTarget: "5" arrived; from now on everything goes over the probe. */
  upgradeTo(probe: WebSocketTransport): void {
    const old = this.#transport;
    this.#upgrade = null;
    this.#transport = probe;
    this.#upgraded = true;
    // A GET still held is answered with a noop (spec "Upgrade").
    old.close(NOOP);
    debug("%s upgraded to websocket", this.id);
    this.#host[kEngineObserver]?.upgrade("success");
    this.emit("upgrade", probe);
    this.#flush(null);
    // close() came while polling was paused for the upgrade: finish as over WebSocket.
    if (this.#state === "closing") this.#finish(EngineCloseReason.forcedClose, undefined, false);
  }

  /** UpgradeTarget: an unexpected packet on the probe, or `upgradeTimeout`. */
  probeFailed(outcome: "failed" | "timeout"): void {
    this.#dropProbe(outcome);
  }

  /**
   * Ends the probe, if any; the session stays on polling (a GET may be waiting for data
   * again). `outcome`: how the upgrade attempt ended, for the metrics.
   */
  #dropProbe(outcome: UpgradeOutcome): void {
    const upgrade = this.#upgrade;
    if (upgrade === null) return;
    this.#upgrade = null;
    upgrade.cancel();
    this.#host[kEngineObserver]?.upgrade(outcome);
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
    this.#dropProbe("closed");
    if (abrupt) this.#transport.terminate();
    else this.#transport.close(pollAnswer);
    this.#queue = null;
    this.#queuedBytes = 0;
    engineStats.liveSessions--;
    this.#host.onSessionClosed(this);
    this.#host[kEngineObserver]?.closed(reason);
    const handler = this.#handler;
    this.#handler = null;
    handler?.onClose(reason, description);
    this.emit("close", reason, description);
  }
}

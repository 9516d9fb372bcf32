import type { EnginePacket } from "@switchboard/protocol";
import { frameSize, type PreparedMessage, packetType } from "../engine/framing.js";
import type { EngineObserver, UpgradeOutcome } from "../engine/observer.js";
import type { ObservedSocket, SocketObserver } from "../socket/internal.js";
import type { DisconnectReason } from "../socket/reasons.js";
import { TopNames } from "./top-names.js";

/**
 * The `type` label of a packet: Engine.IO control packets by their name, Socket.IO packets
 * (inside engine messages) by theirs, binary attachments as "attachment". With a custom
 * `parser` (msgpack…) messages are opaque: "message".
 */
export const PACKET_TYPES = [
  "open",
  "close",
  "ping",
  "pong",
  "message",
  "upgrade",
  "noop",
  "connect",
  "disconnect",
  "event",
  "ack",
  "connect_error",
  "binary_event",
  "binary_ack",
  "attachment",
] as const;

const ENGINE_TYPE_INDEX: Record<EnginePacket["type"], number> = {
  open: 0,
  close: 1,
  ping: 2,
  pong: 3,
  message: 4,
  upgrade: 5,
  noop: 6,
};
const MESSAGE = 4;
const FIRST_SOCKET_TYPE = 7;
const ATTACHMENT = 14;

/** Reasons outside the known tables are counted as "other" (labels stay bounded). */
const OTHER = "other";

/**
 * The plain counters behind the metrics: the engine and socket hooks add to numbers and
 * small fixed tables here (no label hashing, no allocation on the hot paths); prom-client
 * reads them at each scrape.
 */
export class Collector implements EngineObserver, SocketObserver {
  readonly packetsIn = new Float64Array(PACKET_TYPES.length);
  readonly bytesIn = new Float64Array(PACKET_TYPES.length);
  readonly packetsOut = new Float64Array(PACKET_TYPES.length);
  readonly bytesOut = new Float64Array(PACKET_TYPES.length);
  readonly events: TopNames;
  /** Counts by a label from a bounded set (the known reasons, outcomes, codes; "other" beyond). */
  readonly disconnects = new Map<string, number>();
  readonly engineCloses = new Map<string, number>();
  readonly upgrades = new Map<string, number>();
  readonly handshakes = new Map<string, number>();
  readonly refusals = new Map<string, number>();
  readonly connections = new Map<string, number>();
  readonly recoveries = new Map<string, number>();
  bufferOverflows = 0;
  volatileDrops = 0;
  ackTimeouts = 0;
  /** The message {@link sent} saw last, its type index and size. */
  #lastSent: PreparedMessage | null = null;
  #lastType = 0;
  #lastBytes = 0;
  #repeats = 0;
  readonly #customParser: boolean;
  readonly #knownReasons: ReadonlySet<string>;
  readonly #observeAck: (seconds: number) => void;
  /** Namespaces left out (the dashboard's own): live, see hiddenNamespaces. */
  readonly #hidden: ReadonlySet<string>;

  constructor(
    topEvents: number,
    customParser: boolean,
    knownReasons: ReadonlySet<string>,
    observeAck: (seconds: number) => void,
    hidden: ReadonlySet<string> = new Set(),
  ) {
    this.#hidden = hidden;
    this.events = new TopNames(topEvents);
    this.#customParser = customParser;
    this.#knownReasons = knownReasons;
    this.#observeAck = observeAck;
  }

  // ---- EngineObserver ----

  received(packet: EnginePacket, frameBytes: number): void {
    const data = packet.data;
    let type: number;
    if (packet.type === "message") {
      if (typeof data === "string") type = this.#messageType(data);
      else type = this.#customParser || data === undefined ? MESSAGE : ATTACHMENT;
    } else type = ENGINE_TYPE_INDEX[packet.type];
    // The frame's length when the transport knows it (WebSocket): no UTF-8 count here.
    let bytes = frameBytes;
    if (bytes < 0) {
      bytes = 1;
      if (typeof data === "string") bytes += data.length === 0 ? 0 : Buffer.byteLength(data);
      else if (data !== undefined) bytes = data.byteLength;
    }
    this.packetsIn[type]!++;
    this.bytesIn[type]! += bytes;
  }

  sent(message: PreparedMessage): void {
    // A broadcast queues one message for every recipient in a row: counted as repeats of
    // the last message, classified and added to the tables once (see flushSent). Kept this
    // small so that V8 inlines it into the engine's write path (the rest is #sentNew).
    if (message === this.#lastSent) this.#repeats++;
    else this.#sentNew(message);
  }

  #sentNew(message: PreparedMessage): void {
    this.flushSent();
    let type = packetType(message).charCodeAt(0) - 48;
    const data = message.data;
    if (type === MESSAGE) {
      if (typeof data === "string") type = this.#messageType(data);
      else if (!this.#customParser) type = ATTACHMENT;
    }
    this.#lastSent = message;
    this.#lastType = type;
    this.#lastBytes = frameSize(message);
    this.#repeats = 1;
  }

  /** Adds the repeats of the last sent message to the tables (before a scrape reads them). */
  flushSent(): void {
    const n = this.#repeats;
    if (n === 0) return;
    this.packetsOut[this.#lastType]! += n;
    this.bytesOut[this.#lastType]! += n * this.#lastBytes;
    this.#repeats = 0;
  }

  volatileDropped(count: number): void {
    this.volatileDrops += count;
  }

  closed(reason: string): void {
    bump(this.engineCloses, this.#knownReasons.has(reason) ? reason : OTHER);
    if (reason === "buffer overflow") this.bufferOverflows++;
  }

  upgrade(outcome: UpgradeOutcome): void {
    bump(this.upgrades, outcome);
  }

  #messageType(data: string): number {
    if (this.#customParser) return MESSAGE;
    const digit = data.charCodeAt(0) - 48;
    return digit >= 0 && digit <= 6 ? FIRST_SOCKET_TYPE + digit : MESSAGE;
  }

  // ---- SocketObserver ----

  connected(socket: ObservedSocket): void {
    if (this.#hidden.size !== 0 && this.#hidden.has(socket.nsp.name)) return;
    bump(this.connections, socket.recovered ? "true" : "false");
    const asked = typeof socket.handshake.auth.pid === "string";
    if (asked && socket.nsp.connectionStateRecovery !== undefined)
      bump(this.recoveries, socket.recovered ? "true" : "false");
  }

  disconnected(socket: ObservedSocket, reason: DisconnectReason): void {
    if (this.#hidden.size !== 0 && this.#hidden.has(socket.nsp.name)) return;
    bump(this.disconnects, this.#knownReasons.has(reason) ? reason : OTHER);
  }

  event(name: string, nsp: string): void {
    if (this.#hidden.size !== 0 && this.#hidden.has(nsp)) return;
    this.events.add(name);
  }

  ack(ack: (...args: unknown[]) => void, errorFirst: boolean): (...args: unknown[]) => void {
    const start = performance.now();
    const observe = this.#observeAck;
    const collector = this;
    return function (this: unknown, ...args: unknown[]) {
      // Error-first acks hear a timeout or a disconnection as a SocketError first argument.
      const err = errorFirst ? args[0] : null;
      if (err === null || err === undefined) observe((performance.now() - start) / 1000);
      else if ((err as { code?: unknown }).code === "SB_ERR_ACK_TIMEOUT") collector.ackTimeouts++;
      ack.apply(this, args);
    };
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

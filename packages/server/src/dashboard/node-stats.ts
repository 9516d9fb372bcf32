import type { EnginePacket } from "@switchboard/protocol";
import { type PreparedMessage, packetType } from "../engine/framing.js";
import type { EngineObserver } from "../engine/observer.js";
import type { ObservedSocket, SocketObserver } from "../socket/internal.js";
import type { DisconnectReason } from "../socket/reasons.js";

/** One second of this node's traffic, as the dashboard charts it. */
export interface SecondSample {
  /** Start of the second, ms since the epoch. */
  t: number;
  /** Events received from clients (the dashboard's own namespace left out). */
  in: number;
  /** Event packets queued for clients (each recipient of a broadcast counts). */
  out: number;
  /** Ack round trips (server `emit(…, ack)` answered) completed in the second. */
  acks: number;
  /** Median and 95th percentile of those round trips, ms; null without acks. */
  p50: number | null;
  p95: number | null;
}

/** A disconnect, as the dashboard lists it. */
export interface DisconnectRecord {
  t: number;
  id: string;
  nsp: string;
  reason: string;
}

/** Sizes of what {@link NodeStats} keeps. */
export interface NodeStatsLimits {
  /** Seconds of history kept (and sent). */
  historySeconds: number;
  /** Disconnects kept (the latest). */
  disconnects: number;
  /** Ack round trips kept per second for the percentiles (a uniform sample beyond). */
  ackSamples: number;
}

const MESSAGE = 4;
const EVENT = 50; // "2"
const BINARY_EVENT = 53; // "5"

/**
 * This node's traffic for the dashboard: events in and out and ack round trips per second
 * over the last minute, and the latest disconnect reasons. It watches the server through
 * the same observer slots as the metrics (one increment per event on the hot paths); the
 * per-second rows and the disconnect ring are fixed-size.
 */
export class NodeStats implements SocketObserver, EngineObserver {
  readonly #limits: NodeStatsLimits;
  readonly #ownNamespace: string;
  readonly #customParser: boolean;
  readonly #history: SecondSample[] = [];
  readonly #disconnects: DisconnectRecord[] = [];
  #disconnectHead = 0;
  #second: number;
  #in = 0;
  #out = 0;
  #acks = 0;
  /** Round trips of the current second, ms (reservoir of at most `ackSamples`). */
  readonly #samples: number[] = [];
  readonly #now: () => number;

  constructor(
    limits: NodeStatsLimits,
    ownNamespace: string,
    customParser: boolean,
    now: () => number = Date.now,
  ) {
    this.#limits = limits;
    this.#ownNamespace = ownNamespace;
    this.#customParser = customParser;
    this.#now = now;
    this.#second = Math.floor(now() / 1000) * 1000;
  }

  /** The full seconds of the last minute, oldest first (the current second is not complete). */
  history(): SecondSample[] {
    this.#roll();
    return [...this.#history];
  }

  /** The latest disconnects, newest first. */
  disconnects(): DisconnectRecord[] {
    const ring = this.#disconnects;
    const out: DisconnectRecord[] = [];
    for (let i = 1; i <= ring.length; i++) {
      out.push(ring[(this.#disconnectHead - i + ring.length) % ring.length]!);
    }
    return out;
  }

  /** Closes the seconds that have passed into history rows. */
  #roll(): void {
    const now = this.#now();
    if (now < this.#second + 1000) return;
    this.#history.push(this.#closeSecond());
    // Quiet seconds in between (no traffic, no call): zero rows, at most a minute of them.
    const keep = this.#limits.historySeconds;
    let t = this.#second + 1000;
    const current = Math.floor(now / 1000) * 1000;
    const from = Math.max(t, current - keep * 1000);
    for (t = from; t < current; t += 1000) {
      this.#history.push({ t, in: 0, out: 0, acks: 0, p50: null, p95: null });
    }
    this.#second = current;
    if (this.#history.length > keep) this.#history.splice(0, this.#history.length - keep);
  }

  #closeSecond(): SecondSample {
    const samples = this.#samples.sort((a, b) => a - b);
    const row: SecondSample = {
      t: this.#second,
      in: this.#in,
      out: this.#out,
      acks: this.#acks,
      p50: percentile(samples, 0.5),
      p95: percentile(samples, 0.95),
    };
    this.#in = 0;
    this.#out = 0;
    this.#acks = 0;
    samples.length = 0;
    return row;
  }

  #ackDone(ms: number): void {
    this.#roll();
    const n = ++this.#acks;
    const samples = this.#samples;
    if (samples.length < this.#limits.ackSamples) samples.push(ms);
    else {
      // Reservoir sampling: each round trip of the second is kept with the same chance.
      const slot = Math.floor(Math.random() * n);
      if (slot < samples.length) samples[slot] = ms;
    }
  }

  // ---- SocketObserver ----

  connected(_socket: ObservedSocket): void {}

  disconnected(socket: ObservedSocket, reason: DisconnectReason): void {
    if (socket.nsp.name === this.#ownNamespace) return;
    const record = { t: this.#now(), id: socket.id, nsp: socket.nsp.name, reason };
    const ring = this.#disconnects;
    if (ring.length < this.#limits.disconnects) ring.push(record);
    else ring[this.#disconnectHead] = record;
    this.#disconnectHead = (this.#disconnectHead + 1) % this.#limits.disconnects;
  }

  event(_name: string, nsp: string): void {
    if (nsp === this.#ownNamespace) return;
    this.#roll();
    this.#in++;
  }

  ack(ack: (...args: unknown[]) => void, errorFirst: boolean): (...args: unknown[]) => void {
    const start = performance.now();
    const stats = this;
    return function (this: unknown, ...args: unknown[]) {
      const err = errorFirst ? args[0] : null;
      if (err === null || err === undefined) stats.#ackDone(performance.now() - start);
      ack.apply(this, args);
    };
  }

  // ---- EngineObserver ----

  received(_packet: EnginePacket): void {}

  sent(message: PreparedMessage): void {
    if (packetType(message).charCodeAt(0) - 48 !== MESSAGE) return;
    const data = message.data;
    if (typeof data === "string") {
      const c = data.charCodeAt(0);
      if (c !== EVENT && c !== BINARY_EVENT) return;
    } else if (!this.#customParser) return; // an attachment of a binary event
    this.#roll();
    this.#out++;
  }

  volatileDropped(_count: number): void {}
  closed(_reason: string): void {}
  upgrade(): void {}
}

/** Nearest-rank percentile of sorted `values`, rounded to 0.01 ms; null when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return Math.round(sorted[index]! * 100) / 100;
}

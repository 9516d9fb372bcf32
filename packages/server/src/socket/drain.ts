import debugModule from "debug";
import type { EngineConnection } from "../engine/index.js";

const debug = debugModule("switchboard:drain");

/** What a drain closes: one client connection (Client implements it). */
export interface DrainTarget {
  readonly conn: EngineConnection;
  /** Close its sockets ("server shutting down"), then its engine connection. */
  shutdown(): void;
}

/** Options of `io.drain()`. */
export interface DrainOptions {
  /**
   * The window the connections' closes are spread over, ms: each one closes at a moment
   * drawn uniformly from `[0, spread)`. 0 closes them all at once. Default: the server's
   * `drainSpread` option (3000).
   */
  spread?: number;
}

interface Pending {
  readonly target: DrainTarget;
  at: number;
}

/**
 * The closing moments of a drain: each connection gets one, drawn uniformly over the
 * spread, and one timer at a time waits for the earliest (not one timer per connection).
 * `finished` resolves once every connection handed over has closed, or `grace` ms after
 * the last moment, whichever comes first (a polling session waits for its next GET to
 * carry the close packet; the caller then closes what is left without waiting).
 */
export class DrainSchedule {
  /** Moments not reached yet, latest first: the next one is at the end. */
  #pending: Pending[] = [];
  /** Engine connections shut down and not closed yet. */
  readonly #closing = new Set<EngineConnection>();
  readonly #graceMs: number;
  #timer: NodeJS.Timeout | undefined;
  /** Armed once no moment is left, while connections are still closing. */
  #graceTimer: NodeJS.Timeout | undefined;
  /** When the spread ends (ms since the epoch). */
  #end = 0;
  /** No wait for closing connections once a spread of 0 was asked for. */
  #immediate = false;
  #done = false;
  #resolve!: () => void;
  /** Resolves once every connection is closed, or the grace after the last moment ran out. */
  readonly finished: Promise<void>;

  constructor(graceMs: number) {
    this.#graceMs = graceMs;
    this.finished = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  /** Connections whose moment has not come yet. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Connections shut down whose engine connection has not closed yet. */
  get closing(): number {
    return this.#closing.size;
  }

  /** Give each target a moment within `spread` ms from now; a spread of 0 closes them now. */
  start(targets: Iterable<DrainTarget>, spread: number): void {
    const now = Date.now();
    this.#end = now + spread;
    if (spread === 0) this.#immediate = true;
    for (const target of targets) this.#pending.push({ target, at: now + Math.random() * spread });
    this.#pending.sort(latestFirst);
    this.#run();
  }

  /** A connection opened during the drain: it gets a moment within what is left of the spread. */
  add(target: DrainTarget): void {
    if (this.#done) {
      this.#shut(target);
      return;
    }
    const now = Date.now();
    const at = now + Math.random() * Math.max(0, this.#end - now);
    const pending = this.#pending;
    let i = pending.length;
    while (i > 0 && pending[i - 1]!.at < at) i--;
    pending.splice(i, 0, { target, at });
    this.#run();
  }

  /**
   * Bring the moments forward: each one not reached yet becomes the earlier of itself and
   * a new moment drawn within `spread` ms from now (a second SIGTERM: `spread` 0, now).
   */
  hurry(spread: number): void {
    if (this.#done) return;
    const now = Date.now();
    this.#end = Math.min(this.#end, now + spread);
    if (spread === 0) this.#immediate = true;
    for (const entry of this.#pending) {
      entry.at = Math.min(entry.at, now + Math.random() * spread);
    }
    this.#pending.sort(latestFirst);
    this.#run();
  }

  /** Stop: no more closes, no timer left; `finished` resolves. */
  stop(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#graceTimer);
    this.#timer = undefined;
    this.#graceTimer = undefined;
    this.#pending = [];
    this.#closing.clear();
    this.#done = true;
    this.#resolve();
  }

  /** Close every target whose moment has come, then wait for the next one. */
  #run(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = Date.now();
    const pending = this.#pending;
    while (pending.length > 0 && pending[pending.length - 1]!.at <= now) {
      this.#shut(pending.pop()!.target);
    }
    const next = pending[pending.length - 1];
    if (next !== undefined) {
      this.#timer = setTimeout(() => this.#run(), next.at - now);
      return;
    }
    this.#checkFinished();
  }

  #shut(target: DrainTarget): void {
    const conn = target.conn;
    if (conn.readyState !== "closed" && !this.#done) {
      this.#closing.add(conn);
      conn.once("close", () => {
        this.#closing.delete(conn);
        this.#checkFinished();
      });
    }
    target.shutdown();
  }

  #checkFinished(): void {
    if (this.#done || this.#pending.length > 0) return;
    if (this.#closing.size === 0 || this.#immediate) {
      this.stop();
      return;
    }
    if (this.#graceTimer === undefined) {
      debug("%d connections still closing, waiting up to %d ms", this.#closing.size, this.#graceMs);
      this.#graceTimer = setTimeout(() => this.stop(), this.#graceMs);
    }
  }
}

function latestFirst(a: Pending, b: Pending): number {
  return b.at - a.at;
}

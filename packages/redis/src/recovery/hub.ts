import { createHash, randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import debugModule from "debug";
import type { MessageListener, RedisClient } from "../redis-client.js";
import { compareOffsets, type LogEntry, type LogRecord, type RecoveryLog } from "./log.js";
import type { SessionStore } from "./sessions.js";

const debug = debugModule("switchboard:redis:recovery");

/** What the hub needs of a namespace's recovery adapter. */
export interface RecoveryParticipant {
  readonly nsp: { readonly name: string };
  /** Entries of this namespace, in log order. */
  onLogEntries(entries: LogEntry[]): void;
  /** Another node took session `pid` over with generation `gen`. */
  onSessionMoved(pid: string, gen: number): void;
  /** Renew leases, write changed data. */
  renew(): void;
}

/** Options of cluster-wide recovery (`createAdapter(pub, sub, { recovery })`). */
export interface RecoveryOptions {
  /** The durable log. Default: a {@link RedisStreamLog} on the publishing client. */
  log: RecoveryLog;
  /** Where sessions live. Default: a {@link RedisSessionStore} on the publishing client. */
  sessions: SessionStore;
  /** Channel on which nodes tell each other a session moved. Default `"switchboard:recovery#ctl"`. */
  controlChannel: string;
  /** Restores running at once on this node; the others wait their turn. Default 32. */
  maxConcurrentRestores: number;
  /** Restores waiting for a turn; past this a client gets a fresh session. Default 10000. */
  maxQueuedRestores: number;
  /** Packets kept while Redis is unreachable, in order; past this the oldest are dropped. Default 10000. */
  maxQueuedAppends: number;
  /** Live packets held per restoring socket while its history is read. Default 10000. */
  maxHeldPackets: number;
  /** How long a node has to finish a restore before another may claim the session (ms). Default 10000. */
  claimTimeout: number;
  /** How long two identical emitter messages count as one per node (ms). Default 60000. */
  dedupeTtl: number;
  /**
   * Entries per namespace a node keeps in memory, a ring, for restores: a restore whose
   * offset it covers replays from memory without reading the log. Default 10000.
   */
  replayRing: number;
  /**
   * How long (ms) closing waits for the appends already made (emits just before
   * `io.close()`) to reach the log. Default 2000.
   */
  flushTimeout: number;
}

/** How long (ms) and how many of its own entries a node keeps to send again after a data loss. */
const RECENT_MS = 5000;
const RECENT_MAX = 2000;
/** Sequence numbers of a node kept as "may still come" below its highest one. */
const MISSING_MAX = 1000;

interface Pending {
  readonly record: LogRecord;
  readonly seq: number;
}

/**
 * One per server (per `createAdapter` call): the log follower, the ordered append queue
 * that survives Redis faults without losing or duplicating a packet, the restore slots,
 * and the control channel. Namespace adapters join with {@link add}.
 */
/**
 * How a restore attempt on this node ended (the `outcome` label of
 * switchboard_cluster_recoveries_total):
 * - `"ring"` / `"log"`: restored, the missed packets replayed from this node's memory of the
 *   latest entries / read from the Redis stream;
 * - `"no_session"`: no such session in the store (never saved, expired, or restored already);
 * - `"busy"`: another attempt held the session for longer than `claimTimeout`;
 * - `"stale"`: the session is of another log epoch (the log was lost or reset) or namespace;
 * - `"window_passed"`: the log no longer holds what the client missed (trimmed);
 * - `"too_many"`: more missed packets than `maxPackets` / `maxHeldPackets`;
 * - `"refused"`: too many restores waiting (`maxQueuedRestores`), the log not followed yet,
 *   or an invalid offset;
 * - `"error"`: Redis failed in the middle (the session stays restorable).
 */
export const RESTORE_OUTCOMES = [
  "ring",
  "log",
  "no_session",
  "busy",
  "stale",
  "window_passed",
  "too_many",
  "refused",
  "error",
] as const;
export type RestoreOutcome = (typeof RESTORE_OUTCOMES)[number];

export class RecoveryHub extends EventEmitter {
  readonly uid = randomBytes(8).toString("hex");
  readonly log: RecoveryLog;
  readonly sessions: SessionStore;
  readonly options: RecoveryOptions;
  readonly #pub: RedisClient;
  readonly #sub: RedisClient;
  readonly #participants = new Map<string, RecoveryParticipant>();
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  /** Appends sent and not yet answered by Redis. */
  readonly #sending = new Set<Promise<void>>();
  #started = false;
  #firstPosition = "";
  #closed = false;
  // Appends: sent ones wait for the follower (or the reply) to confirm them.
  #seq = 0;
  readonly #inflight = new Map<number, Pending>();
  /**
   * This node's entries read back in the last {@link RECENT_MS}: other nodes may not have
   * read them yet when Redis loses its data; they are sent again then.
   */
  #recent: Array<{ item: Pending; at: number }> = [];
  #queue: Pending[] = [];
  #state: "starting" | "open" | "recovering" = "starting";
  /** Packets dropped because Redis stayed unreachable past `maxQueuedAppends`. */
  droppedAppends = 0;
  // Restore slots.
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  // Emitter / Python messages: occurrence counts per content hash.
  readonly #seen = new Map<string, { count: number; last: number }>();
  /**
   * Per appending node: the highest sequence number dispatched, and the lower ones not seen
   * yet (a later append can reach the log before an earlier one that failed and is sent
   * again: the client library sent the later one after it reconnected). Drops resent
   * duplicates, never a late first copy.
   */
  readonly #origins = new Map<string, { seq: number; at: number; missing: Set<number> }>();
  #renewTimer: NodeJS.Timeout | undefined;
  #renewEvery = 20_000;
  #unState: (() => void) | undefined;

  constructor(pub: RedisClient, sub: RedisClient, options: RecoveryOptions) {
    super();
    this.#pub = pub;
    this.#sub = sub;
    this.log = options.log;
    this.sessions = options.sessions;
    this.options = options;
  }

  get started(): boolean {
    return this.#started;
  }

  /**
   * Restore attempts on this node since it started, by outcome (every namespace), read by
   * `@switchboard/server/metrics`. Only grows.
   */
  readonly restoreOutcomes: Record<RestoreOutcome, number> = Object.fromEntries(
    RESTORE_OUTCOMES.map((o) => [o, 0]),
  ) as Record<RestoreOutcome, number>;

  /** Counts one restore attempt's outcome. */
  countRestore(outcome: RestoreOutcome): void {
    this.restoreOutcomes[outcome]++;
  }

  /** Where this node began following the log (`""` before it started). */
  get firstPosition(): string {
    return this.#firstPosition;
  }

  /** Packets not yet confirmed in the log (for leak checks and monitoring). */
  get pendingAppends(): number {
    return this.#inflight.size + this.#queue.length;
  }

  /** Join a namespace's adapter; the first one starts the follower. */
  add(participant: RecoveryParticipant, renewEvery: number): Promise<void> {
    this.#participants.set(participant.nsp.name, participant);
    if (renewEvery < this.#renewEvery) this.#renewEvery = renewEvery;
    this.#starting ??= this.#start();
    return this.#starting;
  }

  /** Leave; the last one to leave closes the hub (resolved once it is closed). */
  remove(participant: RecoveryParticipant): Promise<void> {
    if (this.#participants.get(participant.nsp.name) === participant) {
      this.#participants.delete(participant.nsp.name);
    }
    return this.#participants.size === 0 ? this.close() : Promise.resolve();
  }

  /**
   * Waits, at most `timeout` ms, until every append made so far is answered by Redis
   * (queued ones sent and answered). Resolves `true` then, `false` at the deadline.
   */
  async flush(timeout: number = this.options.flushTimeout): Promise<boolean> {
    const deadline = Date.now() + timeout;
    while (this.#queue.length > 0 || this.#sending.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0 || this.#closed) return false;
      await Promise.race([Promise.allSettled([...this.#sending]), sleep(Math.min(50, left))]);
    }
    return true;
  }

  /** Flush (bounded by `flushTimeout`), then stop following the log. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (this.#started && !(await this.flush())) {
      debug("closing with %d appends not confirmed", this.pendingAppends);
    }
    this.#closed = true;
    clearInterval(this.#renewTimer);
    this.#unState?.();
    await this.#sub.unsubscribe(this.options.controlChannel, this.#onControl).catch(() => {});
    await this.#starting?.catch(() => {});
    await this.log.stop();
  }

  async #start(): Promise<void> {
    await this.#sub.subscribe(this.options.controlChannel, this.#onControl);
    for (;;) {
      try {
        await this.log.start((entries) => this.#dispatch(entries));
        break;
      } catch (err) {
        if (this.#closed) return;
        debug("log start failed (%s), again", err);
        await sleep(200);
      }
    }
    // This node's appends chain from here (see #send).
    while (!(await this.#rebase((this.#queue[0]?.seq ?? this.#seq + 1) - 1))) {
      if (this.#closed) return;
      await sleep(200);
    }
    this.#firstPosition = this.log.position;
    this.#started = true;
    debug("following the log from %s (epoch %s)", this.log.position, this.log.epoch);
    // Back after a disconnection: Redis may have restarted without its data (recovery
    // reads the epoch and sends again what the log may lack).
    this.#unState = this.#pub.onState((state) => {
      if (state === "ready") void this.#recover();
    });
    // Sessions of sockets that connected before this node followed the log are written
    // again now, with the log's epoch (see the adapter's #record).
    for (const participant of this.#participants.values()) participant.renew();
    this.#renewTimer = setInterval(() => {
      for (const participant of this.#participants.values()) participant.renew();
    }, this.#renewEvery);
    this.#renewTimer.unref();
    this.#state = "open";
    const queued = this.#queue;
    this.#queue = [];
    for (const item of queued) this.#send(item);
  }

  /** Restart this node's chain of appends after `seq`; false when Redis did not take it. */
  async #rebase(seq: number): Promise<boolean> {
    try {
      await this.log.rebase?.(this.uid, seq);
      return true;
    } catch (err) {
      debug("rebase failed: %s", err);
      return false;
    }
  }

  /** Whether the log's epoch changed (Redis lost its data) since this node last read it. */
  async #epochChanged(): Promise<boolean> {
    const log = this.log as RecoveryLog & { refreshEpoch?: () => Promise<string> };
    const before = log.epoch;
    return log.refreshEpoch !== undefined && (await log.refreshEpoch()) !== before;
  }

  // ---- appends ----

  /** Give `record` its place in the log; every node (this one too) delivers it from there. */
  append(record: LogRecord): void {
    const item: Pending = {
      record: { ...record, origin: `${this.uid}:${++this.#seq}` },
      seq: this.#seq,
    };
    if (this.#state === "open") this.#send(item);
    else this.#enqueue(item);
  }

  /**
   * Append a message that every node received (an emitter's, Python's, a socket.io node's)
   * once for the cluster. `raw` identifies it: the n-th identical message within
   * `dedupeTtl` is the same n-th on every node, as Redis delivers a channel in one order.
   */
  appendExternal(record: LogRecord, channel: string, raw: Buffer): void {
    const hash = createHash("sha1").update(channel).update("\0").update(raw).digest("base64url");
    const now = Date.now();
    const window = this.options.dedupeTtl / 2;
    let seen = this.#seen.get(hash);
    if (seen === undefined || now - seen.last > window) {
      seen = { count: 0, last: now };
      this.#seen.set(hash, seen);
      if (this.#seen.size > 100_000) this.#pruneSeen(now, window);
    }
    seen.count++;
    seen.last = now;
    const key = `${hash}:${seen.count}`;
    const attempt = (tries: number): void => {
      this.log.appendOnce(record, key, this.options.dedupeTtl).catch((err: unknown) => {
        if (this.#closed || tries >= 50) {
          debug("external message lost: %s", err);
          return;
        }
        setTimeout(() => attempt(tries + 1), 100).unref();
      });
    };
    attempt(0);
  }

  #pruneSeen(now: number, window: number): void {
    for (const [hash, seen] of this.#seen) {
      if (now - seen.last > window) this.#seen.delete(hash);
    }
    // Still over: drop the oldest half (insertion order).
    if (this.#seen.size > 100_000) {
      let n = this.#seen.size / 2;
      for (const hash of this.#seen.keys()) {
        if (n-- <= 0) break;
        this.#seen.delete(hash);
      }
    }
  }

  #enqueue(item: Pending): void {
    this.#queue.push(item);
    const max = this.options.maxQueuedAppends;
    while (this.#queue.length + this.#inflight.size > max && this.#queue.length > 0) {
      this.#queue.shift();
      this.droppedAppends++;
      if (this.droppedAppends === 1 || this.droppedAppends % 1000 === 0) {
        this.emit("dropped", this.droppedAppends);
      }
    }
  }

  /**
   * Appends are chained (each must follow this node's previous one in the log): a client
   * library that sends a later append after reconnecting while an earlier one failed
   * (node-redis writes its unsent commands then) gets it refused, and recovery sends both
   * again in order.
   */
  #send(item: Pending): void {
    this.#inflight.set(item.seq, item);
    const sending: Promise<void> = this.log
      .append(item.record, { owner: this.uid, seq: item.seq })
      .then(
        // Kept until the follower reads it back (#dispatch): acknowledged is not yet safe, a
        // Redis without persistence that restarts loses it. Past the bound, the oldest
        // acknowledged ones are let go.
        (offset) => {
          if (offset === null) {
            debug("append %d refused (out of turn)", item.seq);
            void this.#recover();
          } else if (this.#inflight.size > this.options.maxQueuedAppends) {
            this.#inflight.delete(item.seq);
          }
        },
        (err: unknown) => {
          debug("append failed: %s", err);
          void this.#recover();
        },
      );
    this.#sending.add(sending);
    void sending.finally(() => this.#sending.delete(sending));
  }

  /**
   * After a failed append: wait for Redis, let the follower read to the log's end (it
   * confirms the appends that did land, by their origin), then send the rest in order.
   */
  async #recover(): Promise<void> {
    if (this.#state === "recovering" || this.#closed) return;
    this.#state = "recovering";
    let lost = false;
    let resend: Pending[] = [];
    for (;;) {
      if (this.#closed) return;
      try {
        if (this.#pub.state !== "ready") throw new Error("redis down");
        if (await this.#epochChanged()) lost = true;
        const last = await this.log.last();
        for (let i = 0; i < 600 && compareOffsets(this.log.position, last) < 0; i++) {
          await sleep(20);
        }
        if (compareOffsets(this.log.position, last) < 0) throw new Error("follower behind");
        // What goes again: the appends not read back, and after a data loss this node's
        // latest entries too (a node that had not read them yet never will otherwise; the
        // others drop the second copy by its origin).
        const again = new Map(this.#inflight);
        if (lost) for (const { item } of this.#recent) again.set(item.seq, item);
        resend = [...again.values()].sort((a, b) => a.seq - b.seq);
        // The chain restarts right before the first of them (or the next append).
        const first = resend[0]?.seq ?? this.#queue[0]?.seq ?? this.#seq + 1;
        if (!(await this.#rebase(first - 1))) throw new Error("rebase failed");
        break;
      } catch (err) {
        debug("recovering appends: %s", err);
        await sleep(100);
      }
    }
    this.#recent = [];
    if (lost) debug("the log lost its data: %d entries sent again", resend.length);
    this.#inflight.clear();
    const queued = this.#queue;
    this.#queue = [];
    this.#state = "open";
    for (const item of resend) this.#send(item);
    for (const item of queued) this.#send(item);
  }

  /** Whether the entry is a second copy of one already dispatched (a client library resent an append whose reply was lost). */
  #duplicate(origin: string | undefined): boolean {
    if (origin === undefined) return false;
    const colon = origin.indexOf(":");
    const node = origin.slice(0, colon);
    const seq = Number(origin.slice(colon + 1));
    const seen = this.#origins.get(node);
    const now = Date.now();
    if (seen === undefined) {
      if (this.#origins.size >= 1000) {
        for (const [id, value] of this.#origins)
          if (now - value.at > 600_000) this.#origins.delete(id);
      }
      this.#origins.set(node, { seq, at: now, missing: new Set() });
      return false;
    }
    seen.at = now;
    if (seq <= seen.seq) return !seen.missing.delete(seq);
    // Skipped numbers may still come: the client library's own queue holds a few hundred at
    // most (bounded per node: the oldest are given up first).
    const max = MISSING_MAX;
    for (let n = Math.max(seen.seq + 1, seq - max); n < seq; n++) seen.missing.add(n);
    for (const n of seen.missing) {
      if (seen.missing.size <= max) break;
      seen.missing.delete(n);
    }
    seen.seq = seq;
    return false;
  }

  #dispatch(all: LogEntry[]): void {
    const prefix = `${this.uid}:`;
    const now = Date.now();
    for (const entry of all) {
      // This node's own entries are confirmed, and kept a little (see #recent).
      if (!entry.origin?.startsWith(prefix)) continue;
      const seq = Number(entry.origin.slice(prefix.length));
      const item = this.#inflight.get(seq);
      if (item === undefined) continue;
      this.#inflight.delete(seq);
      this.#recent.push({ item, at: now });
    }
    const recent = this.#recent;
    while (
      recent.length > RECENT_MAX ||
      (recent[0] !== undefined && recent[0].at < now - RECENT_MS)
    ) {
      recent.shift();
    }
    const entries = all.filter((entry) => !this.#duplicate(entry.origin));
    let byNsp: Map<string, LogEntry[]> | undefined;
    let only: LogEntry[] | undefined;
    let onlyNsp: string | undefined;
    for (const entry of entries) {
      if (only === undefined) {
        only = [entry];
        onlyNsp = entry.nsp;
      } else if (byNsp === undefined && entry.nsp === onlyNsp) {
        only.push(entry);
      } else {
        if (byNsp === undefined) byNsp = new Map([[onlyNsp ?? "/", only]]);
        const list = byNsp.get(entry.nsp);
        if (list === undefined) byNsp.set(entry.nsp, [entry]);
        else list.push(entry);
      }
    }
    if (byNsp === undefined) {
      if (only !== undefined && onlyNsp !== undefined) {
        this.#participants.get(onlyNsp)?.onLogEntries(only);
      }
      return;
    }
    for (const [nsp, list] of byNsp) this.#participants.get(nsp)?.onLogEntries(list);
  }

  // ---- restores ----

  /** Wait for a restore slot; `false` when too many wait already. */
  async acquire(): Promise<boolean> {
    if (this.#running < this.options.maxConcurrentRestores) {
      this.#running++;
      return true;
    }
    if (this.#waiting.length >= this.options.maxQueuedRestores) return false;
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
    return true;
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#running--;
  }

  /** Tell the other nodes (and this one) that `pid` now has generation `gen`. */
  announceMoved(pid: string, gen: number): void {
    this.#pub
      .publish(this.options.controlChannel, JSON.stringify({ pid, gen, uid: this.uid }))
      .catch((err: unknown) => debug("move notice not sent: %s", err));
  }

  readonly #onControl: MessageListener = (_channel, payload) => {
    if (payload.length > 1024) return;
    try {
      const message = JSON.parse(payload.toString()) as { pid?: unknown; gen?: unknown };
      if (typeof message.pid !== "string" || typeof message.gen !== "number") return;
      for (const participant of this.#participants.values()) {
        participant.onSessionMoved(message.pid, message.gen);
      }
    } catch (err) {
      debug("bad control message: %s", err);
    }
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

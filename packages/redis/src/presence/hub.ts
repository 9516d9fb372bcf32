import { randomBytes } from "node:crypto";
import type {
  PresenceBackend,
  PresenceChange,
  PresenceRecord,
  PresenceReplica,
} from "@switchboard/server";
import debugModule from "debug";
import type { MessageListener, RedisClient, RedisState } from "../redis-client.js";
import {
  changeToWire,
  type PresenceWire,
  readChange,
  readMessage,
  readRecord,
  recordToWire,
  type WireChange,
  type WireRecord,
} from "./wire.js";

const debug = debugModule("switchboard:redis:presence");

/** Options of cluster presence (`createAdapter(pub, sub, { presence })`). Times in ms. */
export interface RedisPresenceOptions {
  /** The channel of presence messages. Default `"switchboard:presence#<key>"`. */
  channel: string;
  /** How often a node says it is alive (and its last sequence number). Default 2000 ms. */
  heartbeatInterval: number;
  /**
   * A node not heard from for this long is gone: its records are removed (its identities
   * leave) on every other node. Default 10000 ms; at least twice `heartbeatInterval`.
   */
  nodeTimeout: number;
  /** How long a node starting (or a namespace first using presence) waits for the others' snapshots. Default 3000 ms. */
  syncTimeout: number;
  /** Presence messages larger than this are dropped unread. Default 4 MiB (bytes). */
  maxMessageBytes: number;
}

/** Snapshot parts are cut at about this many bytes of JSON. */
const PART_BYTES = 64 * 1024;

interface NodeState {
  /** Last sequence number applied (`-1`: none yet, a snapshot is wanted). */
  seq: number;
  lastHeard: number;
  /** A snapshot being received. */
  snap: { seq: number; next: number; recs: Array<[string, PresenceRecord]> } | undefined;
}

interface SyncWaiter {
  need: number;
  readonly got: Set<string>;
  readonly done: () => void;
}

/**
 * Cluster presence over Redis pub/sub, one per `createAdapter` call (every namespace of the
 * server shares it). Each node owns its records and publishes their changes as deltas with a
 * sequence number; every node keeps a replica of the others', rebuilt from a snapshot when it
 * starts, when it sees a gap in a node's sequence, and after Redis comes back. A node that
 * stops sending (heartbeats every `heartbeatInterval`) is dropped after `nodeTimeout`.
 * Nothing is stored in Redis: a Redis restart loses nothing the nodes cannot re-send.
 * `createAdapter` makes one (not exported: adapters reach it through `presenceBackend()`).
 */
export class RedisPresenceHub {
  readonly uid = randomBytes(8).toString("hex");
  readonly options: RedisPresenceOptions;
  readonly #pub: RedisClient;
  readonly #sub: RedisClient;
  readonly #replicas = new Map<string, PresenceReplica>();
  readonly #nodes = new Map<string, NodeState>();
  readonly #waiters = new Set<SyncWaiter>();
  #seq = 0;
  #queue: WireChange[] = [];
  #flushing = false;
  #snapshotTimer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #stops: Array<() => void> = [];
  #subscribed: Promise<void> | undefined;
  /** A Redis client was down since the last sync: resync when both are back. */
  #lost = false;

  constructor(pub: RedisClient, sub: RedisClient, options: RedisPresenceOptions) {
    this.#pub = pub;
    this.#sub = sub;
    this.options = options;
  }

  /** Nodes with records here (for monitoring and tests). */
  get nodes(): number {
    return this.#nodes.size;
  }

  /** The presence backend of namespace `nsp`. */
  backend(nsp: string): PresenceBackend {
    return {
      start: (replica) => this.#add(nsp, replica),
      publish: (change) => this.#publishChange(nsp, change),
      stop: () => this.#remove(nsp),
    };
  }

  async #add(nsp: string, replica: PresenceReplica): Promise<void> {
    this.#replicas.set(nsp, replica);
    this.#subscribed ??= this.#start();
    // Bounded: with Redis down, a subscription may wait for the reconnection (list() would
    // hang); the resync when Redis is back fills the replica in.
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.syncTimeout);
    });
    try {
      await Promise.race([this.#subscribed, gaveUp]);
    } finally {
      clearTimeout(timer);
    }
    // Snapshots carry every namespace: ask for them now that this one listens.
    await this.#sync();
  }

  #remove(nsp: string): void {
    if (!this.#replicas.has(nsp)) return;
    if (this.#replicas.size === 1) this.#stop();
    this.#replicas.delete(nsp);
    // The others drop this namespace's records of this node (a snapshot without them).
    if (this.#replicas.size > 0) this.#snapshotSoon();
  }

  async #start(): Promise<void> {
    // Started with Redis away: resync once it is there.
    this.#lost = this.#pub.state !== "ready" || this.#sub.state !== "ready";
    const onState = (state: RedisState) => this.#onState(state);
    this.#stops.push(this.#pub.onState(onState), this.#sub.onState(onState));
    const channel = this.options.channel;
    const listener: MessageListener = (_channel, payload) => this.#onMessage(payload);
    this.#stops.push(() => {
      this.#sub.unsubscribe(channel, listener).catch(() => {});
    });
    this.#heartbeat = setInterval(() => this.#tick(), this.options.heartbeatInterval);
    this.#heartbeat.unref();
    await this.#sub.subscribe(channel, listener);
  }

  #stop(): void {
    for (const stop of this.#stops.splice(0)) stop();
    clearInterval(this.#heartbeat);
    clearTimeout(this.#snapshotTimer);
    this.#heartbeat = undefined;
    this.#snapshotTimer = undefined;
    this.#subscribed = undefined;
    // Records pending a leave (a recoverable disconnect at shutdown) stay with this node
    // until its lease ends on the others; otherwise it says goodbye and they go at once.
    this.#flush();
    if (this.#queue.length === 0 && this.#ownCount() === 0) this.#send({ t: "b", n: this.uid });
    this.#nodes.clear();
    for (const waiter of this.#waiters) waiter.done();
    this.#waiters.clear();
  }

  #ownCount(): number {
    let n = 0;
    for (const replica of this.#replicas.values()) for (const _ of replica.own()) n++;
    return n;
  }

  /** Ask every node for a snapshot; resolves when those counted answered, or at syncTimeout. */
  async #sync(): Promise<void> {
    let need = 0;
    try {
      need = Math.max(0, (await this.#pub.numsub(this.options.channel)) - 1);
    } catch (err) {
      debug("node count failed: %s", err);
    }
    debug("sync: waiting for %d nodes", need);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => finish(), this.options.syncTimeout);
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve();
      };
      const waiter: SyncWaiter = { need, got: new Set(), done: finish };
      if (need === 0) {
        finish();
      } else {
        this.#waiters.add(waiter);
      }
      this.#send({ t: "q", n: this.uid });
    });
  }

  #onState(state: RedisState): void {
    if (state === "down") {
      this.#lost = true;
      return;
    }
    if (!this.#lost || this.#pub.state !== "ready" || this.#sub.state !== "ready") return;
    this.#lost = false;
    // Redis was away (maybe restarted): messages may be lost both ways. Give every node a
    // fresh lease, re-send this node's records, and ask for everyone's.
    debug("Redis back: resync");
    const now = Date.now();
    for (const node of this.#nodes.values()) node.lastHeard = now;
    this.#snapshotSoon();
    this.#send({ t: "q", n: this.uid });
  }

  #tick(): void {
    this.#flush();
    this.#send({ t: "h", n: this.uid, s: this.#seq });
    if (this.#lost) return; // cannot tell a silent node from a missing connection
    const limit = Date.now() - this.options.nodeTimeout;
    for (const [node, state] of this.#nodes) {
      if (state.lastHeard < limit) this.#dropNode(node, "its lease expired");
    }
  }

  #dropNode(node: string, why: string): void {
    debug("node %s dropped: %s", node, why);
    this.#nodes.delete(node);
    for (const replica of this.#replicas.values()) replica.drop(node);
  }

  // ---- sending ----

  #publishChange(nsp: string, change: PresenceChange): void {
    this.#queue.push(changeToWire(nsp, change));
    if (this.#flushing) return;
    this.#flushing = true;
    // Changes of one turn of the event loop go in one message.
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushing = false;
    if (this.#queue.length === 0) return;
    const changes = this.#queue;
    this.#queue = [];
    this.#seq++;
    this.#send({ t: "d", n: this.uid, s: this.#seq, c: changes });
  }

  #snapshotSoon(): void {
    // Requests of several nodes at once get one snapshot.
    this.#snapshotTimer ??= setTimeout(() => {
      this.#snapshotTimer = undefined;
      this.#snapshot();
    }, 20);
    this.#snapshotTimer.unref();
  }

  #snapshot(): void {
    if (this.#subscribed === undefined) return;
    this.#flush();
    const seq = this.#seq;
    let part: WireRecord[] = [];
    let bytes = 0;
    let index = 0;
    for (const [nsp, replica] of this.#replicas) {
      for (const record of replica.own()) {
        const wire = recordToWire(nsp, record);
        bytes += JSON.stringify(wire).length;
        part.push(wire);
        if (bytes >= PART_BYTES) {
          this.#send({ t: "s", n: this.uid, s: seq, i: index++, l: 0, r: part });
          part = [];
          bytes = 0;
        }
      }
    }
    this.#send({ t: "s", n: this.uid, s: seq, i: index, l: 1, r: part });
  }

  #send(message: PresenceWire): void {
    const payload = JSON.stringify(message);
    this.#pub.publish(this.options.channel, payload).catch((err: unknown) => {
      // Lost: the others see the gap in the sequence (or the resync after Redis is back).
      debug("presence message not published: %s", err);
    });
  }

  // ---- receiving ----

  #onMessage(payload: Buffer): void {
    if (payload.length > this.options.maxMessageBytes) {
      debug("dropped a presence message of %d bytes (maxMessageBytes)", payload.length);
      return;
    }
    const msg = readMessage(payload);
    if (msg === undefined) {
      debug("dropped a malformed presence message");
      return;
    }
    if (msg.n === this.uid) return;
    if (msg.t === "b") {
      if (this.#nodes.has(msg.n)) this.#dropNode(msg.n, "it left");
      return;
    }
    if (msg.t === "q") {
      if (msg.to === undefined || msg.to === this.uid) this.#snapshotSoon();
      return;
    }
    let node = this.#nodes.get(msg.n);
    if (node === undefined) {
      node = { seq: -1, lastHeard: 0, snap: undefined };
      this.#nodes.set(msg.n, node);
    }
    node.lastHeard = Date.now();
    if (msg.t === "h") {
      if (msg.s !== node.seq && node.snap === undefined) this.#ask(msg.n, node);
      return;
    }
    if (msg.t === "d") {
      if (msg.s !== node.seq + 1) this.#ask(msg.n, node);
      node.seq = msg.s;
      for (const raw of msg.c) {
        const change = readChange(raw);
        if (change === undefined) continue;
        this.#replicas.get(change[0])?.apply(msg.n, change[1]);
      }
      return;
    }
    this.#onSnapshotPart(msg.n, node, msg);
  }

  #onSnapshotPart(from: string, node: NodeState, msg: Extract<PresenceWire, { t: "s" }>): void {
    if (msg.i === 0) node.snap = { seq: msg.s, next: 0, recs: [] };
    const snap = node.snap;
    if (snap === undefined || snap.seq !== msg.s || snap.next !== msg.i) {
      // A part is missing (Redis went away in between): ask again.
      node.snap = undefined;
      this.#ask(from, node);
      return;
    }
    snap.next++;
    for (const raw of msg.r) {
      const record = readRecord(raw);
      if (record !== undefined) snap.recs.push(record);
    }
    if (msg.l === 0) return;
    node.snap = undefined;
    node.seq = snap.seq;
    const byNsp = new Map<string, PresenceRecord[]>();
    for (const [nsp, record] of snap.recs) {
      let list = byNsp.get(nsp);
      if (list === undefined) {
        list = [];
        byNsp.set(nsp, list);
      }
      list.push(record);
    }
    for (const [nsp, replica] of this.#replicas) replica.reset(from, byNsp.get(nsp) ?? []);
    for (const waiter of this.#waiters) {
      waiter.got.add(from);
      if (waiter.got.size >= waiter.need) waiter.done();
    }
  }

  /** Node `from`'s records here may be stale: ask it for a snapshot. */
  #ask(from: string, node: NodeState): void {
    debug("gap in the changes of %s: asking for a snapshot", from);
    node.seq = -2; // until the snapshot: every later message looks like a gap, asked once more at most per heartbeat
    this.#send({ t: "q", n: this.uid, to: from });
  }
}

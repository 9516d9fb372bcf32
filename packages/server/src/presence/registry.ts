import type { SocketPacket } from "@switchboard/protocol";
import debugModule from "debug";
import type { AdapterSocket, EncodedPacket } from "../adapter/types.js";
import type { SocketId } from "../socket/types.js";
import { PresenceError, PresenceErrorCode } from "./errors.js";
import type {
  PresenceBackend,
  PresenceChange,
  PresenceEntry,
  PresenceMessage,
  PresenceOptions,
  PresenceRecord,
  PresenceReplica,
  PresenceRoom,
} from "./types.js";

const debug = debugModule("switchboard:presence");

/** `node` of this node's own records (other nodes' are their backend ids). */
const LOCAL = "";

/** A record and the node that owns it. Immutable: a change replaces the object. */
interface Rec extends PresenceRecord {
  readonly node: string;
}

/** An identity in one room: its records on every node, and what was last announced. */
interface Identity {
  readonly id: string;
  readonly recs: Map<string, Rec>;
  /** The record whose meta the identity shows (the latest `at`). */
  winner: Rec | undefined;
  /** Distinct sockets (a socket moving between nodes is counted once). */
  count: number;
}

/** A socket of this node that tracks or subscribes to something. */
interface LocalSocket {
  /** `undefined` while its leave is pending (disconnected, maybe recovering). */
  socket: PresenceSocket | undefined;
  readonly recs: Map<PresenceRoom, Rec>;
  readonly subs: Set<PresenceRoom>;
}

interface Subscriber {
  readonly socket: PresenceSocket;
  synced: boolean;
}

/** What presence needs of a socket (Socket implements it). */
export interface PresenceSocket extends AdapterSocket {
  readonly connected: boolean;
}

/** What presence needs of its namespace. */
export interface PresenceHost {
  readonly name: string;
  encode(packet: SocketPacket): EncodedPacket;
}

/** Where a view's `join`/`leave`/`update` listeners are reached. */
export interface PresenceListener {
  emit(event: "join" | "leave" | "update", entry: PresenceEntry): boolean;
}

/** Counts of every map presence keeps, for leak checks and monitoring. */
export interface PresenceStats {
  /** Rooms with at least one identity. */
  rooms: number;
  /** Identities over all rooms. */
  identities: number;
  /** Sockets of this node with records or subscriptions (pending leaves included). */
  sockets: number;
  /** Sockets whose leave waits for `leaveDelay`. */
  pending: number;
  /** Other nodes with records here. */
  nodes: number;
  /** Subscribed sockets over all rooms. */
  subscribers: number;
  /** Views with listeners. */
  views: number;
}

/**
 * The presence of one namespace on this node: this node's records (owned, published as
 * changes through the backend) and a replica of the other nodes', merged per identity. Every
 * node computes the same merged view and fires `join`/`leave`/`update` on it for its own
 * listeners and subscribed sockets.
 */
export class PresenceRegistry implements PresenceReplica {
  readonly #host: PresenceHost;
  readonly #options: PresenceOptions;
  readonly #backend: PresenceBackend;
  readonly #ready: Promise<void>;
  readonly #rooms = new Map<PresenceRoom, Map<string, Identity>>();
  readonly #locals = new Map<SocketId, LocalSocket>();
  /** Pending leaves, in deadline order (one delay for all: insertion order). */
  readonly #pending = new Map<SocketId, number>();
  #timer: NodeJS.Timeout | undefined;
  /** Other nodes' records: node → socket → room → record. */
  readonly #nodes = new Map<string, Map<SocketId, Map<PresenceRoom, Rec>>>();
  readonly #subscribers = new Map<PresenceRoom, Map<SocketId, Subscriber>>();
  readonly #listening = new Map<PresenceRoom, Set<PresenceListener>>();
  /** Sockets recovered here from another node, until their records are adopted. */
  readonly #adopting = new Map<SocketId, { closed: boolean; recoverable: boolean }>();
  #lastAt = 0;
  #closed = false;

  constructor(host: PresenceHost, options: PresenceOptions, backend: PresenceBackend) {
    this.#host = host;
    this.#options = options;
    this.#backend = backend;
    this.#ready = backend.start(this).catch((err: unknown) => {
      debug("presence of %s: first sync failed: %s", host.name, err);
    });
  }

  /** Resolves once the first sync with the other nodes is done (or gave up). */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** Counts of every map (for leak checks and monitoring). */
  get stats(): PresenceStats {
    let identities = 0;
    for (const room of this.#rooms.values()) identities += room.size;
    let subscribers = 0;
    for (const subs of this.#subscribers.values()) subscribers += subs.size;
    let views = 0;
    for (const set of this.#listening.values()) views += set.size;
    return {
      rooms: this.#rooms.size,
      identities,
      sockets: this.#locals.size,
      pending: this.#pending.size,
      nodes: this.#nodes.size,
      subscribers,
      views,
    };
  }

  // ---- reading ----

  /** The entries of `room` as this node sees them now. */
  entries(room: PresenceRoom): PresenceEntry[] {
    const identities = this.#rooms.get(room);
    if (identities === undefined) return [];
    const out: PresenceEntry[] = [];
    for (const identity of identities.values()) {
      const entry = entryOf(identity);
      if (entry !== undefined) out.push(entry);
    }
    return out;
  }

  /** The entry of `id` in `room`, if present. */
  entry(room: PresenceRoom, id: string): PresenceEntry | undefined {
    const identity = this.#rooms.get(room)?.get(id);
    return identity === undefined ? undefined : entryOf(identity);
  }

  /** The rooms tracked by local socket `sid`. */
  roomsOf(sid: SocketId): PresenceRoom[] {
    return [...(this.#locals.get(sid)?.recs.keys() ?? [])];
  }

  // ---- this node's sockets ----

  track(socket: PresenceSocket, room: PresenceRoom, id: unknown, meta: unknown): void {
    this.#checkConnected(socket);
    const checkedId = this.#checkId(id);
    const checkedMeta = this.#checkMeta(meta);
    const local = this.#locals.get(socket.id);
    const previous = local?.recs.get(room);
    if (previous === undefined) {
      if ((local?.recs.size ?? 0) >= this.#options.maxRoomsPerSocket) {
        throw new PresenceError(
          PresenceErrorCode.TOO_MANY_ROOMS,
          `a socket tracks at most ${this.#options.maxRoomsPerSocket} rooms (maxRoomsPerSocket)`,
        );
      }
    }
    const identities = this.#rooms.get(room);
    if (
      identities !== undefined &&
      identities.size >= this.#options.maxEntriesPerRoom &&
      !identities.has(checkedId)
    ) {
      throw new PresenceError(
        PresenceErrorCode.ROOM_FULL,
        `the room holds ${this.#options.maxEntriesPerRoom} identities (maxEntriesPerRoom)`,
      );
    }
    const rec: Rec = {
      node: LOCAL,
      room,
      sid: socket.id,
      id: checkedId,
      meta: checkedMeta,
      at: this.#now(),
    };
    this.#localOf(socket).recs.set(room, rec);
    this.#put(rec, previous);
    this.#backend.publish({ op: "set", record: rec });
  }

  update(socket: PresenceSocket, room: PresenceRoom, meta: unknown): void {
    this.#checkConnected(socket);
    const rec = this.#locals.get(socket.id)?.recs.get(room);
    if (rec === undefined) {
      throw new PresenceError(PresenceErrorCode.NOT_TRACKED, "update of a room not tracked");
    }
    const checkedMeta = this.#checkMeta(meta);
    const identity = this.#rooms.get(room)?.get(rec.id);
    if (identity === undefined) return;
    const at = this.#now();
    // The identity's metadata on this node: every local socket of it gets the new one, so
    // it stays when the socket that set it leaves.
    for (const [key, old] of identity.recs) {
      if (old.node !== LOCAL) continue;
      const next: Rec = { ...old, meta: checkedMeta, at };
      identity.recs.set(key, next);
      this.#locals.get(old.sid)?.recs.set(room, next);
      this.#backend.publish({ op: "set", record: next });
    }
    this.#announce(room, identity);
  }

  untrack(socket: PresenceSocket, room: PresenceRoom): boolean {
    const local = this.#locals.get(socket.id);
    const rec = local?.recs.get(room);
    if (local === undefined || rec === undefined) return false;
    local.recs.delete(room);
    this.#remove(rec);
    this.#backend.publish({ op: "del", room, sid: socket.id });
    this.#dropIfIdle(socket.id, local);
    return true;
  }

  subscribe(room: PresenceRoom, socket: PresenceSocket): void {
    this.#checkConnected(socket);
    const local = this.#localOf(socket);
    if (!local.subs.has(room) && local.subs.size >= this.#options.maxRoomsPerSocket) {
      throw new PresenceError(
        PresenceErrorCode.TOO_MANY_ROOMS,
        `a socket subscribes to at most ${this.#options.maxRoomsPerSocket} rooms (maxRoomsPerSocket)`,
      );
    }
    local.subs.add(room);
    let subs = this.#subscribers.get(room);
    if (subs === undefined) {
      subs = new Map();
      this.#subscribers.set(room, subs);
    }
    const sub: Subscriber = { socket, synced: false };
    subs.set(socket.id, sub);
    // Deltas skip it until its sync leaves, and the sync is read then: nothing missed.
    void this.#ready.then(() => {
      if (this.#subscribers.get(room)?.get(socket.id) !== sub || !socket.connected) return;
      sub.synced = true;
      const message: PresenceMessage = { type: "sync", room, entries: this.entries(room) };
      socket.deliver(this.#encode(message), {});
    });
  }

  unsubscribe(room: PresenceRoom, socket: PresenceSocket): boolean {
    const local = this.#locals.get(socket.id);
    if (local === undefined || !local.subs.delete(room)) return false;
    this.#unsubscribe(room, socket.id);
    this.#dropIfIdle(socket.id, local);
    return true;
  }

  /** A local socket closed; `recoverable`: its session may come back (leave delayed). */
  onClose(sid: SocketId, recoverable: boolean): void {
    const adopting = this.#adopting.get(sid);
    if (adopting !== undefined) {
      // Gone before its records were adopted: they are, then it closes as it did.
      adopting.closed = true;
      adopting.recoverable = recoverable;
    }
    const local = this.#locals.get(sid);
    if (local === undefined) return;
    for (const room of local.subs) this.#unsubscribe(room, sid);
    // Already tracked by another node: the session moved there (its former node closes the
    // socket after the new one claimed it), nothing to wait for.
    const moved = this.#heldElsewhere(sid);
    if (recoverable && !moved && this.#options.leaveDelay > 0 && !this.#closed) {
      local.socket = undefined;
      this.#pending.delete(sid);
      this.#pending.set(sid, Date.now() + this.#options.leaveDelay);
      this.#timer ??= this.#schedule();
      return;
    }
    this.#forget(sid, local);
  }

  /**
   * A socket recovered its session (`socket.recovered`): its records here come back to it,
   * or, when it was another node's, they are adopted from that node's replica.
   */
  onRecovered(socket: PresenceSocket): void {
    const local = this.#locals.get(socket.id);
    if (local !== undefined && local.socket === undefined) {
      this.#pending.delete(socket.id);
      local.socket = socket;
      for (const room of local.subs) this.subscribe(room, socket);
      debug("%s recovered here: presence kept", socket.id);
      return;
    }
    this.#adopting.set(socket.id, { closed: false, recoverable: false });
    void this.#ready.then(() => this.#adopt(socket));
  }

  /** Stop: no more changes are published; every map is emptied. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#backend.stop();
    this.#pending.clear();
    this.#locals.clear();
    this.#rooms.clear();
    this.#nodes.clear();
    this.#subscribers.clear();
    this.#listening.clear();
    this.#adopting.clear();
  }

  /** A view got its first listener (`true`) or lost its last (`false`). */
  listen(room: PresenceRoom, view: PresenceListener, on: boolean): void {
    let set = this.#listening.get(room);
    if (on) {
      if (set === undefined) {
        set = new Set();
        this.#listening.set(room, set);
      }
      set.add(view);
    } else if (set?.delete(view) === true && set.size === 0) {
      this.#listening.delete(room);
    }
  }

  // ---- PresenceReplica (other nodes, through the backend) ----

  *own(): Iterable<PresenceRecord> {
    for (const local of this.#locals.values()) yield* local.recs.values();
  }

  apply(node: string, change: PresenceChange): void {
    if (node === LOCAL || this.#closed) return;
    let sockets = this.#nodes.get(node);
    if (change.op === "set") {
      const r = change.record;
      if (sockets === undefined) {
        sockets = new Map();
        this.#nodes.set(node, sockets);
      }
      let rooms = sockets.get(r.sid);
      if (rooms === undefined) {
        rooms = new Map();
        sockets.set(r.sid, rooms);
      }
      const rec: Rec = { node, room: r.room, sid: r.sid, id: r.id, meta: r.meta, at: r.at };
      const previous = rooms.get(r.room);
      rooms.set(r.room, rec);
      this.#put(rec, previous);
      this.#movedAway(r.sid);
      return;
    }
    const rooms = sockets?.get(change.sid);
    const rec = rooms?.get(change.room);
    if (sockets === undefined || rooms === undefined || rec === undefined) return;
    rooms.delete(change.room);
    if (rooms.size === 0) sockets.delete(change.sid);
    if (sockets.size === 0) this.#nodes.delete(node);
    this.#remove(rec);
  }

  reset(node: string, records: readonly PresenceRecord[]): void {
    if (node === LOCAL || this.#closed) return;
    const old = this.#nodes.get(node) ?? new Map<SocketId, Map<PresenceRoom, Rec>>();
    const next = new Map<SocketId, Map<PresenceRoom, Rec>>();
    // New and changed records first, then removals: an identity that stays never flaps.
    for (const r of records) {
      let rooms = next.get(r.sid);
      if (rooms === undefined) {
        rooms = new Map();
        next.set(r.sid, rooms);
      }
      const before = old.get(r.sid)?.get(r.room);
      if (before !== undefined && before.id === r.id && before.at === r.at) {
        rooms.set(r.room, before);
        continue;
      }
      const rec: Rec = { node, room: r.room, sid: r.sid, id: r.id, meta: r.meta, at: r.at };
      rooms.set(r.room, rec);
      this.#put(rec, before);
    }
    if (next.size === 0) this.#nodes.delete(node);
    else this.#nodes.set(node, next);
    for (const [sid, rooms] of old) {
      for (const [room, rec] of rooms) if (!next.get(sid)?.has(room)) this.#remove(rec);
    }
    for (const sid of next.keys()) this.#movedAway(sid);
  }

  drop(node: string): void {
    const sockets = this.#nodes.get(node);
    if (sockets === undefined) return;
    this.#nodes.delete(node);
    debug("presence of %s: node %s dropped", this.#host.name, node);
    for (const rooms of sockets.values()) for (const rec of rooms.values()) this.#remove(rec);
  }

  // ---- internals ----

  #localOf(socket: PresenceSocket): LocalSocket {
    let local = this.#locals.get(socket.id);
    if (local === undefined) {
      local = { socket, recs: new Map(), subs: new Set() };
      this.#locals.set(socket.id, local);
    }
    return local;
  }

  #dropIfIdle(sid: SocketId, local: LocalSocket): void {
    if (local.recs.size === 0 && local.subs.size === 0 && local.socket !== undefined) {
      this.#locals.delete(sid);
    }
  }

  #unsubscribe(room: PresenceRoom, sid: SocketId): void {
    const subs = this.#subscribers.get(room);
    if (subs?.delete(sid) === true && subs.size === 0) this.#subscribers.delete(room);
  }

  /** Remove a local socket's records (published) and forget it. */
  #forget(sid: SocketId, local: LocalSocket): void {
    this.#pending.delete(sid);
    if (this.#locals.get(sid) === local) this.#locals.delete(sid);
    for (const [room, rec] of local.recs) {
      this.#remove(rec);
      this.#backend.publish({ op: "del", room, sid });
    }
    local.recs.clear();
  }

  #heldElsewhere(sid: SocketId): boolean {
    for (const sockets of this.#nodes.values()) if (sockets.has(sid)) return true;
    return false;
  }

  /** Another node tracks `sid` now: a leave pending here for it ends without a leave. */
  #movedAway(sid: SocketId): void {
    const local = this.#locals.get(sid);
    if (local === undefined || local.socket !== undefined) return;
    debug("%s recovered on another node: its records here go", sid);
    this.#forget(sid, local);
  }

  /** Adopt the records another node kept for a socket that recovered here. */
  #adopt(socket: PresenceSocket): void {
    const adopting = this.#adopting.get(socket.id);
    this.#adopting.delete(socket.id);
    if (this.#closed || adopting === undefined) return;
    const found = new Map<PresenceRoom, Rec>();
    for (const sockets of this.#nodes.values()) {
      for (const rec of sockets.get(socket.id)?.values() ?? []) {
        const seen = found.get(rec.room);
        if (seen === undefined || seen.at < rec.at) found.set(rec.room, rec);
      }
    }
    if (found.size === 0) {
      debug("%s recovered here: no presence records of it on other nodes", socket.id);
      return;
    }
    // A socket that closed meanwhile adopts all the same (its former node keeps its records
    // pending until it hears of the move), then leaves as its close said.
    const local = this.#localOf(socket);
    if (adopting.closed) local.socket = socket;
    for (const [room, rec] of found) {
      if (local.recs.has(room)) continue; // tracked again since it connected
      const own: Rec = { ...rec, node: LOCAL };
      local.recs.set(room, own);
      this.#put(own, undefined);
      this.#backend.publish({ op: "set", record: own });
    }
    debug("%s recovered here: %d presence records adopted", socket.id, found.size);
    if (adopting.closed) this.onClose(socket.id, adopting.recoverable);
  }

  #schedule(): NodeJS.Timeout | undefined {
    const first = this.#pending.values().next();
    if (first.done === true) return undefined;
    const timer = setTimeout(() => this.#expire(), Math.max(0, first.value - Date.now()));
    timer.unref();
    return timer;
  }

  #expire(): void {
    this.#timer = undefined;
    const now = Date.now();
    for (const [sid, deadline] of this.#pending) {
      if (deadline > now) break;
      this.#pending.delete(sid);
      const local = this.#locals.get(sid);
      if (local !== undefined && local.socket === undefined) this.#forget(sid, local);
    }
    this.#timer = this.#schedule();
  }

  #put(rec: Rec, replaced: Rec | undefined): void {
    if (replaced !== undefined && replaced.id !== rec.id) this.#remove(replaced);
    let identities = this.#rooms.get(rec.room);
    if (identities === undefined) {
      identities = new Map();
      this.#rooms.set(rec.room, identities);
    }
    let identity = identities.get(rec.id);
    if (identity === undefined) {
      identity = { id: rec.id, recs: new Map(), winner: undefined, count: 0 };
      identities.set(rec.id, identity);
    }
    identity.recs.set(keyOf(rec), rec);
    this.#announce(rec.room, identity);
  }

  #remove(rec: Rec): void {
    const identity = this.#rooms.get(rec.room)?.get(rec.id);
    const key = keyOf(rec);
    if (identity === undefined || identity.recs.get(key) !== rec) return;
    identity.recs.delete(key);
    this.#announce(rec.room, identity);
  }

  /** Recompute an identity after a change of its records; fire what changed. */
  #announce(room: PresenceRoom, identity: Identity): void {
    let winner: Rec | undefined;
    let count = 0;
    let sids: Set<SocketId> | undefined;
    for (const rec of identity.recs.values()) {
      if (winner === undefined || newer(rec, winner)) winner = rec;
      if (count === 0) {
        count = 1;
      } else {
        // Rare: several sockets, maybe one socket on two nodes while it moves.
        sids ??= new Set(Array.from(identity.recs.values(), (r) => r.sid));
        count = sids.size;
      }
    }
    const before = identity.winner;
    const beforeCount = identity.count;
    identity.winner = winner;
    identity.count = count;
    if (winner === undefined) {
      const identities = this.#rooms.get(room);
      identities?.delete(identity.id);
      if (identities?.size === 0) this.#rooms.delete(room);
      if (before !== undefined)
        this.#fire("leave", room, { id: identity.id, meta: before.meta, count: 0 });
      return;
    }
    const entry: PresenceEntry = { id: identity.id, meta: winner.meta, count };
    if (before === undefined) this.#fire("join", room, entry);
    else if (count !== beforeCount || (winner !== before && !sameMeta(winner.meta, before.meta))) {
      this.#fire("update", room, entry);
    }
  }

  #fire(type: "join" | "leave" | "update", room: PresenceRoom, entry: PresenceEntry): void {
    const subs = this.#subscribers.get(room);
    if (subs !== undefined) {
      let encoded: EncodedPacket | undefined;
      for (const sub of subs.values()) {
        if (!sub.synced) continue;
        encoded ??= this.#encode({ type, room, entry });
        sub.socket.deliver(encoded, {});
      }
    }
    const views = this.#listening.get(room);
    if (views === undefined) return;
    for (const view of [...views]) {
      try {
        view.emit(type, entry);
      } catch (err) {
        // A throwing listener must not leave the merged view half-updated: it is raised
        // as any listener error would be, once this change is done.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  #encode(message: PresenceMessage): EncodedPacket {
    return this.#host.encode({ type: 2, nsp: this.#host.name, data: ["presence", message] });
  }

  #now(): number {
    this.#lastAt = Math.max(Date.now(), this.#lastAt + 1);
    return this.#lastAt;
  }

  #checkConnected(socket: PresenceSocket): void {
    if (!socket.connected || this.#closed) {
      throw new PresenceError(PresenceErrorCode.DISCONNECTED, "the socket is not connected");
    }
  }

  #checkId(id: unknown): string {
    if (typeof id !== "string" || id === "" || id.length > this.#options.maxIdLength) {
      throw new PresenceError(
        PresenceErrorCode.INVALID_ID,
        `a presence id is a string of 1 to ${this.#options.maxIdLength} characters`,
      );
    }
    return id;
  }

  #checkMeta(meta: unknown): unknown {
    if (meta === undefined) return null;
    let json: string | undefined;
    try {
      json = JSON.stringify(meta);
    } catch {
      json = undefined;
    }
    if (json === undefined || json.length > this.#options.maxMetaBytes) {
      throw new PresenceError(
        PresenceErrorCode.INVALID_META,
        `presence meta must be JSON of at most ${this.#options.maxMetaBytes} characters (maxMetaBytes)`,
      );
    }
    // A copy: what every node sees (JSON), and later changes by the caller do not leak in.
    return JSON.parse(json) as unknown;
  }
}

function keyOf(rec: Rec): string {
  return `${rec.node.length}:${rec.node}${rec.sid}`;
}

function newer(a: Rec, b: Rec): boolean {
  if (a.at !== b.at) return a.at > b.at;
  return keyOf(a) > keyOf(b);
}

function sameMeta(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function entryOf(identity: Identity): PresenceEntry | undefined {
  const winner = identity.winner;
  return winner === undefined
    ? undefined
    : { id: identity.id, meta: winner.meta, count: identity.count };
}

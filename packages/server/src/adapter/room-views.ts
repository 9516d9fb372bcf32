import type { Room, SocketId } from "./types.js";

/** What the public views read from the in-memory adapter. */
export interface RoomState {
  /** Rooms joined explicitly (never a socket's own-id room), room → member ids. */
  readonly explicit: ReadonlyMap<Room, ReadonlySet<SocketId>>;
  /** Sockets that joined an explicit room, id → those rooms (own id not included). */
  readonly joined: ReadonlyMap<SocketId, ReadonlySet<Room>>;
  /** The connected sockets of the namespace. */
  readonly sockets: ReadonlyMap<SocketId, unknown>;
  /** Whether `id` is a socket that is in its own-id room. */
  inOwnRoom(id: SocketId): boolean;
  /** The rooms of socket `id` (own room first), or undefined when it is in none. */
  roomsOf(id: SocketId): Set<Room> | undefined;
}

/**
 * A read-only Map computed from `get`/`has`/`keys`: the rest of the `ReadonlyMap` surface
 * (size, values, entries, iteration, forEach) derived once for both views, which read
 * the adapter's {@link RoomState}.
 */
abstract class DerivedMap<K, V> implements ReadonlyMap<K, V> {
  protected readonly state: RoomState;

  constructor(state: RoomState) {
    this.state = state;
  }

  abstract get(key: K): V | undefined;
  abstract has(key: K): boolean;
  abstract keys(): IterableIterator<K>;

  get size(): number {
    let size = 0;
    for (const _ of this.keys()) size++;
    return size;
  }

  *values(): IterableIterator<V> {
    for (const key of this.keys()) yield this.get(key) as V;
  }

  *entries(): IterableIterator<[K, V]> {
    for (const key of this.keys()) yield [key, this.get(key) as V];
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) fn.call(thisArg, value, key, this);
  }

  get [Symbol.toStringTag](): string {
    return "Map";
  }
}

/**
 * `adapter.rooms`: room → socket ids, socket.io's shape. The own-id room of each socket is
 * not stored (it would cost a one-member Set per connection); this view shows it.
 * Values are snapshots for own-id rooms and the live member set for explicit rooms.
 */
export class RoomsView extends DerivedMap<Room, ReadonlySet<SocketId>> {
  get(room: Room): ReadonlySet<SocketId> | undefined {
    const members = this.state.explicit.get(room);
    if (!this.state.inOwnRoom(room)) return members;
    if (members === undefined) return new Set([room]);
    return new Set([room, ...members]);
  }

  has(room: Room): boolean {
    return this.state.explicit.has(room) || this.state.inOwnRoom(room);
  }

  *keys(): IterableIterator<Room> {
    const { explicit, sockets } = this.state;
    for (const id of sockets.keys()) if (this.state.inOwnRoom(id)) yield id;
    for (const room of explicit.keys()) if (!this.state.inOwnRoom(room)) yield room;
  }
}

/**
 * `adapter.sids`: socket id → rooms (own id first), socket.io's shape, for the sockets of
 * this node. Values are snapshots.
 */
export class SidsView extends DerivedMap<SocketId, ReadonlySet<Room>> {
  get(id: SocketId): ReadonlySet<Room> | undefined {
    return this.state.roomsOf(id);
  }

  has(id: SocketId): boolean {
    return this.state.roomsOf(id) !== undefined;
  }

  *keys(): IterableIterator<SocketId> {
    const { joined, sockets } = this.state;
    for (const id of sockets.keys()) if (this.has(id)) yield id;
    for (const id of joined.keys()) if (!sockets.has(id)) yield id;
  }
}

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
 * `adapter.rooms`: room → socket ids, socket.io's shape. The own-id room of each socket is
 * not stored (it would cost a one-member Set per connection); this view shows it.
 * Values are snapshots for own-id rooms and the live member set for explicit rooms.
 */
export class RoomsView implements ReadonlyMap<Room, ReadonlySet<SocketId>> {
  readonly #state: RoomState;

  constructor(state: RoomState) {
    this.#state = state;
  }

  get(room: Room): ReadonlySet<SocketId> | undefined {
    const members = this.#state.explicit.get(room);
    if (!this.#state.inOwnRoom(room)) return members;
    if (members === undefined) return new Set([room]);
    return new Set([room, ...members]);
  }

  has(room: Room): boolean {
    return this.#state.explicit.has(room) || this.#state.inOwnRoom(room);
  }

  get size(): number {
    let size = 0;
    for (const _ of this.keys()) size++;
    return size;
  }

  *keys(): IterableIterator<Room> {
    const { explicit, sockets } = this.#state;
    for (const id of sockets.keys()) if (this.#state.inOwnRoom(id)) yield id;
    for (const room of explicit.keys()) if (!this.#state.inOwnRoom(room)) yield room;
  }

  *values(): IterableIterator<ReadonlySet<SocketId>> {
    for (const room of this.keys()) yield this.get(room) as ReadonlySet<SocketId>;
  }

  *entries(): IterableIterator<[Room, ReadonlySet<SocketId>]> {
    for (const room of this.keys()) yield [room, this.get(room) as ReadonlySet<SocketId>];
  }

  [Symbol.iterator](): IterableIterator<[Room, ReadonlySet<SocketId>]> {
    return this.entries();
  }

  forEach(
    fn: (
      value: ReadonlySet<SocketId>,
      key: Room,
      map: ReadonlyMap<Room, ReadonlySet<SocketId>>,
    ) => void,
    thisArg?: unknown,
  ): void {
    for (const [room, members] of this.entries()) fn.call(thisArg, members, room, this);
  }

  get [Symbol.toStringTag](): string {
    return "Map";
  }
}

/**
 * `adapter.sids`: socket id → rooms (own id first), socket.io's shape, for the sockets of
 * this node. Values are snapshots.
 */
export class SidsView implements ReadonlyMap<SocketId, ReadonlySet<Room>> {
  readonly #state: RoomState;

  constructor(state: RoomState) {
    this.#state = state;
  }

  get(id: SocketId): ReadonlySet<Room> | undefined {
    return this.#state.roomsOf(id);
  }

  has(id: SocketId): boolean {
    return this.#state.roomsOf(id) !== undefined;
  }

  get size(): number {
    let size = 0;
    for (const _ of this.keys()) size++;
    return size;
  }

  *keys(): IterableIterator<SocketId> {
    const { joined, sockets } = this.#state;
    for (const id of sockets.keys()) if (this.has(id)) yield id;
    for (const id of joined.keys()) if (!sockets.has(id)) yield id;
  }

  *values(): IterableIterator<ReadonlySet<Room>> {
    for (const id of this.keys()) yield this.get(id) as ReadonlySet<Room>;
  }

  *entries(): IterableIterator<[SocketId, ReadonlySet<Room>]> {
    for (const id of this.keys()) yield [id, this.get(id) as ReadonlySet<Room>];
  }

  [Symbol.iterator](): IterableIterator<[SocketId, ReadonlySet<Room>]> {
    return this.entries();
  }

  forEach(
    fn: (
      value: ReadonlySet<Room>,
      key: SocketId,
      map: ReadonlyMap<SocketId, ReadonlySet<Room>>,
    ) => void,
    thisArg?: unknown,
  ): void {
    for (const [id, rooms] of this.entries()) fn.call(thisArg, rooms, id, this);
  }

  get [Symbol.toStringTag](): string {
    return "Map";
  }
}

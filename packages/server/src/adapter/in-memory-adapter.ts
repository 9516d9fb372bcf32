import { EventEmitter } from "node:events";
import type { SocketPacket } from "@switchboard/protocol";
import { type RoomState, RoomsView, SidsView } from "./room-views.js";
import type {
  Adapter,
  AdapterNamespace,
  AdapterSocket,
  BroadcastFlags,
  BroadcastOptions,
  RestoredSession,
  Room,
  Session,
  SocketDetails,
  SocketId,
} from "./types.js";

const NO_FLAGS: BroadcastFlags = Object.freeze({});

/**
 * The default adapter: rooms live in this process, broadcasts reach this node's sockets.
 *
 * A broadcast encodes its packet once ({@link AdapterNamespace.encode}) and delivers the
 * same encoded packet to every recipient.
 *
 * @example
 * ```ts
 * const io = new Server({ adapter: InMemoryAdapter }); // the default anyway
 * io.of("/").adapter.on("create-room", (room) => console.log("room", room));
 * ```
 */
export class InMemoryAdapter extends EventEmitter implements Adapter {
  readonly nsp: AdapterNamespace;
  /**
   * room → socket ids. Every socket is in the room of its own id, but that room is not
   * stored (a one-member Set per connection): it is resolved through `nsp.sockets`, and
   * this view shows it, as socket.io's map would.
   */
  readonly rooms: ReadonlyMap<Room, ReadonlySet<SocketId>>;
  /** socket id → rooms (own id first), for sockets of this node. A view, see {@link rooms}. */
  readonly sids: ReadonlyMap<SocketId, ReadonlySet<Room>>;
  /** Rooms joined explicitly (never a socket's own-id room). */
  readonly #rooms = new Map<Room, Set<SocketId>>();
  /** Sockets that joined an explicit room → those rooms; created on a socket's first join. */
  readonly #sids = new Map<SocketId, Set<Room>>();
  /** Connected sockets that left their own-id room (`socket.leave(socket.id)`, rare). */
  #leftOwn: Set<SocketId> | undefined;

  constructor(nsp: AdapterNamespace) {
    super();
    this.nsp = nsp;
    const state: RoomState = {
      explicit: this.#rooms,
      joined: this.#sids,
      sockets: nsp.sockets,
      inOwnRoom: (id) => this.#inOwnRoom(id),
      roomsOf: (id) => this.#roomsOf(id),
    };
    this.rooms = new RoomsView(state);
    this.sids = new SidsView(state);
  }

  init(): void {}

  close(): void {}

  serverCount(): Promise<number> {
    return Promise.resolve(1);
  }

  addAll(id: SocketId, rooms: Iterable<Room>): void {
    let joined = this.#sids.get(id);
    for (const room of rooms) {
      if (room === id) {
        // The own-id room is implicit: only its events, and undoing a leave.
        if (this.#leftOwn?.delete(id) === true && this.#leftOwn.size === 0) {
          this.#leftOwn = undefined;
        }
        this.emit("create-room", room);
        this.emit("join-room", room, id);
        continue;
      }
      if (joined === undefined) {
        joined = new Set();
        this.#sids.set(id, joined);
      }
      joined.add(room);
      let members = this.#rooms.get(room);
      if (members === undefined) {
        members = new Set();
        this.#rooms.set(room, members);
        this.emit("create-room", room);
      }
      if (!members.has(id)) {
        members.add(id);
        this.emit("join-room", room, id);
      }
    }
  }

  del(id: SocketId, room: Room): void {
    if (room === id) {
      if (!this.#inOwnRoom(id)) return;
      this.#leftOwn ??= new Set();
      this.#leftOwn.add(id);
      this.emit("leave-room", room, id);
      this.emit("delete-room", room);
      return;
    }
    const joined = this.#sids.get(id);
    if (joined?.delete(room) && joined.size === 0) this.#sids.delete(id);
    this.#leaveRoom(id, room);
  }

  delAll(id: SocketId): void {
    if (this.#leftOwn?.delete(id) === true) {
      if (this.#leftOwn.size === 0) this.#leftOwn = undefined;
    } else if (this.nsp.sockets.has(id)) {
      this.emit("leave-room", id, id);
      this.emit("delete-room", id);
    }
    const joined = this.#sids.get(id);
    if (joined === undefined) return;
    this.#sids.delete(id);
    for (const room of joined) this.#leaveRoom(id, room);
  }

  #leaveRoom(id: SocketId, room: Room): void {
    const members = this.#rooms.get(room);
    if (members === undefined || !members.delete(id)) return;
    this.emit("leave-room", room, id);
    if (members.size === 0) {
      this.#rooms.delete(room);
      this.emit("delete-room", room);
    }
  }

  /** Whether `id` is a local socket that is in its own-id room. */
  #inOwnRoom(id: SocketId): boolean {
    return this.nsp.sockets.has(id) && this.#leftOwn?.has(id) !== true;
  }

  /** The rooms of socket `id`, own room first (a new Set), or undefined when in none. */
  #roomsOf(id: SocketId): Set<Room> | undefined {
    const joined = this.#sids.get(id);
    if (!this.#inOwnRoom(id)) return joined === undefined ? undefined : new Set(joined);
    const rooms = new Set<Room>([id]);
    if (joined !== undefined) for (const room of joined) rooms.add(room);
    return rooms;
  }

  /** The local socket whose own-id room is `room`, if it is in it. */
  #owner(room: Room): AdapterSocket | undefined {
    const socket = this.nsp.sockets.get(room);
    if (socket === undefined || this.#leftOwn?.has(room) === true) return undefined;
    return socket;
  }

  broadcast(packet: SocketPacket, opts: BroadcastOptions): void {
    const flags = opts.flags ?? NO_FLAGS;
    const encoded = this.nsp.encode(packet);
    const except = this.#exceptIds(opts.except);
    const rooms = opts.rooms;
    if (rooms.size === 0) {
      // Every socket: straight from the namespace's map, no lookup per recipient.
      if (except === undefined) {
        for (const socket of this.nsp.sockets.values()) socket.deliver(encoded, flags);
      } else {
        for (const socket of this.nsp.sockets.values()) {
          if (!except.has(socket.id)) socket.deliver(encoded, flags);
        }
      }
      return;
    }
    const sockets = this.nsp.sockets;
    if (rooms.size === 1) {
      // One room: its members are distinct already, no dedupe set needed.
      for (const room of rooms) {
        const owner = this.#owner(room);
        if (owner !== undefined && except?.has(room) !== true) owner.deliver(encoded, flags);
        const members = this.#rooms.get(room);
        if (members === undefined) return;
        for (const id of members) {
          if (except?.has(id)) continue;
          sockets.get(id)?.deliver(encoded, flags);
        }
      }
      return;
    }
    for (const socket of this.#recipients(opts, except)) socket.deliver(encoded, flags);
  }

  broadcastWithAck(
    packet: SocketPacket & { id?: number },
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    const flags = opts.flags ?? NO_FLAGS;
    const id = this.nsp.nextAckId();
    packet.id = id;
    const encoded = this.nsp.encode(packet);
    const recipients = this.#recipients(opts);
    for (const socket of recipients) {
      socket.registerAck(id, ack);
      socket.deliver(encoded, flags);
    }
    clientCountCallback(recipients.length);
  }

  sockets(rooms: ReadonlySet<Room>): Promise<Set<SocketId>> {
    const ids = new Set<SocketId>();
    for (const socket of this.#recipients({ rooms })) ids.add(socket.id);
    return Promise.resolve(ids);
  }

  socketRooms(id: SocketId): ReadonlySet<Room> | undefined {
    return this.#roomsOf(id);
  }

  fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    return Promise.resolve(this.#recipients(opts).map((socket) => this.describe(socket)));
  }

  /** The cross-node description of a local socket. */
  protected describe(socket: AdapterSocket): SocketDetails {
    // A plain copy: a socket's own handshake reads its fields on demand (prototype
    // getters), which serialisers that walk own properties would miss.
    const hs = socket.handshake;
    return {
      id: socket.id,
      handshake: {
        headers: hs.headers,
        time: hs.time,
        address: hs.address,
        xdomain: hs.xdomain,
        secure: hs.secure,
        issued: hs.issued,
        url: hs.url,
        query: hs.query,
        auth: hs.auth,
      },
      rooms: this.#roomsOf(socket.id) ?? new Set(),
      data: socket.data,
    };
  }

  addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const socket of this.#recipients(opts)) socket.join(rooms);
  }

  delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const socket of this.#recipients(opts)) {
      for (const room of rooms) socket.leave(room);
    }
  }

  disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    for (const socket of this.#recipients(opts)) socket.disconnect(close);
  }

  serverSideEmit(packet: unknown[]): void {
    const ack = packet[packet.length - 1];
    if (typeof ack === "function") {
      // Single node: nobody else can answer.
      ack(null, []);
    }
  }

  persistSession(_session: Session): void {}

  restoreSession(_pid: string, _offset: string | undefined): Promise<RestoredSession | null> {
    return Promise.resolve(null);
  }

  /** The local sockets matching `opts`, each once (snapshot: safe against mutation). */
  #recipients(
    opts: BroadcastOptions,
    except: ReadonlySet<SocketId> | undefined = this.#exceptIds(opts.except),
  ): AdapterSocket[] {
    const result: AdapterSocket[] = [];
    const sockets = this.nsp.sockets;
    if (opts.rooms.size === 0) {
      for (const socket of sockets.values()) {
        if (except?.has(socket.id) !== true) result.push(socket);
      }
      return result;
    }
    const seen = new Set<SocketId>();
    for (const room of opts.rooms) {
      const owner = this.#owner(room);
      if (owner !== undefined && !seen.has(room) && except?.has(room) !== true) {
        seen.add(room);
        result.push(owner);
      }
      const members = this.#rooms.get(room);
      if (members === undefined) continue;
      for (const id of members) {
        if (seen.has(id) || except?.has(id)) continue;
        seen.add(id);
        const socket = sockets.get(id);
        if (socket !== undefined) result.push(socket);
      }
    }
    return result;
  }

  /** Ids of the sockets in the `except` rooms, or undefined when there are none. */
  #exceptIds(except: ReadonlySet<Room> | undefined): ReadonlySet<SocketId> | undefined {
    if (except === undefined || except.size === 0) return undefined;
    if (except.size === 1) {
      // One room (`socket.to(room)`, `socket.broadcast`: the sender's own room): its member
      // set, or the `except` set itself for an own-id room, is the answer: no copy.
      for (const room of except) {
        const members = this.#rooms.get(room);
        if (this.#owner(room) === undefined) return members;
        if (members === undefined) return except;
      }
    }
    const ids = new Set<SocketId>();
    for (const room of except) {
      if (this.#owner(room) !== undefined) ids.add(room);
      const members = this.#rooms.get(room);
      if (members !== undefined) for (const id of members) ids.add(id);
    }
    return ids;
  }
}

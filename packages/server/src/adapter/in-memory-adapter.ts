import { EventEmitter } from "node:events";
import type { SocketPacket } from "@switchboard/protocol";
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
  readonly rooms = new Map<Room, Set<SocketId>>();
  readonly sids = new Map<SocketId, Set<Room>>();

  constructor(nsp: AdapterNamespace) {
    super();
    this.nsp = nsp;
  }

  init(): void {}

  close(): void {}

  serverCount(): Promise<number> {
    return Promise.resolve(1);
  }

  addAll(id: SocketId, rooms: Iterable<Room>): void {
    let joined = this.sids.get(id);
    if (joined === undefined) {
      joined = new Set();
      this.sids.set(id, joined);
    }
    for (const room of rooms) {
      joined.add(room);
      let members = this.rooms.get(room);
      if (members === undefined) {
        members = new Set();
        this.rooms.set(room, members);
        this.emit("create-room", room);
      }
      if (!members.has(id)) {
        members.add(id);
        this.emit("join-room", room, id);
      }
    }
  }

  del(id: SocketId, room: Room): void {
    this.sids.get(id)?.delete(room);
    this.#leaveRoom(id, room);
  }

  delAll(id: SocketId): void {
    const joined = this.sids.get(id);
    if (joined === undefined) return;
    for (const room of joined) this.#leaveRoom(id, room);
    this.sids.delete(id);
  }

  #leaveRoom(id: SocketId, room: Room): void {
    const members = this.rooms.get(room);
    if (members === undefined || !members.delete(id)) return;
    this.emit("leave-room", room, id);
    if (members.size === 0) {
      this.rooms.delete(room);
      this.emit("delete-room", room);
    }
  }

  broadcast(packet: SocketPacket, opts: BroadcastOptions): void {
    const flags = opts.flags ?? NO_FLAGS;
    const encoded = this.nsp.encode(packet);
    const sockets = this.nsp.sockets;
    const except = this.#exceptIds(opts.except);
    const rooms = opts.rooms;
    if (rooms.size === 0) {
      for (const id of this.sids.keys()) {
        if (except?.has(id)) continue;
        sockets.get(id)?.deliver(encoded, flags);
      }
      return;
    }
    if (rooms.size === 1) {
      // One room: its members are distinct already, no dedupe set needed.
      for (const room of rooms) {
        const members = this.rooms.get(room);
        if (members === undefined) return;
        for (const id of members) {
          if (except?.has(id)) continue;
          sockets.get(id)?.deliver(encoded, flags);
        }
      }
      return;
    }
    const seen = new Set<SocketId>();
    for (const room of rooms) {
      const members = this.rooms.get(room);
      if (members === undefined) continue;
      for (const id of members) {
        if (seen.has(id) || except?.has(id)) continue;
        seen.add(id);
        sockets.get(id)?.deliver(encoded, flags);
      }
    }
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
    return this.sids.get(id);
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
      rooms: new Set(this.sids.get(socket.id)),
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

  restoreSession(_pid: string, _offset: string): Promise<RestoredSession | null> {
    return Promise.resolve(null);
  }

  /** The local sockets matching `opts`, each once (snapshot: safe against mutation). */
  #recipients(opts: BroadcastOptions): AdapterSocket[] {
    const result: AdapterSocket[] = [];
    const sockets = this.nsp.sockets;
    const except = this.#exceptIds(opts.except);
    if (opts.rooms.size === 0) {
      for (const id of this.sids.keys()) {
        if (except?.has(id)) continue;
        const socket = sockets.get(id);
        if (socket !== undefined) result.push(socket);
      }
      return result;
    }
    const seen = new Set<SocketId>();
    for (const room of opts.rooms) {
      const members = this.rooms.get(room);
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
      // set is the answer, no copy per broadcast.
      for (const room of except) return this.rooms.get(room);
    }
    const ids = new Set<SocketId>();
    for (const room of except) {
      const members = this.rooms.get(room);
      if (members !== undefined) for (const id of members) ids.add(id);
    }
    return ids;
  }
}

import type { EventEmitter } from "node:events";
import type { SocketPacket } from "@switchboard/protocol";
import type { PresenceBackend } from "../presence/types.js";
import type {
  ConnectionStateRecoveryOptions,
  Handshake,
  RestoredSession,
  Room,
  Session,
  SocketId,
} from "../socket/types.js";

// The socket layer's types, used by this seam and re-exported here as before.
export type { ConnectionStateRecoveryOptions, Handshake, RestoredSession, Room, Session, SocketId };

/** Flags that travel with a broadcast. */
export interface BroadcastFlags {
  /** Drop the packet for recipients whose transport cannot write right now. */
  volatile?: boolean;
  /** Ask the transport to compress (permessage-deflate / gzip). Default `true`. */
  compress?: boolean;
  /** Only deliver to sockets of this node (cluster adapters skip publishing). */
  local?: boolean;
  /** Milliseconds to wait for acknowledgements. */
  timeout?: number;
  /** The ack callback expects one response, not an array (RemoteSocket#emitWithAck). */
  expectSingleResponse?: boolean;
}

/** Who receives a broadcast: sockets in any of `rooms` (all when empty) minus those in `except`. */
export interface BroadcastOptions {
  rooms: ReadonlySet<Room>;
  except?: ReadonlySet<Room>;
  flags?: BroadcastFlags;
}

/**
 * A packet encoded once for many recipients. Opaque to adapters: they obtain one from
 * {@link AdapterNamespace.encode} and hand it to {@link AdapterSocket.deliver}.
 */
export interface EncodedPacket {
  readonly packet: SocketPacket;
}

/**
 * An acknowledgement callback registered on a socket. When the socket disconnects before
 * the answer arrives, `onDisconnect` (if set) is called instead, so waiters never hang.
 */
export interface AckCallback {
  (...args: unknown[]): void;
  onDisconnect?: () => void;
}

/** How an adapter sees a socket: send prepared packets, register acks, join, leave, disconnect. */
export interface AdapterSocket {
  readonly id: SocketId;
  readonly handshake: Handshake;
  readonly data: unknown;
  /** Write an encoded packet to this socket's connection. */
  deliver(packet: EncodedPacket, flags: BroadcastFlags): void;
  /** Register an ack callback for the packet id the adapter is about to deliver. */
  registerAck(id: number, ack: AckCallback): void;
  join(rooms: Room | readonly Room[]): unknown;
  leave(room: Room): unknown;
  disconnect(close?: boolean): unknown;
}

/** What an adapter may ask of its namespace. */
export interface AdapterNamespace {
  readonly name: string;
  /** The connected sockets of this node. */
  readonly sockets: ReadonlyMap<SocketId, AdapterSocket>;
  /** Encode a packet once; the result can be delivered to any number of sockets. */
  encode(packet: SocketPacket): EncodedPacket;
  /** A fresh ack id, unique within the namespace. */
  nextAckId(): number;
  /**
   * Deliver a server-side event coming from another node to this namespace's listeners.
   * When the last element of `args` is a function it is the ack to call with the answer.
   */
  receiveServerSideEmit(args: unknown[]): void;
  /** Connection state recovery options, when enabled. */
  readonly connectionStateRecovery: Readonly<ConnectionStateRecoveryOptions> | undefined;
}

/** What a socket looks like across nodes (`fetchSockets`). */
export interface SocketDetails {
  id: SocketId;
  handshake: Handshake;
  rooms: Set<Room>;
  data: unknown;
}

/**
 * The seam for multi-node behaviour. The in-memory adapter is the default; a cluster
 * adapter (Redis, …) implements the same interface, so the server never changes.
 *
 * Events: `create-room` (room), `delete-room` (room), `join-room` (room, id),
 * `leave-room` (room, id).
 */
export interface Adapter extends EventEmitter {
  readonly nsp: AdapterNamespace;
  /** room → socket ids of this node. */
  readonly rooms: ReadonlyMap<Room, ReadonlySet<SocketId>>;
  /** socket id → rooms, for sockets of this node. */
  readonly sids: ReadonlyMap<SocketId, ReadonlySet<Room>>;
  init(): void | Promise<void>;
  close(): void | Promise<void>;
  /** Number of nodes in the cluster (1 for the in-memory adapter). */
  serverCount(): Promise<number>;
  addAll(id: SocketId, rooms: Iterable<Room>): void | Promise<void>;
  del(id: SocketId, room: Room): void | Promise<void>;
  delAll(id: SocketId): void;
  /** Send a packet to the matching sockets, encoding it once. */
  broadcast(packet: SocketPacket, opts: BroadcastOptions): void;
  /**
   * Like broadcast, expecting one answer per socket: `clientCountCallback` is called once
   * per node with the number of recipients there, `ack` once per answer.
   */
  broadcastWithAck(
    packet: SocketPacket & { id?: number },
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void;
  /** Ids of the sockets in any of `rooms` (all when empty). */
  sockets(rooms: ReadonlySet<Room>): Promise<Set<SocketId>>;
  socketRooms(id: SocketId): ReadonlySet<Room> | undefined;
  fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]>;
  addSockets(opts: BroadcastOptions, rooms: Room[]): void;
  delSockets(opts: BroadcastOptions, rooms: Room[]): void;
  disconnectSockets(opts: BroadcastOptions, close: boolean): void;
  /**
   * Send an event to the other nodes' namespaces. When the last element of `packet` is a
   * function, it is called once as `(err, responses)`.
   */
  serverSideEmit(packet: unknown[]): void;
  persistSession(session: Session): void | Promise<void>;
  /**
   * The session `pid` and what it missed after `offset` (the last packet its client got;
   * `undefined` when it got none), or `null` when it cannot be restored without a gap.
   */
  restoreSession(pid: string, offset: string | undefined): Promise<RestoredSession | null>;
  /**
   * Optional, for adapters that keep sessions outside the process (cluster recovery): a
   * recoverable socket is now connected (its CONNECT answer and the missed packets are
   * written). The adapter writes its rooms and data through from now on, and delivers at
   * once, in order, what it held back for it while the session was being restored.
   */
  trackSession?(socket: TrackedSession): void;
  /** Optional: `socket.data` of a tracked socket was replaced (`socket.data = …`). */
  sessionChanged?(id: SocketId): void;
  /**
   * Optional: how this namespace's presence reaches the other nodes (cluster adapters).
   * Without it (or `undefined`), presence is this node's only. Called once, on
   * the namespace's first use of presence.
   */
  presenceBackend?(): PresenceBackend | undefined;
}

/** A recoverable socket, as {@link Adapter.trackSession} sees it. */
export interface TrackedSession {
  readonly id: SocketId;
  /** The private session id its client sends back to recover. */
  readonly pid: string;
}

/** Builds the adapter of a namespace (the `adapter` server option). */
export type AdapterConstructor = new (nsp: AdapterNamespace) => Adapter;

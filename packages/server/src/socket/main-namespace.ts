import type { EventEmitter } from "node:events";
import type {
  AllButLast,
  DecorateAcknowledgements,
  DecorateAcknowledgementsWithMultipleResponses,
  DecorateAcknowledgementsWithTimeoutAndMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventNamesWithAck,
  EventNamesWithoutAck,
  EventParams,
  EventsMap,
  FirstNonErrorArg,
  Last,
  ReservedOrUserEventNames,
  ReservedOrUserListener,
} from "@switchboard/protocol";
import type { Presence } from "../presence/presence.js";
import type { BroadcastOperator, Operator } from "./broadcast-operator.js";
import type { Namespace, NamespaceMiddleware, ServerReservedEventsMap } from "./namespace.js";
import type { RemoteSocket } from "./remote-socket.js";
import type { Room } from "./types.js";

// biome-ignore lint/suspicious/noExplicitAny: any listener shape (delegated to EventEmitter)
type Listener = (...args: any[]) => void;

/**
 * The Server's share of socket.io's API that acts on the main namespace `/`: middlewares,
 * broadcasts, server-side emits, socket queries and event listeners, each passed on to
 * {@link sockets} with its typed signature (as socket.io's Server does). Grouped here, one
 * line each, so that server.ts holds only what the Server itself does.
 */
export abstract class MainNamespaceFacade<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's default
  SocketData = any,
> {
  /** The main namespace, `/`. */
  abstract readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;

  /** Register a connection middleware on the main namespace. */
  use(fn: NamespaceMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this {
    this.sockets.use(fn);
    return this;
  }

  /**
   * The presence set of a room of the main namespace (omitted: its namespace-wide set).
   *
   * @example
   * ```ts
   * const lobby = io.presence("lobby");
   * lobby.on("join", (entry) => console.log(entry.id, "is online"));
   * io.on("connection", (socket) => socket.presence.track("lobby", { id: socket.data.userId }));
   * ```
   */
  presence<Meta = unknown>(room?: string): Presence<Meta> {
    return this.sockets.presence<Meta>(room);
  }

  /** Target a room of the main namespace. */
  to(room: Room | readonly Room[]): Operator<EmitEvents, SocketData> {
    return this.sockets.to(room);
  }

  /** Alias of {@link to}. */
  in(room: Room | readonly Room[]): Operator<EmitEvents, SocketData> {
    return this.sockets.in(room);
  }

  /** Exclude a room of the main namespace. */
  except(room: Room | readonly Room[]): Operator<EmitEvents, SocketData> {
    return this.sockets.except(room);
  }

  /** Broadcast to every socket of the main namespace. */
  emit<Ev extends EventNamesWithoutAck<EmitEvents>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): boolean {
    return this.sockets.emit(ev, ...args);
  }

  /** Broadcast a `message` event. */
  send(...args: EventParams<EmitEvents, "message">): this {
    this.sockets.send(...args);
    return this;
  }

  /** Alias of {@link send}. */
  write(...args: EventParams<EmitEvents, "message">): this {
    return this.send(...args);
  }

  /** Send an event to the other nodes (cluster adapters). */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(
    ev: Ev,
    ...args: EventParams<
      DecorateAcknowledgementsWithTimeoutAndMultipleResponses<ServerSideEvents>,
      Ev
    >
  ): boolean {
    return this.sockets.serverSideEmit(ev, ...args);
  }

  /** {@link serverSideEmit} returning a promise of every node's answer. */
  serverSideEmitWithAck<Ev extends EventNamesWithAck<ServerSideEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<ServerSideEvents, Ev>>
  ): Promise<FirstNonErrorArg<Last<EventParams<ServerSideEvents, Ev>>>[]> {
    return this.sockets.serverSideEmitWithAck(ev, ...args);
  }

  /** Whether the next broadcast is compressed. */
  compress(compress: boolean): Operator<EmitEvents, SocketData> {
    return this.sockets.compress(compress);
  }

  /** The next broadcast is volatile. */
  get volatile(): Operator<EmitEvents, SocketData> {
    return this.sockets.volatile;
  }

  /** The next broadcast reaches this node only. */
  get local(): Operator<EmitEvents, SocketData> {
    return this.sockets.local;
  }

  /** Acks of the next broadcast time out after `timeout` ms. */
  timeout(
    timeout: number,
  ): BroadcastOperator<
    DecorateAcknowledgements<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>>,
    SocketData
  > {
    return this.sockets.timeout(timeout);
  }

  /** Every socket of the main namespace (local and remote). */
  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.sockets.fetchSockets();
  }

  /** Make every socket of the main namespace join rooms. */
  socketsJoin(room: Room | readonly Room[]): void {
    this.sockets.socketsJoin(room);
  }

  /** Make every socket of the main namespace leave rooms. */
  socketsLeave(room: Room | readonly Room[]): void {
    this.sockets.socketsLeave(room);
  }

  /** Disconnect every socket of the main namespace. */
  disconnectSockets(close = false): void {
    this.sockets.disconnectSockets(close);
  }

  /** Ids of the sockets of the main namespace. */
  allSockets(): Promise<Set<string>> {
    return this.sockets.allSockets();
  }

  on<
    Ev extends ReservedOrUserEventNames<
      ServerReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  >(
    ev: Ev,
    listener: ReservedOrUserListener<
      ServerReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents,
      Ev
    >,
  ): this {
    this.#events.on(ev, listener);
    return this;
  }

  once<
    Ev extends ReservedOrUserEventNames<
      ServerReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  >(
    ev: Ev,
    listener: ReservedOrUserListener<
      ServerReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents,
      Ev
    >,
  ): this {
    this.#events.once(ev, listener);
    return this;
  }

  off<
    Ev extends ReservedOrUserEventNames<
      ServerReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents
    >,
  >(
    ev: Ev,
    listener: ReservedOrUserListener<
      ServerReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      ServerSideEvents,
      Ev
    >,
  ): this {
    this.#events.off(ev, listener);
    return this;
  }

  /** Alias of {@link on}. */
  addListener(ev: string, listener: Listener): this {
    this.#events.on(ev, listener);
    return this;
  }

  /** Alias of {@link off}. */
  removeListener(ev: string, listener: Listener): this {
    this.#events.off(ev, listener);
    return this;
  }

  removeAllListeners(ev?: string): this {
    this.sockets.removeAllListeners(ev);
    return this;
  }

  listeners(ev: string): Listener[] {
    return this.#events.listeners(ev) as Listener[];
  }

  listenerCount(ev: string): number {
    return this.sockets.listenerCount(ev);
  }

  /**
   * The main namespace as a plain EventEmitter: the listeners above are typed by the
   * Server's event maps, which TypeScript cannot match to the namespace's generic ones.
   */
  get #events(): EventEmitter {
    return this.sockets;
  }
}

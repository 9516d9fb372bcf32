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
  RemoveAcknowledgements,
  SocketPacket,
} from "@switchboard/protocol";
import debugModule from "debug";
import type { Adapter, AdapterNamespace } from "../adapter/types.js";
import { LocalPresenceBackend } from "../presence/local-backend.js";
import { Presence } from "../presence/presence.js";
import { PresenceRegistry, type PresenceStats } from "../presence/registry.js";
import { ackPromise } from "./acks.js";
import { BroadcastOperator, type Operator } from "./broadcast-operator.js";
import { bindHandler, handlerEventTable, type NamespaceHandler } from "./class-handler.js";
import type { Client } from "./client.js";
import { SocketErrorCode, SocketTypeError } from "./errors.js";
import {
  type AddResult,
  kAccept,
  kAdd,
  kGuards,
  kInitAdapter,
  kOnConnect,
  kOptions,
  kPresence,
  kPresenceIfAny,
  kRemove,
  type ServerOf,
} from "./internal.js";
import { type ExtendedError, runMiddlewares } from "./middleware.js";
import { PreparedPacket } from "./prepared-packet.js";
import { type RateLimitOptions, type ResolvedRateLimit, resolveRateLimit } from "./rate-limit.js";
import { assertNotReserved, reservedEventError } from "./reasons.js";
import type { RemoteSocket } from "./remote-socket.js";
import { Socket } from "./socket.js";
import { StrictEventEmitter } from "./typed-emitter.js";
import type { ConnectionStateRecoveryOptions, Room } from "./types.js";
import {
  type EventSchemas,
  type ResolvedSchema,
  resolveSchemas,
  type SchemaEvents,
} from "./validation.js";

/** What a namespace's sockets check on each incoming event (one object, read per event). */
export interface NamespaceGuards {
  schemas: ReadonlyMap<string, ResolvedSchema> | undefined;
  rateLimit: ResolvedRateLimit | undefined;
}

export type { ExtendedError } from "./middleware.js";

const debug = debugModule("switchboard:namespace");

declare module "./internal.js" {
  interface SocketLayerClasses<
    ListenEvents extends EventsMap,
    EmitEvents extends EventsMap,
    ServerSideEvents extends EventsMap,
    SocketData,
  > {
    namespace: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  }
}

/** Events a namespace raises itself. */
export interface NamespaceReservedEventsMap<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
> {
  connect: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void;
  connection: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void;
}

/** Events the main namespace (and the Server) raise. */
export interface ServerReservedEventsMap<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
> extends NamespaceReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  new_namespace: (
    namespace: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  ) => void;
  /**
   * The server began to drain (`io.drain()`, `io.close()` with connection state recovery,
   * a shutdown signal): new sessions are refused, and the connections close over `spread` ms.
   */
  draining: (info: { spread: number }) => void;
}

/** Connection middleware (`io.use`, `nsp.use`): call `next(err)` to refuse the socket. */
export type NamespaceMiddleware<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's default
  SocketData = any,
> = (
  socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  next: (err?: ExtendedError) => void,
) => void;

/**
 * A communication channel: sockets connect to it, join its rooms, and hear its
 * broadcasts. Several namespaces share one connection.
 *
 * @example
 * ```ts
 * const admin = io.of("/admin");
 * admin.use((socket, next) => (socket.handshake.auth.token === secret ? next() : next(new Error("forbidden"))));
 * admin.on("connection", (socket) => socket.emit("welcome"));
 * admin.to("ops").emit("alert", "disk full");
 * ```
 */
export class Namespace<
    ListenEvents extends EventsMap = DefaultEventsMap,
    EmitEvents extends EventsMap = ListenEvents,
    ServerSideEvents extends EventsMap = DefaultEventsMap,
    // biome-ignore lint/suspicious/noExplicitAny: socket.io's default
    SocketData = any,
  >
  extends StrictEventEmitter<
    ServerSideEvents,
    RemoveAcknowledgements<EmitEvents>,
    ServerReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >
  implements AdapterNamespace
{
  readonly name: string;
  readonly server: ServerOf<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The connected sockets of this node, by id. */
  readonly sockets = new Map<
    string,
    Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >();
  adapter!: Adapter;
  /** @internal the middlewares, shared with children of a parent namespace. */
  protected fns: NamespaceMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>[] = [];
  #ackId = 0;
  #operator: Operator<EmitEvents, SocketData> | undefined;
  #guards: NamespaceGuards | undefined;
  #presence: PresenceRegistry | undefined;

  constructor(
    server: ServerOf<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    name: string,
  ) {
    super();
    this.server = server;
    this.name = name;
    this[kInitAdapter]();
  }

  /** Create (or re-create) the adapter, from the server's `adapter` option. */
  [kInitAdapter](): void {
    this.resetOperator();
    // The adapter being replaced (io.adapter(ctor) after construction) is closed, so a
    // cluster adapter does not stay subscribed and counted as a node.
    const previous = this.adapter as Adapter | undefined;
    const Ctor = this.server.adapter();
    this.adapter = new Ctor(this);
    void this.adapter.init();
    // Presence rides on the adapter's backend: a new adapter, a new registry on first use.
    this.#presence?.close();
    this.#presence = undefined;
    if (previous !== undefined) {
      void Promise.resolve()
        .then(() => previous.close())
        .catch((err: unknown) => debug("closing the replaced adapter of %s: %O", this.name, err));
    }
  }

  get connectionStateRecovery(): Readonly<ConnectionStateRecoveryOptions> | undefined {
    return this.server[kOptions].connectionStateRecovery;
  }

  /** Register a connection middleware. */
  use(fn: NamespaceMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this {
    this.fns.push(fn);
    return this;
  }

  /**
   * Register a class-based handler: its methods handle this namespace's events (see
   * {@link NamespaceHandler}).
   */
  register(
    handler: NamespaceHandler<Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>,
  ): this {
    const table = handlerEventTable(handler);
    this.on("connection", (socket) => bindHandler(handler as NamespaceHandler, table, socket));
    return this;
  }

  /**
   * Validate incoming events with Standard Schemas (zod, valibot, arktype, …): event name →
   * schema of its first argument, or `{ payload, ack }` to check the handler's ack answer
   * too. A handler gets the schema's output; an invalid payload never reaches middlewares,
   * catch-all listeners or handlers, and the client gets an ack `{ error: { code:
   * "SB_ERR_VALIDATION", event, issues } }` or, without an ack, an `error` event with that
   * object. An async schema gets `validationTimeout` ms (then `SB_ERR_VALIDATION_TIMEOUT`),
   * and its event may reach handlers after events sent later. Calling it again adds to
   * (and replaces entries of) the table. Returns this namespace, typed with the schemas'
   * events.
   *
   * @example
   * ```ts
   * import { z } from "zod";
   * const chat = io.of("/chat").validate({
   *   message: { payload: z.object({ text: z.string().max(500) }), ack: z.object({ id: z.string() }) },
   *   typing: z.boolean(),
   * });
   * chat.on("connection", (socket) => {
   *   socket.on("message", ({ text }, ack) => ack({ id: save(text) })); // text: string
   * });
   * ```
   */
  validate<M extends EventSchemas>(
    schemas: M,
  ): Namespace<
    Omit<ListenEvents, keyof M> & SchemaEvents<M>,
    EmitEvents,
    ServerSideEvents,
    SocketData
  > {
    const table = new Map(this[kGuards].schemas);
    for (const [event, schema] of resolveSchemas(schemas, invalidSchema)) {
      table.set(event, schema);
    }
    this[kGuards].schemas = table;
    // The same object, with the listen map the schemas define: a view TypeScript cannot derive.
    return this as never;
  }

  /**
   * Limit how many events each socket of this namespace may send (token buckets per socket
   * and per event, see {@link RateLimitOptions}); replaces the server's `rateLimit` option
   * here, `false` turns limiting off. Applies to sockets from their next event.
   *
   * @example
   * ```ts
   * io.of("/chat").rateLimit({ points: 10, duration: 1000, perEvent: { message: { points: 3, duration: 5000 } } });
   * ```
   */
  rateLimit(options: RateLimitOptions | false): this {
    this[kGuards].rateLimit = options === false ? undefined : resolveRateLimit(options);
    return this;
  }

  /**
   * The presence set of `room` (omitted: the namespace-wide set), cluster-wide with an
   * adapter that provides a presence backend (`@switchboard/redis`'s does). See
   * {@link Presence}; sockets join it with `socket.presence.track(room, { id, meta })`.
   *
   * @example
   * ```ts
   * const lobby = io.of("/chat").presence<{ name: string }>("lobby");
   * lobby.on("join", ({ id, meta }) => console.log(meta.name, "joined"));
   * const online = await lobby.list(); // [{ id, meta, count }]
   * ```
   */
  presence<Meta = unknown>(room?: string): Presence<Meta> {
    if (room !== undefined && typeof room !== "string")
      throw new TypeError("room must be a string");
    return new Presence<Meta>(this[kPresence], room ?? null);
  }

  /**
   * Counts of every map presence keeps in this namespace (zeros before its first use), for
   * leak checks and monitoring.
   *
   * @example
   * ```ts
   * console.log(io.of("/chat").presenceStats); // { rooms, identities, sockets, pending, … }
   * ```
   */
  get presenceStats(): PresenceStats {
    return (
      this.#presence?.stats ?? {
        rooms: 0,
        identities: 0,
        sockets: 0,
        pending: 0,
        nodes: 0,
        subscribers: 0,
        views: 0,
      }
    );
  }

  /** The presence registry, made on first use with the adapter's backend. */
  get [kPresence](): PresenceRegistry {
    this.#presence ??= new PresenceRegistry(
      this,
      this.server[kOptions].presence,
      this.adapter.presenceBackend?.() ?? new LocalPresenceBackend(),
    );
    return this.#presence;
  }

  /** The presence registry if one was made. */
  get [kPresenceIfAny](): PresenceRegistry | undefined {
    return this.#presence;
  }

  /** The schema table and rate limit, made on first use (the server's `rateLimit` option). */
  get [kGuards](): NamespaceGuards {
    this.#guards ??= this.createGuards();
    return this.#guards;
  }

  /** Hook for subclasses: this namespace's guards (a child namespace inherits its parent's). */
  protected createGuards(): NamespaceGuards {
    return { schemas: undefined, rateLimit: this.server[kOptions].rateLimit };
  }

  /** Target a room. */
  to(room: Room | readonly Room[]): Operator<EmitEvents, SocketData> {
    return this.#op().to(room);
  }

  /** Alias of {@link to}. */
  in(room: Room | readonly Room[]): Operator<EmitEvents, SocketData> {
    return this.#op().in(room);
  }

  /** Exclude a room. */
  except(room: Room | readonly Room[]): Operator<EmitEvents, SocketData> {
    return this.#op().except(room);
  }

  /** Broadcast to every socket of the namespace. */
  emit<Ev extends EventNamesWithoutAck<EmitEvents>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): boolean {
    return (this.#op().emit as (ev: string, ...a: unknown[]) => boolean)(ev as string, ...args);
  }

  /** Broadcast a `message` event. */
  send(...args: EventParams<EmitEvents, "message">): this {
    (this.#op().emit as (ev: string, ...a: unknown[]) => boolean)("message", ...args);
    return this;
  }

  /** Alias of {@link send}. */
  write(...args: EventParams<EmitEvents, "message">): this {
    return this.send(...args);
  }

  /**
   * Send an event to the other nodes' instances of this namespace (cluster adapters). A
   * function as last argument receives `(err, responses)`.
   */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(
    ev: Ev,
    ...args: EventParams<
      DecorateAcknowledgementsWithTimeoutAndMultipleResponses<ServerSideEvents>,
      Ev
    >
  ): boolean {
    assertNotReserved(ev);
    if (ev === "connection" || ev === "new_namespace" || ev === "draining") {
      throw reservedEventError(ev);
    }
    this.adapter.serverSideEmit([ev, ...args]);
    return true;
  }

  /** {@link serverSideEmit} returning a promise of every node's answer. */
  serverSideEmitWithAck<Ev extends EventNamesWithAck<ServerSideEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<ServerSideEvents, Ev>>
  ): Promise<FirstNonErrorArg<Last<EventParams<ServerSideEvents, Ev>>>[]> {
    return ackPromise(this, this.serverSideEmit, [ev, ...args], true);
  }

  /** Acks of the next broadcast time out after `timeout` ms. */
  timeout(
    timeout: number,
  ): BroadcastOperator<
    DecorateAcknowledgements<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>>,
    SocketData
  > {
    return this.#op().timeout(timeout);
  }

  /** The next broadcast may be compressed or not. */
  compress(compress: boolean): Operator<EmitEvents, SocketData> {
    return this.#op().compress(compress);
  }

  /** The next broadcast is volatile. */
  get volatile(): Operator<EmitEvents, SocketData> {
    return this.#op().volatile;
  }

  /** The next broadcast reaches this node only. */
  get local(): Operator<EmitEvents, SocketData> {
    return this.#op().local;
  }

  /** Every socket of the namespace (local and remote). */
  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    return this.#op().fetchSockets() as Promise<RemoteSocket<EmitEvents, SocketData>[]>;
  }

  /** Make every socket join rooms. */
  socketsJoin(room: Room | readonly Room[]): void {
    this.#op().socketsJoin(room);
  }

  /** Make every socket leave rooms. */
  socketsLeave(room: Room | readonly Room[]): void {
    this.#op().socketsLeave(room);
  }

  /** Disconnect every socket. */
  disconnectSockets(close = false): void {
    this.#op().disconnectSockets(close);
  }

  /** Ids of every socket (deprecated in socket.io; use fetchSockets). */
  allSockets(): Promise<Set<string>> {
    return this.#op().allSockets();
  }

  // ---- AdapterNamespace ----

  encode(packet: SocketPacket): PreparedPacket {
    return new PreparedPacket(packet, this.server[kOptions].encode(packet));
  }

  nextAckId(): number {
    return this.#ackId++;
  }

  receiveServerSideEmit(args: unknown[]): void {
    const [ev, ...rest] = args;
    if (typeof ev !== "string") return;
    this.emitUntyped(ev, ...rest);
  }

  /** Raise a reserved event on local listeners. */
  override emitReserved<
    Ev extends EventNames<
      ServerReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
    >,
  >(
    ev: Ev,
    ...args: EventParams<
      ServerReservedEventsMap<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
      Ev
    >
  ): boolean {
    return super.emitReserved(ev, ...args);
  }

  // ---- internal ----

  /**
   * Create the socket for a CONNECT. Synchronous when there is nothing to wait for (no
   * middleware, no session to restore): the common case costs no promise.
   */
  [kAdd](client: Client, auth: Record<string, unknown>): AddResult | Promise<AddResult> {
    if (this.connectionStateRecovery !== undefined && typeof auth.pid === "string") {
      return this.#addAsync(client, auth);
    }
    const socket = new Socket(this, client, auth);
    if (this.fns.length === 0) return { ok: true, socket };
    return this.#admit(socket);
  }

  async #addAsync(client: Client, auth: Record<string, unknown>): Promise<AddResult> {
    const recovery = this.connectionStateRecovery;
    let socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | undefined;
    if (recovery !== undefined && typeof auth.pid === "string") {
      // No offset: the client got no packet yet (an adapter may still restore from the
      // session's own start; the in-memory one cannot tell a gap, so it does not).
      const offset = typeof auth.offset === "string" ? auth.offset : undefined;
      try {
        const session = await this.adapter.restoreSession(auth.pid, offset);
        if (session !== null) {
          debug("session %s restored in %s", session.sid, this.name);
          socket = new Socket(this, client, auth, session);
        }
      } catch (err) {
        debug("restoreSession failed: %s", err);
      }
    }
    socket ??= new Socket(this, client, auth);
    if (socket.recovered && recovery?.skipMiddlewares === true) return { ok: true, socket };
    return this.#admit(socket);
  }

  /** Run the connection middlewares on a new socket. */
  async #admit(
    socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  ): Promise<AddResult> {
    const error = await runMiddlewares(this.fns, socket);
    if (error !== undefined) {
      if (socket.recovered) this.adapter.delAll(socket.id);
      return {
        ok: false,
        error:
          error.data === undefined
            ? { message: error.message }
            : { message: error.message, data: error.data },
      };
    }
    return { ok: true, socket };
  }

  [kAccept](socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    this.sockets.set(socket.id, socket);
    socket[kOnConnect]();
    this.emitReserved("connect", socket);
    this.emitReserved("connection", socket);
  }

  /** A socket left; without one, a CONNECT ended with no socket joining (refused, client gone). */
  [kRemove](socket?: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    if (socket !== undefined && this.sockets.get(socket.id) === socket) {
      this.sockets.delete(socket.id);
    }
    this.onSocketRemoved();
  }

  /** Hook for subclasses: a socket left (child namespace cleanup). */
  protected onSocketRemoved(): void {}

  #op(): Operator<EmitEvents, SocketData> {
    this.#operator ??= new BroadcastOperator(
      this.adapter,
      undefined,
      undefined,
      undefined,
      this.server[kOptions].ackTimeout,
    ) as Operator<EmitEvents, SocketData>;
    return this.#operator;
  }

  /** Drop the cached operator (after the adapter changed). */
  protected resetOperator(): void {
    this.#operator = undefined;
  }
}

function invalidSchema(message: string): SocketTypeError {
  return new SocketTypeError(SocketErrorCode.INVALID_OPTION, message);
}

import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import type { Http2SecureServer } from "node:http2";
import type { Server as HttpsServer } from "node:https";
import type {
  AllButLast,
  DecoderLimits,
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
  SocketPacket,
  SocketParser,
} from "@switchboard/protocol";
import {
  customEncoder,
  encodeSocketPacket,
  isSocketParser,
  resolveDecoderLimits,
} from "@switchboard/protocol";
import debugModule from "debug";
import { InMemoryAdapter } from "../adapter/in-memory-adapter.js";
import { SessionAwareAdapter } from "../adapter/session-aware-adapter.js";
import type { AdapterConstructor, ConnectionStateRecoveryOptions, Room } from "../adapter/types.js";
import {
  createOwnServer,
  type EngineConnection,
  EngineServer,
  type EngineServerOptions,
  randomId,
} from "../engine/index.js";
import type { BroadcastOperator } from "./broadcast-operator.js";
import { Client } from "./client.js";
import {
  kClientClosed,
  kEio3Open,
  kInitAdapter,
  kOnClose,
  kOptions,
  kResolveNamespace,
} from "./internal.js";
import {
  Namespace,
  type NamespaceMiddleware,
  type Operator,
  type ServerReservedEventsMap,
} from "./namespace.js";
import { ParentNamespace, type ParentNspNameMatchFn } from "./parent-namespace.js";
import type { RemoteSocket } from "./remote-socket.js";
import { createClientFileHandler } from "./serve-client.js";
import type { Socket } from "./socket.js";

const debug = debugModule("switchboard:server");

/** Options of {@link Server}; engine options (pingInterval, cors, …) pass through. */
export interface ServerOptions extends EngineServerOptions {
  /** Where the server answers. Default `"/socket.io"`. */
  path: string;
  /** Serve the browser client at `<path>/socket.io.js`. Default true. */
  serveClient: boolean;
  /** Close connections that join no namespace within this delay, ms. Default 45000. */
  connectTimeout: number;
  /** The adapter class of every namespace. Default {@link InMemoryAdapter}. */
  adapter: AdapterConstructor;
  /** Limits of the Socket.IO packet decoder. Default `DEFAULT_DECODER_LIMITS`. */
  decoderLimits: Partial<DecoderLimits>;
  /**
   * Connection state recovery; off unless given. Defaults inside:
   * `maxDisconnectionDuration` 120000 ms, `skipMiddlewares` true, `maxPackets` 10000,
   * `maxSessions` 10000.
   */
  connectionStateRecovery: Partial<ConnectionStateRecoveryOptions>;
  /** Remove a dynamic child namespace when its last socket leaves. Default false. */
  cleanupEmptyChildNamespaces: boolean;
  /**
   * A socket.io parser module (an `Encoder` and a `Decoder` class, as socket.io's `parser`
   * option), e.g. `socket.io-msgpack-parser`; clients must use the same parser. Default: the
   * built-in Socket.IO v5 codec of `@switchboard/protocol`. With a custom parser every decoded
   * packet is checked as the default decoder checks its own (`decoderLimits` included) before
   * it reaches a handler, a decoder that throws closes only its connection with
   * `"parse error"`, and a broadcast is encoded once by the parser's encoder.
   */
  parser: SocketParser;
}

/** Encodes a packet into the engine messages that carry it. */
export type PacketEncoder = (packet: SocketPacket) => (string | Uint8Array | ArrayBuffer)[];

/** Options after defaults. */
export interface ResolvedServerOptions {
  path: string;
  serveClient: boolean;
  connectTimeout: number;
  adapter: AdapterConstructor | undefined;
  decoderLimits: Readonly<DecoderLimits>;
  connectionStateRecovery: Readonly<ConnectionStateRecoveryOptions> | undefined;
  cleanupEmptyChildNamespaces: boolean;
  /** The custom parser, if any. */
  parser: SocketParser | undefined;
  /** The parser's encoder, or the built-in one. */
  encode: PacketEncoder;
}

const SERVER_KEYS = new Set([
  "parser",
  "serveClient",
  "connectTimeout",
  "adapter",
  "decoderLimits",
  "connectionStateRecovery",
  "cleanupEmptyChildNamespaces",
]);

// biome-ignore lint/suspicious/noExplicitAny: any listener shape (delegated to EventEmitter)
type Listener = (...args: any[]) => void;

/**
 * A Socket.IO v5 server: namespaces, rooms, acks, middlewares, broadcasting, connection
 * state recovery. Any official Socket.IO v3/v4 client can connect.
 *
 * @example
 * ```ts
 * import { Server } from "@switchboard/server";
 *
 * const io = new Server(3000, { cors: { origin: "*" } });
 * io.on("connection", (socket) => {
 *   socket.on("chat", (text) => io.emit("chat", socket.id, text));
 * });
 * ```
 */
export class Server<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's default
  SocketData = any,
> {
  /** The Engine.IO server underneath (`io.engine.use(sessionMiddleware)`). */
  readonly engine: EngineServer;
  /** The main namespace, `/`. */
  readonly sockets: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  /** The HTTP server this server is attached to, if any. */
  httpServer: HttpServer | HttpsServer | Http2SecureServer | undefined;

  readonly #opts: ResolvedServerOptions;
  readonly #nsps = new Map<
    string,
    Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >();
  readonly #parentNsps = new Map<
    ParentNspNameMatchFn,
    ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  >();
  readonly #parentsFromRegExp = new Map<
    string,
    {
      regexp: RegExp;
      parent: ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
    }
  >();
  readonly #clients = new Set<Client>();

  constructor(options?: Partial<ServerOptions>);
  constructor(port: number, options?: Partial<ServerOptions>);
  constructor(
    server: HttpServer | HttpsServer | Http2SecureServer,
    options?: Partial<ServerOptions>,
  );
  /** Any of the above, decided at run time (what `createServer` forwards). */
  constructor(
    srv?: number | HttpServer | HttpsServer | Http2SecureServer | Partial<ServerOptions>,
    options?: Partial<ServerOptions>,
  );
  constructor(
    srv?: number | HttpServer | HttpsServer | Http2SecureServer | Partial<ServerOptions>,
    options: Partial<ServerOptions> = {},
  ) {
    let opts = options;
    let attachTo: number | HttpServer | HttpsServer | Http2SecureServer | undefined;
    if (typeof srv === "number" || isHttpServer(srv)) attachTo = srv;
    else if (srv !== undefined) opts = srv as Partial<ServerOptions>;
    this.#opts = resolveServerOptions(opts);
    const engineOptions: Partial<EngineServerOptions> = {};
    for (const [key, value] of Object.entries(opts)) {
      if (!SERVER_KEYS.has(key)) (engineOptions as Record<string, unknown>)[key] = value;
    }
    engineOptions.path = `${this.#opts.path}/`;
    this.engine = new EngineServer(engineOptions);
    this.engine.on("connection", (conn: EngineConnection) => this.acceptConnection(conn));
    this.sockets = this.of("/");
    if (attachTo !== undefined) this.attach(attachTo);
  }

  /** Attach to an HTTP server, or create one listening on `port`. */
  attach(
    srv: number | HttpServer | HttpsServer | Http2SecureServer,
    options: Partial<Pick<ServerOptions, "path">> = {},
  ): this {
    if (options.path !== undefined) this.#opts.path = normalizePath(options.path);
    let server: HttpServer | HttpsServer | Http2SecureServer;
    if (typeof srv === "number") {
      server = createOwnServer();
      server.listen(srv);
    } else {
      server = srv;
    }
    this.httpServer = server;
    this.engine.attach(server as HttpServer, { path: `${this.#opts.path}/` });
    if (this.#opts.serveClient) this.#interceptClientRequests(server as HttpServer);
    debug("attached at %s", this.#opts.path);
    return this;
  }

  /** Alias of {@link attach}. */
  listen(
    srv: number | HttpServer | HttpsServer | Http2SecureServer,
    options: Partial<Pick<ServerOptions, "path">> = {},
  ): this {
    return this.attach(srv, options);
  }

  /**
   * Take over an engine connection made elsewhere (the engine's `connection` event, the
   * in-process test client, a custom transport).
   */
  acceptConnection(conn: EngineConnection): void {
    const client = new Client(this, conn);
    this.#clients.add(client);
    if (conn.protocol === 3) client[kEio3Open]();
  }

  /** The path the server answers on (without trailing slash). */
  path(): string {
    return this.#opts.path;
  }

  /** Whether the browser client is served. */
  serveClient(): boolean {
    return this.#opts.serveClient;
  }

  /** The connect timeout, ms. */
  connectTimeout(): number {
    return this.#opts.connectTimeout;
  }

  /** Whether empty dynamic child namespaces are removed. */
  get cleanupEmptyChildNamespaces(): boolean {
    return this.#opts.cleanupEmptyChildNamespaces;
  }

  /** Number of engine connections handled by this server. */
  get clientsCount(): number {
    return this.#clients.size;
  }

  /** The adapter class, or set a new one (re-creating every namespace's adapter). */
  adapter(): AdapterConstructor;
  adapter(ctor: AdapterConstructor): this;
  adapter(ctor?: AdapterConstructor): AdapterConstructor | this {
    if (ctor === undefined) {
      return (
        this.#opts.adapter ??
        (this.#opts.connectionStateRecovery ? SessionAwareAdapter : InMemoryAdapter)
      );
    }
    this.#opts.adapter = ctor;
    for (const nsp of this.#nsps.values()) nsp[kInitAdapter]();
    return this;
  }

  /**
   * The namespace `name` (created on first use). A RegExp or a function creates a parent
   * namespace whose children are created when clients connect to matching names.
   *
   * @example
   * ```ts
   * io.of("/admin").on("connection", (socket) => {});
   * io.of(/^\/room-\d+$/).on("connection", (socket) => socket.nsp.name);
   * ```
   */
  of(
    name: RegExp | ParentNspNameMatchFn,
    fn?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  of(
    name: string,
    fn?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  of(
    name: string | RegExp | ParentNspNameMatchFn,
    fn?: (socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) => void,
  ): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    if (typeof name === "function" || name instanceof RegExp) {
      const parent = new ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(
        this,
      );
      if (typeof name === "function") {
        this.#parentNsps.set(name, parent);
      } else {
        const regexp = name;
        this.#parentNsps.set((nsp, _auth, next) => next(null, regexp.test(nsp)), parent);
        this.#parentsFromRegExp.set(String(regexp), { regexp, parent });
      }
      if (fn) parent.on("connect", fn);
      return parent;
    }
    const nspName = name.startsWith("/") ? name : `/${name}`;
    let nsp = this.#nsps.get(nspName);
    if (nsp === undefined) {
      for (const { regexp, parent } of this.#parentsFromRegExp.values()) {
        if (regexp.test(nspName)) {
          nsp = this.#createChild(parent, nspName);
          break;
        }
      }
    }
    if (nsp === undefined) {
      nsp = new Namespace(this, nspName);
      this.#nsps.set(nspName, nsp);
      if (nspName !== "/") this.sockets.emitReserved("new_namespace", nsp);
    }
    if (fn) nsp.on("connect", fn);
    return nsp;
  }

  /** The namespaces, by name (children of parent namespaces included). */
  get namespaces(): ReadonlyMap<
    string,
    Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  > {
    return this.#nsps;
  }

  /**
   * socket.io's internal name of {@link namespaces}, read by tools written for socket.io
   * (the official admin UI's `instrument(io)` iterates `io._nsps`).
   */
  get _nsps(): ReadonlyMap<
    string,
    Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  > {
    return this.#nsps;
  }

  /** Forget a namespace (used when an empty child namespace is cleaned up). */
  forgetNamespace(nsp: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    if (this.#nsps.get(nsp.name) === nsp) this.#nsps.delete(nsp.name);
  }

  /**
   * Close: disconnect every socket ("server shutting down"), close the adapters and the
   * engine, then the HTTP server. Resolves (and calls `fn`) when done.
   */
  async close(fn?: (err?: Error) => void): Promise<void> {
    for (const nsp of this.#nsps.values()) {
      for (const socket of [...nsp.sockets.values()]) socket[kOnClose]("server shutting down");
    }
    for (const nsp of this.#nsps.values()) await nsp.adapter.close();
    for (const parent of this.#parentNsps.values()) await parent.adapter.close();
    for (const client of [...this.#clients]) client.close();
    this.engine.close();
    const server = this.httpServer;
    this.httpServer = undefined;
    let error: Error | undefined;
    if (server?.listening) {
      error = await new Promise<Error | undefined>((resolve) => {
        server.close((err) => resolve(err));
        if ("closeIdleConnections" in server) server.closeIdleConnections();
      });
    }
    fn?.(error);
  }

  // ---- main namespace shortcuts ----

  /** Register a connection middleware on the main namespace. */
  use(fn: NamespaceMiddleware<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): this {
    this.sockets.use(fn);
    return this;
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

  /** A fresh socket id (20 url-safe characters). Overridable. */
  generateSocketId(): string {
    return randomId();
  }

  // ---- events, delegated to the main namespace (as socket.io does) ----

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
    this.sockets.on(ev, listener as never);
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
    this.sockets.once(ev, listener as never);
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
    this.sockets.off(ev, listener as never);
    return this;
  }

  /** Alias of {@link on}. */
  addListener(ev: string, listener: Listener): this {
    (this.sockets.on as (ev: string, l: Listener) => unknown)(ev, listener);
    return this;
  }

  /** Alias of {@link off}. */
  removeListener(ev: string, listener: Listener): this {
    (this.sockets.off as (ev: string, l: Listener) => unknown)(ev, listener);
    return this;
  }

  removeAllListeners(ev?: string): this {
    this.sockets.removeAllListeners(ev);
    return this;
  }

  listeners(ev: string): Listener[] {
    return (this.sockets.listeners as (ev: string) => Listener[])(ev);
  }

  listenerCount(ev: string): number {
    return this.sockets.listenerCount(ev);
  }

  // ---- internal ----

  get [kOptions](): ResolvedServerOptions {
    return this.#opts;
  }

  async [kResolveNamespace](
    name: string,
    auth: Record<string, unknown>,
  ): Promise<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> | null> {
    const existing = this.#nsps.get(name);
    if (existing !== undefined) return existing;
    for (const [match, parent] of this.#parentNsps) {
      const allowed = await new Promise<boolean>((resolve) => {
        try {
          match(name, auth, (err, allow) => resolve(!err && allow === true));
        } catch {
          resolve(false);
        }
      });
      if (allowed) return this.#nsps.get(name) ?? this.#createChild(parent, name);
    }
    return null;
  }

  [kClientClosed](client: Client): void {
    this.#clients.delete(client);
  }

  #createChild(
    parent: ParentNamespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    name: string,
  ): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    const child = parent.createChild(name);
    this.#nsps.set(name, child);
    this.sockets.emitReserved("new_namespace", child);
    return child;
  }

  #interceptClientRequests(server: HttpServer): void {
    const serve = createClientFileHandler(this.#opts.path);
    const others = server.listeners("request") as Listener[];
    server.removeAllListeners("request");
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      if (serve(req, res)) return;
      for (const listener of others) listener.call(server, req, res);
    });
  }
}

function isHttpServer(value: unknown): value is HttpServer {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { listen?: unknown }).listen === "function" &&
    typeof (value as { on?: unknown }).on === "function"
  );
}

function normalizePath(path: string): string {
  if (!path.startsWith("/")) throw new TypeError("option path must start with /");
  return path.endsWith("/") ? path.slice(0, -1) : path;
}

function resolveServerOptions(opts: Partial<ServerOptions>): ResolvedServerOptions {
  const connectTimeout = opts.connectTimeout ?? 45_000;
  if (typeof connectTimeout !== "number" || !(connectTimeout > 0)) {
    throw new TypeError("option connectTimeout must be a positive number");
  }
  if (opts.adapter !== undefined && typeof opts.adapter !== "function") {
    throw new TypeError("option adapter must be a class");
  }
  const parser = opts.parser;
  if (parser !== undefined && !isSocketParser(parser)) {
    throw new TypeError("option parser must have an Encoder and a Decoder class");
  }
  const recovery = opts.connectionStateRecovery;
  let connectionStateRecovery: ConnectionStateRecoveryOptions | undefined;
  if (recovery !== undefined && (recovery as unknown) !== false) {
    connectionStateRecovery = {
      maxDisconnectionDuration: recovery.maxDisconnectionDuration ?? 120_000,
      skipMiddlewares: recovery.skipMiddlewares ?? true,
      maxPackets: recovery.maxPackets ?? 10_000,
      maxSessions: recovery.maxSessions ?? 10_000,
    };
    for (const key of ["maxDisconnectionDuration", "maxPackets", "maxSessions"] as const) {
      const v = connectionStateRecovery[key];
      if (typeof v !== "number" || !(v > 0)) {
        throw new TypeError(`connectionStateRecovery.${key} must be a positive number`);
      }
    }
  }
  return {
    path: normalizePath(opts.path ?? "/socket.io"),
    serveClient: opts.serveClient ?? true,
    connectTimeout,
    adapter: opts.adapter,
    decoderLimits: resolveDecoderLimits(opts.decoderLimits),
    connectionStateRecovery,
    cleanupEmptyChildNamespaces: opts.cleanupEmptyChildNamespaces ?? false,
    parser,
    encode: parser === undefined ? encodeSocketPacket : customEncoder(parser),
  };
}

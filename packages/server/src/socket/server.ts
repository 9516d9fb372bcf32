import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import type { Http2SecureServer } from "node:http2";
import type { Server as HttpsServer } from "node:https";
import type { DefaultEventsMap, EventsMap } from "@switchboard/protocol";
import debugModule from "debug";
import { InMemoryAdapter } from "../adapter/in-memory-adapter.js";
import { SessionAwareAdapter } from "../adapter/session-aware-adapter.js";
import type { AdapterConstructor } from "../adapter/types.js";
import {
  createOwnServer,
  type EngineConnection,
  EngineServer,
  type EngineServerOptions,
  randomId,
} from "../engine/index.js";
import { Client } from "./client.js";
import {
  type ClientHost,
  kClientClosed,
  kEio3Open,
  kInitAdapter,
  kOnClose,
  kOptions,
  kPresenceIfAny,
  kResolveNamespace,
} from "./internal.js";
import { MainNamespaceFacade } from "./main-namespace.js";
import { Namespace } from "./namespace.js";
import { ParentNamespace, type ParentNspNameMatchFn } from "./parent-namespace.js";
import { createClientFileHandler } from "./serve-client.js";
import {
  normalizePath,
  type ResolvedServerOptions,
  resolveServerOptions,
  SERVER_KEYS,
  type ServerOptions,
} from "./server-options.js";
import type { Socket } from "./socket.js";

export type { PacketEncoder, ResolvedServerOptions, ServerOptions } from "./server-options.js";

declare module "./internal.js" {
  interface SocketLayerClasses<
    ListenEvents extends EventsMap,
    EmitEvents extends EventsMap,
    ServerSideEvents extends EventsMap,
    SocketData,
  > {
    server: Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  }
}

const debug = debugModule("switchboard:server");

// biome-ignore lint/suspicious/noExplicitAny: any listener shape (Node's request listeners)
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
  >
  extends MainNamespaceFacade<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  implements ClientHost<Client>
{
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
    super();
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
    for (const nsp of this.#nsps.values()) {
      nsp[kPresenceIfAny]?.close();
      await nsp.adapter.close();
    }
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

  /** A fresh socket id (20 url-safe characters). Overridable. */
  generateSocketId(): string {
    return randomId();
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

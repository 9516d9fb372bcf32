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
import { type DrainOptions, DrainSchedule } from "./drain.js";
import { SocketErrorCode, SocketTypeError } from "./errors.js";
import {
  type ClientHost,
  kClientClosed,
  kEio3Open,
  kInitAdapter,
  kOptions,
  kPersisting,
  kPresenceIfAny,
  kReportError,
  kResolveNamespace,
  kSocketObserver,
  type SocketObserver,
} from "./internal.js";
import { MainNamespaceFacade } from "./main-namespace.js";
import { Namespace } from "./namespace.js";
import { ParentNamespace, type ParentNspNameMatchFn } from "./parent-namespace.js";
import type { RateLimitOptions } from "./rate-limit.js";
import { createClientFileHandler } from "./serve-client.js";
import {
  isDrainSpread,
  normalizePath,
  type ResolvedServerOptions,
  resolveServerOptions,
  SERVER_KEYS,
  type ServerOptions,
} from "./server-options.js";
import { exitAfterClose, ShutdownSignals, type SignalCloseHandler } from "./shutdown-signals.js";
import type { Socket } from "./socket.js";
import type { EventSchemas, SchemaEvents } from "./validation.js";

export type { DrainOptions } from "./drain.js";
export type { PacketEncoder, ResolvedServerOptions, ServerOptions } from "./server-options.js";
export type { SignalCloseHandler } from "./shutdown-signals.js";

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

/**
 * Longest wait, after a drain's last closing moment, for connections still closing (a
 * polling session waits for its next GET to carry the close packet; the session itself
 * waits at most `min(pingTimeout, 5000)`), and for the adapters' `persistSession` promises,
 * ms. What is left then is closed without waiting.
 */
const DRAIN_GRACE_MS = 5_000;

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
  /** The drain (or close) in progress or done: resolves with the HTTP server's close error. */
  #closing: Promise<Error | undefined> | undefined;
  #schedule: DrainSchedule | undefined;
  /** `persistSession` promises not settled yet. */
  readonly #persisting = new Set<Promise<void>>();
  #signals: ShutdownSignals | undefined;
  #onSignalClosed: SignalCloseHandler = exitAfterClose;
  /** A signal started the drain: the next one closes what is left at once. */
  #signalled = false;
  /** The metrics collector's hooks (`@switchboard/server/metrics`); none by default. */
  [kSocketObserver]: SocketObserver | undefined = undefined;

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
    if (this.#opts.shutdownSignals.length > 0) this.closeOnSignals(this.#opts.shutdownSignals);
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
    // A handshake that got through before the drain began (or an in-process connection):
    // it closes within what is left of the spread.
    this.#schedule?.add(client);
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
   * Validate incoming events of the main namespace with Standard Schemas: the same as
   * `io.of("/").validate(schemas)` (see {@link Namespace.validate}); returns this server,
   * typed with the schemas' events.
   *
   * @example
   * ```ts
   * import { z } from "zod";
   * const server = io.validate({ message: z.object({ text: z.string().max(500) }) });
   * server.on("connection", (socket) => socket.on("message", ({ text }) => {})); // text: string
   * ```
   */
  validate<M extends EventSchemas>(
    schemas: M,
  ): Server<
    Omit<ListenEvents, keyof M> & SchemaEvents<M>,
    EmitEvents,
    ServerSideEvents,
    SocketData
  > {
    this.sockets.validate(schemas);
    return this as never;
  }

  /**
   * Rate-limit the main namespace's sockets: the same as `io.of("/").rateLimit(options)`
   * (other namespaces keep the server's `rateLimit` option unless they set their own).
   *
   * @example
   * ```ts
   * io.rateLimit({ points: 20, duration: 1000 });
   * ```
   */
  rateLimit(options: RateLimitOptions | false): this {
    this.sockets.rateLimit(options);
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
   * Whether the server is draining or closed: from the first call of {@link drain},
   * {@link close} or a shutdown signal on, new sessions are refused and the connections
   * close one after the other. It never becomes false again.
   */
  get draining(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Drain for a rolling deploy: stop taking connections, close the live ones a few at a
   * time, then close. At once: the HTTP listener stops accepting (`httpServer.close()`),
   * engine handshakes that still arrive (keep-alive connections, a proxy's pooled ones) are
   * answered HTTP 503 `{"code":4,"message":"Server shutting down"}`, and `"draining"` is
   * emitted; the requests of live sessions keep being served. Each connection then closes
   * at a moment drawn uniformly from `[0, spread)`: its sockets disconnect with
   * `"server shutting down"` (recoverable: with connection state recovery each session is
   * persisted through `adapter.persistSession`), and its transport closes without a
   * Socket.IO DISCONNECT, so clients reconnect (to another node behind the load balancer)
   * and recover their session where the store is shared (Redis). Resolves once every
   * connection is closed (at most `spread` + 5 s), the `persistSession` calls settled
   * (at most 5 s more), and the adapters, the engine and the HTTP server closed.
   *
   * A second call while draining brings the remaining moments forward to within its
   * `spread` (0: close what is left now) and returns the same promise.
   *
   * @example
   * ```ts
   * const io = new Server(httpServer, { connectionStateRecovery: {}, drainSpread: 5000 });
   * process.once("SIGTERM", async () => {
   *   await io.drain(); // or io.closeOnSignals(["SIGTERM"])
   *   process.exit(0);
   * });
   * ```
   */
  drain(opts: DrainOptions = {}): Promise<void> {
    const spread = opts.spread ?? this.#opts.drainSpread;
    if (!isDrainSpread(spread)) {
      throw new SocketTypeError(
        SocketErrorCode.INVALID_OPTION,
        "drain spread must be a finite number >= 0 (ms)",
      );
    }
    if (this.#closing !== undefined) {
      if (opts.spread !== undefined) this.#schedule?.hurry(spread);
    } else {
      this.#closing = this.#drain(spread);
    }
    return this.#closing.then(noValue);
  }

  /**
   * Close: disconnect every socket ("server shutting down"), close the adapters, the
   * engine, then the HTTP server. Resolves (and calls `fn`, with the HTTP server's close
   * error if any) when done. With `connectionStateRecovery` it is a {@link drain} over
   * `drainSpread` ms (the sessions are persisted, and clients reconnect a few at a time);
   * without, every connection closes at once. While a drain runs it waits for that drain.
   *
   * @example
   * ```ts
   * await io.close();
   * ```
   */
  async close(fn?: (err?: Error) => void): Promise<void> {
    if (this.#closing === undefined) {
      const recovery = this.#opts.connectionStateRecovery !== undefined;
      this.#closing = this.#drain(recovery ? this.#opts.drainSpread : 0);
    }
    const error = await this.#closing;
    fn?.(error);
  }

  /**
   * Drain on a process signal, then exit (opt-in; the `shutdownSignals` option calls it):
   * the first of `signals` starts {@link drain} with `drainSpread`, another one during the
   * drain closes what is left at once, and when the server is closed `onClosed` runs
   * (default: `process.exit(0)`, or 1 after an error). The listeners are removed once the
   * server is closed, whatever closed it; calling it again adds signals.
   *
   * @example
   * ```ts
   * io.closeOnSignals(["SIGTERM", "SIGINT"]);
   * // or, to run more cleanup before exiting:
   * io.closeOnSignals(["SIGTERM"], async () => {
   *   await db.end();
   *   process.exit(0);
   * });
   * ```
   */
  closeOnSignals(
    signals: readonly NodeJS.Signals[],
    onClosed: SignalCloseHandler = exitAfterClose,
  ): this {
    this.#onSignalClosed = onClosed;
    if (this.#signals === undefined) {
      this.#signals = new ShutdownSignals((signal) => this.#onSignal(signal));
    }
    this.#signals.add(signals);
    return this;
  }

  #onSignal(signal: NodeJS.Signals): void {
    if (this.#signalled) {
      debug("%s again: closing what is left now", signal);
      this.#schedule?.hurry(0);
      return;
    }
    this.#signalled = true;
    const onClosed = this.#onSignalClosed;
    this.drain().then(
      () => onClosed(signal),
      (err: unknown) => onClosed(signal, err instanceof Error ? err : new Error(String(err))),
    );
  }

  async #drain(spread: number): Promise<Error | undefined> {
    debug("draining %d connections over %d ms", this.#clients.size, spread);
    this.engine.stopAccepting();
    const server = this.httpServer;
    let listenerClosed: Promise<Error | undefined> | undefined;
    if (server?.listening) {
      // No new TCP connections from now on; open ones keep serving live sessions.
      listenerClosed = new Promise((resolve) => server.close((err) => resolve(err)));
    }
    const schedule = new DrainSchedule(DRAIN_GRACE_MS);
    this.#schedule = schedule;
    this.sockets.emitReserved("draining", { spread });
    schedule.start([...this.#clients], spread);
    try {
      await schedule.finished;
      // Sessions go to the store before the adapters (and their store connections) close.
      await settled(this.#persisting, DRAIN_GRACE_MS);
      for (const nsp of this.#nsps.values()) {
        nsp[kPresenceIfAny]?.close();
        await nsp.adapter.close();
      }
      for (const parent of this.#parentNsps.values()) await parent.adapter.close();
    } finally {
      schedule.stop();
      this.#signals?.remove();
      await this.engine.close();
      this.httpServer = undefined;
      if (server !== undefined && "closeIdleConnections" in server) server.closeIdleConnections();
    }
    const error = await listenerClosed;
    debug("closed");
    return error;
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

  [kPersisting](
    pending: void | Promise<void>,
    socket: Socket<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  ): void {
    const tracked: Promise<void> = Promise.resolve(pending)
      .catch((err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        debug("persistSession of %s failed: %s", socket.id, error.message);
        // The socket's own "error" listeners, or a process warning: never an unhandled rejection.
        if (!socket[kReportError](error)) process.emitWarning(error);
      })
      .finally(() => this.#persisting.delete(tracked));
    this.#persisting.add(tracked);
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

function noValue(): void {}

/** Resolves once every promise in `pending` settled (they never reject), or after `ms`. */
async function settled(pending: ReadonlySet<Promise<void>>, ms: number): Promise<void> {
  if (pending.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([Promise.all(pending), timeout]);
  clearTimeout(timer);
}

function isHttpServer(value: unknown): value is HttpServer {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { listen?: unknown }).listen === "function" &&
    typeof (value as { on?: unknown }).on === "function"
  );
}

import { EventEmitter } from "node:events";
import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import createDebug from "debug";
import { applyCors } from "./cors.js";
import type { Eio3State } from "./eio3.js";
import { HandshakeError, HandshakeRefusal } from "./errors.js";
import { type ForwardingSizes, SessionForwarder } from "./forwarding/forwarder.js";
import { taggedSessionId } from "./forwarding/node-tag.js";
import { HandshakePipeline } from "./handshake.js";
import { HandshakeLimiter } from "./handshake-limit.js";
import { createOwnServer } from "./http.js";
import { HttpAnswers } from "./http-answers.js";
import { type EngineObserver, kEngineObserver } from "./observer.js";
import {
  type EngineMiddleware,
  type EngineServerOptions,
  type ResolvedEngineOptions,
  resolveOptions,
} from "./options.js";
import { randomId } from "./random-id.js";
import {
  eio3State,
  originError,
  originRefused,
  parseQuery,
  refusalError,
  type VerifyContext,
  verifyRequest,
} from "./request-query.js";
import { Session, type SessionHost } from "./session.js";
import { PollingTransport } from "./transports/polling.js";
import type { WebSocketTransport } from "./transports/transport.js";
import { EngineCloseReason, type EngineConnection, type EngineSessionId } from "./types.js";
import { destroyOnError, WebSocketAcceptor } from "./websocket-accept.js";

export type { EngineHeaders } from "./http-answers.js";

const debug = createDebug("switchboard:engine:server");

/**
 * The v3 state of a session opened over WebSocket: `b64` only shapes polling payloads,
 * which such a session never sends.
 */
const V3_WEBSOCKET: Eio3State = Object.freeze({ base64: false });

/**
 * The Engine.IO v4 server: attach and HTTP routing. The concerns it routes to have their
 * own modules: query parsing and verification (request-query.ts), the handshake pipeline
 * (handshake.ts), the WebSocket accept paths (websocket-accept.ts), HTTP answers
 * (http-answers.ts); sessions and transports answer their own traffic from then on.
 *
 * Events: `"connection"` (conn), `"connection_error"` ({@link HandshakeError}: `req`, `code`,
 * `errorCode`, `message`, `context`), `"initial_headers"` (headers, req) on handshake
 * answers, `"headers"` (headers, req) on every answer, `"forwarding_error"` (Error) when the
 * `forwarding` directory or internal listener fails.
 *
 * @example
 * ```ts
 * const engine = new EngineServer({ pingInterval: 10_000 });
 * engine.attach(httpServer);
 * engine.on("connection", (conn) => {
 *   conn.setHandler({ onMessage: (data) => conn.send([data]), onClose: () => {} });
 * });
 * ```
 */
export class EngineServer extends EventEmitter implements SessionHost {
  /** Resolved options (defaults applied). */
  readonly options: ResolvedEngineOptions;
  readonly #clients = new Map<EngineSessionId, Session>();
  readonly #verify: VerifyContext;
  readonly #handshake: HandshakePipeline;
  readonly #answers: HttpAnswers;
  readonly #websockets: WebSocketAcceptor;
  #ownServer: HttpServer | null = null;
  readonly #forwarder: SessionForwarder | null;
  #lastForwardingWarning = -Infinity;
  #accepting = true;
  readonly #limiter: HandshakeLimiter | undefined;
  #limiterSweep: NodeJS.Timeout | undefined;
  /** The metrics collector's hooks (`@switchboard/server/metrics`); none by default. */
  [kEngineObserver]: EngineObserver | undefined = undefined;

  constructor(options: Partial<EngineServerOptions> = {}) {
    super();
    this.options = resolveOptions(options);
    const forwarding = this.options.forwardingResolved;
    this.#forwarder =
      forwarding === null
        ? null
        : new SessionForwarder(forwarding, {
            path: this.options.path,
            pingInterval: this.options.pingInterval,
            handleRequest: (req, res) => this.handleRequest(req, res),
            handleUpgrade: (req, socket, head) => this.handleUpgrade(req, socket, head),
            reportError: (error) => this.#forwardingError(error),
          });
    const clients = this.#clients;
    this.#verify = {
      options: this.options,
      pollingOn: this.options.transports.includes("polling"),
      websocketOn: this.options.transports.includes("websocket"),
      clients,
    };
    this.#handshake = new HandshakePipeline({
      options: this.options,
      generateId: (req) => this.#taggedId(req),
      isLive: (id) => clients.has(id),
    });
    this.#answers = new HttpAnswers(this.options, this);
    this.#websockets = new WebSocketAcceptor(this.options, this, (req, t, id, probeFor, v3) =>
      this.#webSocketOpen(req, t, id, probeFor, v3),
    );
    const limit = this.options.handshakeRateLimit;
    if (limit !== undefined) {
      const limiter = new HandshakeLimiter(limit);
      this.#limiter = limiter;
      this.#limiterSweep = setInterval(() => limiter.sweep(), Math.max(1000, limit.duration));
      this.#limiterSweep.unref();
    }
  }

  /** Clients with a handshake bucket now (`handshakeRateLimit`; for leak checks and monitoring). */
  get handshakeRateLimitKeys(): number {
    return this.#limiter?.size ?? 0;
  }

  /** Live sessions by id. */
  get clients(): ReadonlyMap<EngineSessionId, EngineConnection> {
    return this.#clients;
  }

  get clientsCount(): number {
    return this.#clients.size;
  }

  /**
   * Session id for a new handshake: 20 url-safe characters from 15 random bytes; with
   * `forwarding`, this node's {@link nodeTag} and 14 random characters (84 bits).
   * Overridable (may return a Promise); with `forwarding`, an id of the override that does
   * not start with the node tag gets it prefixed.
   */
  generateId(_req: IncomingMessage): string | Promise<string> {
    const forwarder = this.#forwarder;
    return forwarder === null ? randomId() : taggedSessionId(forwarder.tag);
  }

  /** `generateId`'s id, prefixed with the node tag when forwarding needs it and it lacks it. */
  #taggedId(req: IncomingMessage): string | Promise<string> {
    const id = this.generateId(req);
    const forwarder = this.#forwarder;
    if (forwarder === null) return id;
    const tag = forwarder.tag;
    const tagged = (value: string) => (value.startsWith(tag) ? value : tag + value);
    return typeof id === "string" ? tagged(id) : id.then(tagged);
  }

  /**
   * This node's tag with `forwarding` (the first 6 characters of every session id it
   * makes, its key in the directory), else undefined.
   */
  get nodeTag(): string | undefined {
    return this.#forwarder?.tag;
  }

  /**
   * With `forwarding`: resolves once the internal listener is up and this node is in the
   * directory (after `attach` or `listen`); rejects if the listener cannot open or the
   * engine closes first. Without forwarding: resolves at once.
   *
   * @example
   * ```ts
   * const io = new Server(httpServer, { forwarding: { directory } });
   * await io.engine.forwardingReady();
   * ```
   */
  forwardingReady(): Promise<void> {
    return this.#forwarder === null ? Promise.resolve() : this.#forwarder.ready;
  }

  /** Sizes of the forwarding state (cache, lookups, requests, tunnels), for leak checks; null without forwarding. */
  forwardingSizes(): ForwardingSizes | null {
    return this.#forwarder?.sizes() ?? null;
  }

  #forwardingError(error: Error): void {
    debug("forwarding: %s", error.message);
    if (this.listenerCount("forwarding_error") > 0) {
      this.emit("forwarding_error", error);
      return;
    }
    // Nobody listens: warn, at most once per 10 s (a directory that is down fails every lookup).
    const now = Date.now();
    if (now - this.#lastForwardingWarning < 10_000) return;
    this.#lastForwardingWarning = now;
    console.warn(`switchboard: forwarding: ${error.message}`);
  }

  /** Adds a Connect/Express middleware, run on handshake requests (polling and WebSocket). */
  use(middleware: EngineMiddleware): void {
    this.#handshake.use(middleware);
  }

  /**
   * Handles requests under `path` on an existing server; other routes and other `upgrade`
   * listeners keep working.
   */
  attach(server: HttpServer | HttpsServer, options: { path?: string } = {}): void {
    let path = options.path ?? this.options.path;
    if (!path.endsWith("/")) path += "/";
    const matches = (req: IncomingMessage) => req.url?.startsWith(path) === true;
    const others = server.listeners("request") as ((...args: unknown[]) => void)[];
    server.removeAllListeners("request");
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      if (matches(req)) {
        this.handleRequest(req, res);
        return;
      }
      for (const listener of others) listener.call(server, req, res);
    });
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (matches(req)) this.handleUpgrade(req, socket, head);
      else if (server.listenerCount("upgrade") === 1) {
        // Nobody else handles this upgrade: do not leave the socket hanging.
        socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      }
    });
    this.#forwarder?.start();
    debug("attached at %s", path);
  }

  /** Creates an HTTP server on `port` that serves only the engine, and starts listening. */
  listen(port: number, host?: string, callback?: () => void): HttpServer {
    const server = createOwnServer();
    this.attach(server);
    this.#ownServer = server;
    server.listen(port, host, callback);
    return server;
  }

  /**
   * Whether new sessions are opened. False after {@link stopAccepting}: handshakes are
   * answered HTTP 503 while the requests of live sessions are served as before.
   */
  get accepting(): boolean {
    return this.#accepting;
  }

  /**
   * Refuse every new session from now on (a draining node, `io.drain()`): a handshake
   * (polling or WebSocket, including one whose middlewares were still running) is answered
   * HTTP 503 with `{"code":4,"message":"Server shutting down"}` and `Connection: close`, and
   * emitted as `connection_error` with `errorCode` `SB_ERR_SERVER_DRAINING`. Live sessions,
   * their polling requests and their upgrades keep working. Cannot be undone.
   *
   * @example
   * ```ts
   * engine.stopAccepting();
   * httpServer.close(); // no new TCP connections either
   * ```
   */
  stopAccepting(): void {
    if (this.#accepting) debug("no longer accepting sessions");
    this.#accepting = false;
  }

  /**
   * Closes every session with "forced server close" (and the server made by `listen`).
   * With `forwarding`, also stops forwarding, closes the internal listener and leaves the
   * directory: the returned promise resolves when that is done (at once without forwarding).
   */
  close(): Promise<void> {
    debug("closing %d sessions", this.#clients.size);
    clearInterval(this.#limiterSweep);
    this.#limiterSweep = undefined;
    for (const session of [...this.#clients.values()])
      session.destroy(EngineCloseReason.serverClose);
    if (this.#ownServer !== null) {
      this.#ownServer.close();
      this.#ownServer = null;
    }
    return this.#forwarder === null ? Promise.resolve() : this.#forwarder.close();
  }

  // ---- HTTP (long-polling) ----

  /** Handles one long-polling request (handshake, GET, POST) or a CORS preflight. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    if (originRefused(this.options, req)) {
      this.#answers.reject(req, res, originError(req));
      return;
    }
    const cors = this.options.cors;
    if (cors === undefined) {
      this.#route(req, res);
      return;
    }
    applyCors(cors, req, res, (handled) => {
      if (!handled) this.#route(req, res);
    });
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const query = parseQuery(req.url);
    const refusal = verifyRequest(this.#verify, req, query, false);
    if (refusal !== null) {
      const refuse = () => this.#answers.reject(req, res, refusalError(refusal, req, query));
      // A session of another node: its owner answers (forwarding), else 400 as unknown.
      if (
        refusal === HandshakeRefusal.UNKNOWN_SID &&
        this.#forwarder?.forwardRequest(req, res, query.sid!, refuse) === true
      ) {
        return;
      }
      refuse();
      return;
    }
    const session = query.session;
    if (session !== undefined) {
      // The session's own transport answers: polling, unless it was upgraded.
      const transport = session.transport;
      if (transport instanceof PollingTransport) transport.handleRequest(req, res);
      else {
        this.#answers.reject(
          req,
          res,
          new HandshakeError(HandshakeRefusal.TRANSPORT_MISMATCH, req),
        );
      }
      return;
    }
    if (!this.#accepting) {
      this.#answers.reject(req, res, drainingError(req));
      return;
    }
    if (this.#limiter?.take(req) === false) {
      this.#answers.reject(req, res, this.#rateLimited(req));
      return;
    }
    const eio3 = eio3State(req, query);
    this.#handshake.run(
      req,
      res,
      (id) => {
        if (res.destroyed) return;
        if (!this.#accepting) {
          this.#answers.reject(req, res, drainingError(req));
          return;
        }
        const transport = new PollingTransport(this.#answers, this.options, eio3);
        const session = new Session(this, id, req, transport, eio3);
        this.#clients.set(id, session);
        this.#answers.open(req, res, id, session.openPacket(), eio3 !== null);
        this.#opened(session);
      },
      (error) => this.#answers.reject(req, res, error),
    );
  }

  /** The refusal of a handshake over `handshakeRateLimit`. */
  #rateLimited(req: IncomingMessage): HandshakeError {
    return new HandshakeError(HandshakeRefusal.HANDSHAKE_RATE_LIMITED, req, {
      name: "HANDSHAKE_RATE_LIMITED",
      retryAfter: this.#limiter?.retryAfter(req) ?? 0,
    });
  }

  // ---- WebSocket ----

  /** Handles an HTTP upgrade: a WebSocket handshake, or a probe for a polling session. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node drops its own socket error handler before "upgrade"; keep errors from escaping.
    socket.on("error", destroyOnError);
    if (originRefused(this.options, req)) {
      this.#answers.rejectUpgrade(socket, originError(req));
      return;
    }
    const query = parseQuery(req.url);
    const refusal = verifyRequest(this.#verify, req, query, true);
    if (refusal !== null) {
      const refuse = () => this.#answers.rejectUpgrade(socket, refusalError(refusal, req, query));
      if (
        refusal === HandshakeRefusal.UNKNOWN_SID &&
        this.#forwarder?.forwardUpgrade(req, socket, head, query.sid!, refuse) === true
      ) {
        return;
      }
      refuse();
      return;
    }
    const probeFor = query.session;
    if (probeFor !== undefined) {
      this.#websockets.accept(req, socket, head, undefined, probeFor, probeFor.protocol === 3);
      return;
    }
    if (!this.#accepting) {
      this.#answers.rejectUpgrade(socket, drainingError(req));
      return;
    }
    if (this.#limiter?.take(req) === false) {
      this.#answers.rejectUpgrade(socket, this.#rateLimited(req));
      return;
    }
    const v3 = query.eio === "3";
    this.#handshake.run(
      req,
      null,
      (id) => {
        if (socket.destroyed) return;
        if (!this.#accepting) this.#answers.rejectUpgrade(socket, drainingError(req));
        else this.#websockets.accept(req, socket, head, id, undefined, v3);
      },
      (error) => this.#answers.rejectUpgrade(socket, error),
    );
  }

  /** An accepted WebSocket: the probe of a polling session, or a new session's transport. */
  #webSocketOpen(
    req: IncomingMessage,
    transport: WebSocketTransport,
    id: string | undefined,
    probeFor: Session | undefined,
    v3: boolean,
  ): void {
    if (probeFor !== undefined) {
      probeFor.attachProbe(transport);
      return;
    }
    const session = new Session(this, id!, req, transport, v3 ? V3_WEBSOCKET : null);
    this.#clients.set(id!, session);
    transport.sendText(session.openPacket());
    this.#opened(session);
  }

  #opened(session: Session): void {
    debug("handshake %s over %s", session.id, session.transport.name);
    session.start();
    this.emit("connection", session);
  }

  // ---- SessionHost ----

  onSessionClosed(session: Session): void {
    if (this.#clients.get(session.id) === session) this.#clients.delete(session.id);
  }
}

function drainingError(req: IncomingMessage): HandshakeError {
  return new HandshakeError(HandshakeRefusal.SERVER_DRAINING, req);
}

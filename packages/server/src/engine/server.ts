import { EventEmitter } from "node:events";
import { type Server as HttpServer, type IncomingMessage, ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import createDebug from "debug";
import { type WebSocket, WebSocketServer } from "ws";
import { applyCors } from "./cors.js";
import { type Eio3State, queryParam } from "./eio3.js";
import {
  abortRequest,
  abortUpgrade,
  HandshakeError,
  HandshakeErrorCode,
  type HandshakeErrorCodeValue,
} from "./errors.js";
import { compress, createOwnServer, pickEncoding, serializeCookie } from "./http.js";
import {
  type EngineMiddleware,
  type EngineServerOptions,
  type ResolvedEngineOptions,
  resolveOptions,
} from "./options.js";
import { randomId } from "./random-id.js";
import { Session, type SessionHost } from "./session.js";
import {
  abortWebSocketHandshake,
  checkWebSocketHandshake,
  DirectWebSocketTransport,
  switchingProtocols,
} from "./transports/direct-websocket.js";
import { type PollingResponder, PollingTransport } from "./transports/polling.js";
import { type AnyWebSocketTransport, WebSocketTransport } from "./transports/websocket.js";
import { EngineCloseReason, type EngineConnection, type EngineSessionId } from "./types.js";

const debug = createDebug("switchboard:engine:server");

/** Headers object handed to `initial_headers` / `headers` listeners, which may add to it. */
export type EngineHeaders = Record<string, string | string[]>;

function idError(req: IncomingMessage, error: unknown): HandshakeError {
  return new HandshakeError(HandshakeErrorCode.BAD_REQUEST, req, {
    name: "ID_GENERATION_ERROR",
    error,
  });
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

interface Query {
  transport: string | null;
  eio: string | null;
  sid: string | null;
  /** The session named by `sid`, set by `#verify` (one map lookup per request). */
  session: Session | undefined;
}

const PAYLOAD_TYPE = "text/plain; charset=UTF-8";
/** Content type of an Engine.IO v3 binary payload (XHR2 clients). */
const BINARY_PAYLOAD_TYPE = "application/octet-stream";

/** A v3 handshake's state (`b64=1`: binary as base64 in text payloads), null for v4. */
function eio3State(req: IncomingMessage, q: Query): Eio3State | null {
  if (q.eio !== "3") return null;
  const b64 = queryParam(req.url, "b64");
  return { base64: b64 !== null && b64 !== "" && b64 !== "0" };
}

/** How long the connection of a refused POST body (413, 408) may stay open for its answer to be read, ms. */
const REFUSED_BODY_LINGER_MS = 2_000;

/**
 * `transport`, `EIO` and `sid` from the request URL, as `URLSearchParams#get` reads them
 * (first occurrence wins). A query with no `%` and no `+` needs no decoding, so it is split
 * by hand (every poll comes through here); anything else goes to `URLSearchParams`.
 */
function parseQuery(url: string | undefined): Query {
  const q = url === undefined ? -1 : url.indexOf("?");
  if (q === -1 || url === undefined)
    return { transport: null, eio: null, sid: null, session: undefined };
  const end = url.length;
  if (url.indexOf("%", q) !== -1 || url.indexOf("+", q) !== -1) {
    const params = new URLSearchParams(url.slice(q + 1));
    return {
      transport: params.get("transport"),
      eio: params.get("EIO"),
      sid: params.get("sid"),
      session: undefined,
    };
  }
  let transport: string | null = null;
  let eio: string | null = null;
  let sid: string | null = null;
  let start = q + 1;
  if (url.charCodeAt(start) === 0x3f) start++; // URLSearchParams drops one leading "?"
  while (start <= end) {
    let amp = url.indexOf("&", start);
    if (amp === -1 || amp > end) amp = end;
    const eq = url.indexOf("=", start);
    const keyEnd = eq === -1 || eq > amp ? amp : eq;
    const valueStart = keyEnd === amp ? amp : keyEnd + 1;
    switch (keyEnd - start) {
      case 3:
        if (eio === null && url.startsWith("EIO", start)) eio = url.slice(valueStart, amp);
        else if (sid === null && url.startsWith("sid", start)) sid = url.slice(valueStart, amp);
        break;
      case 9:
        if (transport === null && url.startsWith("transport", start)) {
          transport = url.slice(valueStart, amp);
        }
        break;
    }
    start = amp + 1;
  }
  return { transport, eio, sid, session: undefined };
}

/**
 * The Engine.IO v4 server: handshake, long-polling, WebSocket, upgrade, heartbeat, limits.
 *
 * Events: `"connection"` (conn), `"connection_error"` ({@link HandshakeError}: `req`, `code`,
 * `message`, `context`), `"initial_headers"` (headers, req) on handshake answers,
 * `"headers"` (headers, req) on every answer.
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
export class EngineServer extends EventEmitter implements SessionHost, PollingResponder {
  /** Resolved options (defaults applied). */
  readonly options: ResolvedEngineOptions;
  readonly #clients = new Map<EngineSessionId, Session>();
  readonly #middlewares: EngineMiddleware[] = [];
  readonly #wss: WebSocketServer;
  readonly #upgradeIds = new WeakMap<IncomingMessage, string>();
  #ownServer: HttpServer | null = null;
  readonly #pollingOn: boolean;
  readonly #websocketOn: boolean;
  /**
   * Headers of every polling answer while nobody listens for "headers": one object per
   * server, its Content-Length set just before `writeHead`, which turns it into the header
   * text at once and keeps no reference.
   */
  readonly #payloadHeaders: EngineHeaders = { "Content-Type": PAYLOAD_TYPE, "Content-Length": "0" };
  readonly #okHeaders: EngineHeaders = { "Content-Type": "text/html", "Content-Length": "2" };

  constructor(options: Partial<EngineServerOptions> = {}) {
    super();
    this.options = resolveOptions(options);
    this.#pollingOn = this.options.transports.includes("polling");
    this.#websocketOn = this.options.transports.includes("websocket");
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: this.options.maxHttpBufferSize,
      maxFragments: this.options.maxMessageFragments,
      perMessageDeflate: this.options.perMessageDeflate,
    });
    this.#wss.on("headers", (lines: string[], req: IncomingMessage) => {
      this.#upgradeHeaderLines(req, this.#upgradeIds.get(req), lines);
    });
  }

  /** Extra 101 header lines: the cookie on a handshake, then `initial_headers`/`headers`. */
  #upgradeHeaderLines(req: IncomingMessage, id: string | undefined, lines: string[]): void {
    const cookie = id !== undefined && this.options.cookieEnabled;
    if (
      !cookie &&
      this.listenerCount("headers") === 0 &&
      (id === undefined || this.listenerCount("initial_headers") === 0)
    ) {
      return;
    }
    const headers: EngineHeaders = {};
    if (id !== undefined) {
      if (this.options.cookieEnabled) {
        headers["Set-Cookie"] = [serializeCookie(this.options.cookieOptions, id)];
      }
      this.emit("initial_headers", headers, req);
    }
    this.emit("headers", headers, req);
    for (const key in headers) {
      const value = headers[key]!;
      if (Array.isArray(value)) for (const v of value) lines.push(`${key}: ${v}`);
      else lines.push(`${key}: ${value}`);
    }
  }

  /**
   * Completes the WebSocket handshake and hands over the transport: as the probe of the
   * polling session `probeFor`, or as the transport of a new session `id`. Without
   * per-message deflate the engine answers the handshake itself and frames directly
   * ({@link DirectWebSocketTransport}, far less memory per connection); with it, `ws` does.
   */
  #acceptWebSocket(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    id: string | undefined,
    probeFor: Session | undefined,
    eio3: Eio3State | null,
  ): void {
    if (this.options.perMessageDeflate !== false) {
      if (id !== undefined) this.#upgradeIds.set(req, id);
      this.#wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        socket.off("error", destroyOnError);
        if (id !== undefined) this.#upgradeIds.delete(req);
        const transport = new WebSocketTransport(ws, socket, this.options.maxControlFrames);
        this.#webSocketOpen(req, transport, id, probeFor, eio3);
      });
      return;
    }
    const check = checkWebSocketHandshake(req);
    if ("status" in check) {
      debug("bad WebSocket handshake: %s", check.message);
      abortWebSocketHandshake(socket, check.status, check.message, check.headers);
      return;
    }
    if (!socket.readable || !socket.writable) {
      socket.destroy();
      return;
    }
    const lines: string[] = [];
    this.#upgradeHeaderLines(req, id, lines);
    // The transport holds the 101 answer and sends it with the open packet (written by
    // #webSocketOpen) in one write; corked for the rare case where they go as two.
    socket.cork();
    socket.off("error", destroyOnError);
    const transport = new DirectWebSocketTransport(
      socket,
      head,
      this.options,
      switchingProtocols(check.accept, check.protocol, lines),
    );
    this.#webSocketOpen(req, transport, id, probeFor, eio3);
    transport.releaseAnswer();
    socket.uncork();
    transport.readHead();
  }

  #webSocketOpen(
    req: IncomingMessage,
    transport: AnyWebSocketTransport,
    id: string | undefined,
    probeFor: Session | undefined,
    eio3: Eio3State | null,
  ): void {
    if (probeFor !== undefined) {
      probeFor.attachProbe(transport);
      return;
    }
    const session = new Session(this, id!, req, transport, eio3);
    this.#clients.set(id!, session);
    transport.sendText(session.openPacket());
    this.#opened(session);
  }

  /** Live sessions by id. */
  get clients(): ReadonlyMap<EngineSessionId, EngineConnection> {
    return this.#clients;
  }

  get clientsCount(): number {
    return this.#clients.size;
  }

  /** Session id for a new handshake: 20 url-safe characters from 15 random bytes. Overridable (may return a Promise). */
  generateId(_req: IncomingMessage): string | Promise<string> {
    return randomId();
  }

  /** Adds a Connect/Express middleware, run on handshake requests (polling and WebSocket). */
  use(middleware: EngineMiddleware): void {
    this.#middlewares.push(middleware);
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

  /** Closes every session with "forced server close" (and the server made by `listen`). */
  close(): void {
    debug("closing %d sessions", this.#clients.size);
    for (const session of [...this.#clients.values()])
      session.destroy(EngineCloseReason.serverClose);
    if (this.#ownServer !== null) {
      this.#ownServer.close();
      this.#ownServer = null;
    }
  }

  // ---- HTTP ----

  /** Handles one long-polling request (handshake, GET, POST) or a CORS preflight. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.options.originAllowed !== null && !this.#originOk(req)) {
      this.#reject(req, res, this.#originError(req));
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
    const code = this.#verify(req, query, false);
    if (code !== null) {
      this.#reject(req, res, new HandshakeError(code, req, this.#context(code, query)));
      return;
    }
    if (query.sid !== null) {
      const session = query.session!;
      (session.transport as PollingTransport).handleRequest(req, res);
      return;
    }
    const eio3 = eio3State(req, query);
    this.#handshake(req, res, (id) => {
      if (res.destroyed) return;
      const transport = new PollingTransport(this, this.options, eio3 !== null);
      const session = new Session(this, id, req, transport, eio3);
      this.#clients.set(id, session);
      const headers: EngineHeaders = { "Content-Type": PAYLOAD_TYPE };
      if (this.options.cookieEnabled) {
        headers["Set-Cookie"] = [serializeCookie(this.options.cookieOptions, id)];
      }
      this.emit("initial_headers", headers, req);
      this.emit("headers", headers, req);
      const open = session.openPacket();
      // v3: the open packet is a payload of one, `<length>:0{…}` (spec v3, "Sample session").
      this.#writeBody(req, res, headers, eio3 === null ? open : `${open.length}:${open}`);
      this.#opened(session);
    });
  }

  #opened(session: Session): void {
    debug("handshake %s over %s", session.id, session.transport.name);
    session.start();
    this.emit("connection", session);
  }

  /** Handles an HTTP upgrade: a WebSocket handshake, or a probe for a polling session. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node drops its own socket error handler before "upgrade"; keep errors from escaping.
    socket.on("error", destroyOnError);
    if (this.options.originAllowed !== null && !this.#originOk(req)) {
      this.#refuseUpgrade(socket, this.#originError(req));
      return;
    }
    const query = parseQuery(req.url);
    const code = this.#verify(req, query, true);
    if (code !== null) {
      this.#refuseUpgrade(socket, new HandshakeError(code, req, this.#context(code, query)));
      return;
    }
    if (query.sid !== null) {
      this.#acceptWebSocket(req, socket, head, undefined, query.session!, null);
      return;
    }
    const eio3 = eio3State(req, query);
    this.#handshake(
      req,
      null,
      (id) => {
        if (!socket.destroyed) this.#acceptWebSocket(req, socket, head, id, undefined, eio3);
      },
      (error) => this.#refuseUpgrade(socket, error),
    );
  }

  /** `allowedOrigins` (set): a request without `Origin` is not a browser's and passes. */
  #originOk(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    return origin === undefined || this.options.originAllowed!(origin, req);
  }

  #originError(req: IncomingMessage): HandshakeError {
    return new HandshakeError(
      HandshakeErrorCode.FORBIDDEN,
      req,
      { name: "ORIGIN_NOT_ALLOWED", origin: req.headers.origin },
      "Origin not allowed",
    );
  }

  #refuseUpgrade(socket: Duplex, error: HandshakeError): void {
    debug("refused upgrade %s: %s", error.req.url, error.message);
    this.emit("connection_error", error);
    abortUpgrade(socket, error);
  }

  #context(code: HandshakeErrorCodeValue, q: Query): Record<string, unknown> {
    if (code === HandshakeErrorCode.UNKNOWN_TRANSPORT) return { transport: q.transport };
    if (code === HandshakeErrorCode.UNSUPPORTED_PROTOCOL_VERSION) return { protocol: q.eio };
    if (code === HandshakeErrorCode.UNKNOWN_SID) return { sid: q.sid };
    return {};
  }

  /** Checks transport, protocol version, sid and method (spec "Handshake"). */
  #verify(req: IncomingMessage, q: Query, upgrade: boolean): HandshakeErrorCodeValue | null {
    const transport = q.transport;
    if (transport === "polling") {
      if (!this.#pollingOn) return HandshakeErrorCode.UNKNOWN_TRANSPORT;
    } else if (transport !== "websocket" || !this.#websocketOn) {
      return HandshakeErrorCode.UNKNOWN_TRANSPORT;
    }
    if (q.eio !== "4") {
      if (q.eio !== "3" || !this.options.allowEIO3) {
        return HandshakeErrorCode.UNSUPPORTED_PROTOCOL_VERSION;
      }
      // JSONP polling (v3 spec, "JSONP"; the `j` index): not served, a client that can
      // do nothing else is refused at once rather than answered in a form it cannot read.
      if (!upgrade && queryParam(req.url, "j") !== null) return HandshakeErrorCode.BAD_REQUEST;
    }
    if (upgrade !== (transport === "websocket")) return HandshakeErrorCode.BAD_REQUEST;
    if (q.sid !== null) {
      const session = this.#clients.get(q.sid);
      if (session === undefined) return HandshakeErrorCode.UNKNOWN_SID;
      // A session is spoken to in the protocol version it was opened with.
      if ((session.protocol === 3) !== (q.eio === "3")) return HandshakeErrorCode.BAD_REQUEST;
      q.session = session;
      if (!upgrade) {
        return session.transport.name === "polling" ? null : HandshakeErrorCode.BAD_REQUEST;
      }
      // A session that cannot take a probe (already on WebSocket, probing, closing) still
      // gets its 101: the spec says a second WebSocket of a session is closed, not refused
      // ("WebSocket"), and the session's attachProbe closes it (1008).
      return this.options.allowUpgrades ? null : HandshakeErrorCode.BAD_REQUEST;
    }
    if (req.method !== "GET") return HandshakeErrorCode.BAD_HANDSHAKE_METHOD;
    return null;
  }

  #reject(req: IncomingMessage, res: ServerResponse, error: HandshakeError): void {
    debug("refused %s %s: %s", req.method, req.url, error.message);
    this.emit("connection_error", error);
    if (req.complete) {
      abortRequest(res, error);
      return;
    }
    // A body is still on its way (a POST for a session that just closed, a second POST):
    // answer, then drop the rest instead of reading it to keep the connection alive.
    abortRequest(res, error, { Connection: "close" });
    this.#dropBody(req);
  }

  /**
   * Runs middlewares, then allowRequest, then asks for an id. `res` is null for a WebSocket
   * handshake: middlewares then get a detached `ServerResponse`, made only if there are any.
   */
  #handshake(
    req: IncomingMessage,
    res: ServerResponse | null,
    accept: (id: string) => void,
    refuse: (error: HandshakeError) => void = (error) => {
      if (res !== null) this.#reject(req, res, error);
    },
  ): void {
    const middlewares = this.#middlewares;
    if (middlewares.length === 0) {
      // The common case goes straight on, without the `next` chain.
      this.#allow(req, accept, refuse);
      return;
    }
    let index = 0;
    const next = (err?: unknown) => {
      if (err !== undefined && err !== null) {
        refuse(
          new HandshakeError(HandshakeErrorCode.FORBIDDEN, req, {
            name: "MIDDLEWARE_FAILURE",
            error: err,
          }),
        );
        return;
      }
      const middleware = middlewares[index++];
      if (middleware !== undefined) {
        if (res === null) res = new ServerResponse(req);
        try {
          middleware(req, res, next);
        } catch (thrown) {
          next(thrown ?? new Error("middleware threw"));
        }
        return;
      }
      this.#allow(req, accept, refuse);
    };
    next();
  }

  #allow(
    req: IncomingMessage,
    accept: (id: string) => void,
    refuse: (error: HandshakeError) => void,
  ): void {
    const allowRequest = this.options.allowRequest;
    if (allowRequest === undefined) {
      this.#withId(req, accept, refuse);
      return;
    }
    let answered = false;
    allowRequest(req, (err, success) => {
      if (answered) return;
      answered = true;
      if (success) this.#withId(req, accept, refuse);
      else {
        refuse(
          new HandshakeError(
            HandshakeErrorCode.FORBIDDEN,
            req,
            { name: "FORBIDDEN", message: err },
            typeof err === "string" && err !== "" ? err : undefined,
          ),
        );
      }
    });
  }

  /** Asks `generateId` for the session id (synchronous or a Promise) and checks it is new. */
  #withId(
    req: IncomingMessage,
    accept: (id: string) => void,
    refuse: (error: HandshakeError) => void,
  ): void {
    let id: string | Promise<string>;
    try {
      id = this.generateId(req);
    } catch (err) {
      refuse(idError(req, err));
      return;
    }
    if (typeof id === "string") this.#checkedId(req, id, accept, refuse);
    else {
      id.then(
        (value) => this.#checkedId(req, value, accept, refuse),
        (err: unknown) => refuse(idError(req, err)),
      );
    }
  }

  #checkedId(
    req: IncomingMessage,
    id: string,
    accept: (id: string) => void,
    refuse: (error: HandshakeError) => void,
  ): void {
    if (this.#clients.has(id)) {
      refuse(new HandshakeError(HandshakeErrorCode.BAD_REQUEST, req, { name: "DUPLICATE_SID" }));
    } else accept(id);
  }

  // ---- PollingResponder ----

  writePayload(req: IncomingMessage, res: ServerResponse, body: string, bytes: number): void {
    if (this.listenerCount("headers") === 0) {
      this.#writeBody(req, res, this.#payloadHeaders, body, bytes);
      return;
    }
    const headers: EngineHeaders = { "Content-Type": PAYLOAD_TYPE };
    this.emit("headers", headers, req);
    this.#writeBody(req, res, headers, body, bytes);
  }

  writeBinaryPayload(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const headers: EngineHeaders = { "Content-Type": BINARY_PAYLOAD_TYPE };
    this.emit("headers", headers, req);
    this.#writeBody(req, res, headers, body);
  }

  /** `bytes`: the body's UTF-8 length when known (poll answers sum their messages'), else -1. */
  #writeBody(
    req: IncomingMessage,
    res: ServerResponse,
    headers: EngineHeaders,
    body: string | Buffer,
    bytes = -1,
  ): void {
    const threshold = this.options.compressionThreshold;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: short bodies skip measuring and the
    // Accept-Encoding parse. The body goes to `end` as a string, which Node sends in one
    // write with the header text (a Buffer would take a writev of two chunks).
    let length = bytes;
    let encoding: "gzip" | "deflate" | undefined;
    if (threshold >= 0 && body.length * 3 >= threshold) {
      if (length === -1) length = Buffer.byteLength(body, "utf8");
      if (length >= threshold) encoding = pickEncoding(req);
    }
    if (encoding === undefined) {
      headers["Content-Length"] = String(length === -1 ? Buffer.byteLength(body, "utf8") : length);
      res.writeHead(200, headers);
      res.end(body);
      return;
    }
    // The shared headers object must not be changed after this call returns.
    if (headers === this.#payloadHeaders) headers = { "Content-Type": PAYLOAD_TYPE };
    const raw = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    compress(encoding, raw, (err, out) => {
      if (res.destroyed) return;
      if (err) {
        headers["Content-Length"] = String(raw.length);
        res.writeHead(200, headers);
        res.end(raw);
        return;
      }
      headers["Content-Encoding"] = encoding;
      headers["Content-Length"] = String(out.length);
      headers.Vary = "Accept-Encoding";
      res.writeHead(200, headers);
      res.end(out);
    });
  }

  writeOk(req: IncomingMessage, res: ServerResponse): void {
    if (this.listenerCount("headers") === 0) {
      res.writeHead(200, this.#okHeaders);
      res.end("ok");
      return;
    }
    const headers: EngineHeaders = { "Content-Type": "text/html", "Content-Length": "2" };
    this.emit("headers", headers, req);
    res.writeHead(200, headers);
    res.end("ok");
  }

  abort(req: IncomingMessage, res: ServerResponse, code: HandshakeErrorCodeValue): void {
    this.#reject(req, res, new HandshakeError(code, req));
  }

  refuseBody(req: IncomingMessage, res: ServerResponse, status: 408 | 413): void {
    debug("POST body refused (%d) from %s", status, req.socket.remoteAddress);
    if (!res.headersSent) {
      res.writeHead(status, { "Content-Length": 0, Connection: "close" });
      res.end();
    }
    this.#dropBody(req);
  }

  /**
   * Drops the rest of a refused request's body without buffering it; past a bound of bytes
   * or time (the peer has had its answer), cuts the connection.
   */
  #dropBody(req: IncomingMessage): void {
    const socket = req.socket;
    let discarded = 0;
    const limit = Math.max(this.options.maxHttpBufferSize, 1 << 20);
    req.on("data", (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > limit) socket.destroy();
    });
    req.resume();
    const timer = setTimeout(() => socket.destroy(), REFUSED_BODY_LINGER_MS);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  }

  // ---- SessionHost ----

  onSessionClosed(session: Session): void {
    if (this.#clients.get(session.id) === session) this.#clients.delete(session.id);
  }
}

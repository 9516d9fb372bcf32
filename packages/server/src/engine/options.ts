import type { IncomingMessage, ServerResponse } from "node:http";
import type { NodeDirectory } from "./forwarding/directory.js";
import type { HandshakeRateLimitOptions } from "./handshake-limit.js";
import type { TransportName } from "./types.js";

/** Result callback of {@link EngineServerOptions.allowRequest}. */
export type AllowRequestCallback = (err: string | null | undefined, success: boolean) => void;

/** A CORS origin rule: as the `cors` npm package understands it. */
export type CorsOrigin =
  | boolean
  | string
  | RegExp
  | ReadonlyArray<string | RegExp>
  | ((
      origin: string | undefined,
      callback: (
        err: Error | null,
        allow?: boolean | string | RegExp | Array<string | RegExp>,
      ) => void,
    ) => void);

/** CORS options (like the `cors` npm package). */
export interface CorsOptions {
  /** Allowed origins. Default `"*"` when a `cors` object is given. */
  origin?: CorsOrigin;
  /** Send `Access-Control-Allow-Credentials: true`. Default false. */
  credentials?: boolean;
  /** Methods allowed in preflight answers. Default `"GET,HEAD,PUT,PATCH,POST,DELETE"` (as the `cors` package). */
  methods?: string | readonly string[];
  /** Headers allowed in preflight answers. Default: echo `Access-Control-Request-Headers`. */
  allowedHeaders?: string | readonly string[];
  /** `Access-Control-Expose-Headers`. Default none. */
  exposedHeaders?: string | readonly string[];
  /** `Access-Control-Max-Age` in seconds. Default none. */
  maxAge?: number;
}

/** Options of the session cookie (set on the handshake answer). */
export interface CookieOptions {
  /** Cookie name. Default `"io"`. */
  name?: string;
  /** Default `"/"`. */
  path?: string;
  /** Default true. */
  httpOnly?: boolean;
  /** Default `"lax"`. */
  sameSite?: "strict" | "lax" | "none" | boolean;
  /** Default false. */
  secure?: boolean;
  domain?: string;
  /** Max-Age in seconds. Default none (session cookie). */
  maxAge?: number;
}

/** The {@link EngineServerOptions.allowedOrigins} rule. */
export type AllowedOrigins =
  | string
  | RegExp
  | ReadonlyArray<string | RegExp>
  | ((origin: string, req: IncomingMessage) => boolean);

/** Compression of long-polling responses. */
export interface HttpCompressionOptions {
  /** Only compress bodies of at least this many bytes. Default 1024. */
  threshold?: number;
}

/**
 * Connect/Express-style middleware run on handshake requests. Declared with method syntax so
 * that middlewares typed for Express's `Request`/`Response` subclasses are accepted.
 */
export type EngineMiddleware = {
  handle(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void;
}["handle"];

/**
 * Session ownership and forwarding (the `forwarding` option): serve long-polling and the
 * WebSocket upgrade behind a load balancer without sticky sessions.
 */
export interface ForwardingOptions {
  /** Where the nodes of the cluster can be reached (required). */
  directory: NodeDirectory;
  /** Bind address of the internal listener that other nodes forward to. Default `"127.0.0.1"`. */
  host?: string;
  /**
   * The host other nodes connect to, announced in the directory. Default `host`; required
   * when `host` is a wildcard address (`"0.0.0.0"`, `"::"`).
   */
  advertiseHost?: string;
  /**
   * Time for a forwarded request to connect and get its answer head, ms; a long-polling GET
   * gets `pingInterval` more (the owner holds it until it has something to send). Past it the
   * client gets what an unknown session gets (400, code 1). Default 10000.
   */
  timeout?: number;
  /** Lease of this node's directory entry, ms; renewed every third of it. Default 10000. */
  lease?: number;
}

/** {@link ForwardingOptions} after defaults. */
export interface ResolvedForwardingOptions {
  directory: NodeDirectory;
  host: string;
  advertiseHost: string;
  timeout: number;
  lease: number;
}

/** Options of {@link EngineServer}. Every time is in milliseconds, every size in bytes. */
export interface EngineServerOptions {
  /** Interval between server pings, ms. Default 25000. */
  pingInterval: number;
  /** Time to wait for a pong after a ping before closing with "ping timeout", ms. Default 20000. */
  pingTimeout: number;
  /** Time for a probe WebSocket to complete the upgrade before it is closed, ms. Default 10000. */
  upgradeTimeout: number;
  /** Maximum size of one HTTP POST body or one WebSocket message, bytes. Default 1e6. */
  maxHttpBufferSize: number;
  /** Maximum bytes queued for one session and not yet written to the OS; over it the session closes with "buffer overflow". Default 4 MiB. */
  maxBufferedBytes: number;
  /** Maximum packets in one long-polling payload. Default 256. */
  maxPayloadPackets: number;
  /**
   * Maximum frames in one fragmented WebSocket message (first frame included); over it the
   * connection closes with 1008. Default 16384 (as `ws`'s `maxFragments`).
   */
  maxMessageFragments: number;
  /**
   * Maximum WebSocket ping/pong control frames a client may send in one second; over it the
   * connection closes with 1008. Default 100 (browsers send none; Engine.IO's heartbeat is
   * made of messages, not control frames).
   */
  maxControlFrames: number;
  /** Maximum chunks (socket reads) of one polling POST body; over it: 413. Default 10000. */
  maxBodyChunks: number;
  /** Time for a polling POST body to arrive completely, ms; over it: 408. Default 30000. */
  bodyTimeout: number;
  /**
   * Origins allowed to make requests (polling and WebSocket): an origin string, a RegExp, a
   * list of them, or a predicate `(origin, req)` (e.g. same-origin: compare with `req.headers.host`). A request whose `Origin` header is present and not
   * allowed is refused with 403, code 4, "Origin not allowed"; requests without `Origin`
   * (non-browser clients) are not affected. This is the check against cross-site WebSocket
   * hijacking: browsers do not apply CORS to WebSocket. Default undefined (off, as in socket.io).
   */
  allowedOrigins: AllowedOrigins | undefined;
  /**
   * Limit new sessions per client (IP address by default): `{ points, duration, key?,
   * maxKeys? }`, a token bucket per key. A handshake over it is refused with HTTP 429,
   * `{"code":4,"message":"Too many handshakes"}` (`SB_ERR_HANDSHAKE_RATE_LIMITED`). Requests
   * of live sessions are not counted. Default undefined (off).
   */
  handshakeRateLimit: HandshakeRateLimitOptions | undefined;
  /** Decide whether a handshake is accepted. Default: accept all. */
  allowRequest: ((req: IncomingMessage, callback: AllowRequestCallback) => void) | undefined;
  /** Transports accepted for handshakes, in order of preference. Default `["polling", "websocket"]`. */
  transports: TransportName[];
  /** Allow upgrades from polling to WebSocket. Default true. */
  allowUpgrades: boolean;
  /** WebSocket per-message deflate (passed to `ws`). Default false. */
  perMessageDeflate: boolean | Record<string, unknown>;
  /** Compression of long-polling responses; false to disable. Default `{ threshold: 1024 }`. */
  httpCompression: boolean | HttpCompressionOptions;
  /** CORS headers and preflight answers; false/undefined for none. Default undefined. */
  cors: CorsOptions | undefined;
  /** Set a cookie holding the session id on the handshake. Default false. */
  cookie: boolean | CookieOptions;
  /** The request path (used by `attach`). Default `"/socket.io/"`. */
  path: string;
  /**
   * Accept clients of Engine.IO protocol v3 (socket.io-client 1.x / 2.x and the Socket.IO
   * clients of that era: older Java, Swift and Python ones) besides v4. Their sessions take
   * a slower path of their own (length-prefixed polling payloads, heartbeat driven by the
   * client's pings); JSONP polling (`j=`) is refused (400, code 3). Default false: a v3
   * handshake gets 400, code 5, "Unsupported protocol version" (as socket.io).
   */
  allowEIO3: boolean;
  /**
   * Session ownership and forwarding, off unless given: every session id starts with this
   * node's tag, and a request for a session of another node (a polling GET or POST, a
   * WebSocket upgrade) is forwarded to that node through its internal listener, found in
   * `directory`. See {@link ForwardingOptions} and the README's "Without sticky sessions".
   * Default undefined (a request for a session of another node gets 400, code 1).
   */
  forwarding: ForwardingOptions | undefined;
}

/** The documented defaults. */
export const DEFAULT_ENGINE_OPTIONS: Readonly<EngineServerOptions> = Object.freeze({
  pingInterval: 25_000,
  pingTimeout: 20_000,
  upgradeTimeout: 10_000,
  maxHttpBufferSize: 1e6,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxPayloadPackets: 256,
  maxMessageFragments: 16_384,
  maxControlFrames: 100,
  maxBodyChunks: 10_000,
  bodyTimeout: 30_000,
  allowedOrigins: undefined,
  handshakeRateLimit: undefined,
  allowRequest: undefined,
  transports: ["polling", "websocket"] as TransportName[],
  allowUpgrades: true,
  perMessageDeflate: false,
  httpCompression: { threshold: 1024 },
  cors: undefined,
  cookie: false,
  path: "/socket.io/",
  allowEIO3: false,
  forwarding: undefined,
});

/** Options after defaults and validation. */
export interface ResolvedEngineOptions extends EngineServerOptions {
  compressionThreshold: number; // -1 when off
  cookieOptions: Required<Omit<CookieOptions, "domain" | "maxAge">> & CookieOptions;
  cookieEnabled: boolean;
  upgrades: string[];
  /** The compiled `allowedOrigins` rule, or null when every origin is allowed. */
  originAllowed: ((origin: string, req: IncomingMessage) => boolean) | null;
  /** The forwarding options with defaults, or null when off. */
  forwardingResolved: ResolvedForwardingOptions | null;
}

const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", "[::]", ""]);

/** Validates the `forwarding` option and applies its defaults. */
function resolveForwarding(input: ForwardingOptions | undefined): ResolvedForwardingOptions | null {
  if (input === undefined) return null;
  if (typeof input !== "object" || input === null) {
    throw new TypeError("option forwarding must be an object");
  }
  const directory = input.directory as Partial<NodeDirectory> | undefined;
  if (
    typeof directory !== "object" ||
    directory === null ||
    typeof directory.register !== "function" ||
    typeof directory.lookup !== "function" ||
    typeof directory.unregister !== "function"
  ) {
    throw new TypeError(
      "option forwarding.directory must be a NodeDirectory (register, lookup, unregister)",
    );
  }
  const host = input.host ?? "127.0.0.1";
  if (typeof host !== "string") throw new TypeError("option forwarding.host must be a string");
  const advertiseHost = input.advertiseHost ?? host;
  if (typeof advertiseHost !== "string" || WILDCARD_HOSTS.has(advertiseHost)) {
    throw new TypeError(
      "option forwarding.advertiseHost must be a host other nodes can connect to (required when host is a wildcard address)",
    );
  }
  return {
    directory: input.directory,
    host,
    advertiseHost,
    timeout: positive("forwarding.timeout", input.timeout ?? 10_000),
    lease: positive("forwarding.lease", input.lease ?? 10_000),
  };
}

/** Compiles an {@link AllowedOrigins} rule into a predicate (throws TypeError when malformed). */
function originRule(
  rule: AllowedOrigins | undefined,
): ((origin: string, req: IncomingMessage) => boolean) | null {
  if (rule === undefined) return null;
  if (typeof rule === "function") return (origin, req) => rule(origin, req) === true;
  const rules = typeof rule === "string" || rule instanceof RegExp ? [rule] : rule;
  if (!Array.isArray(rules)) throw new TypeError("option allowedOrigins: invalid rule");
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const r of rules as ReadonlyArray<unknown>) {
    if (typeof r === "string") exact.add(r);
    else if (r instanceof RegExp) patterns.push(r);
    else throw new TypeError("option allowedOrigins: entries must be strings or RegExps");
  }
  return (origin) => {
    if (exact.has(origin)) return true;
    for (const p of patterns) {
      p.lastIndex = 0; // a /g or /y pattern keeps state between test() calls
      if (p.test(origin)) return true;
    }
    return false;
  };
}

function positive(name: string, value: unknown, allowZero = false): number {
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value < 0 ||
    (!allowZero && value === 0)
  ) {
    throw new TypeError(
      `option ${name} must be a ${allowZero ? "non-negative" : "positive"} finite number, got ${String(value)}`,
    );
  }
  return value;
}

/** Applies defaults and throws TypeError on invalid or contradictory options. */
export function resolveOptions(input: Partial<EngineServerOptions> = {}): ResolvedEngineOptions {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const o = { ...DEFAULT_ENGINE_OPTIONS, ...defined } as EngineServerOptions;
  positive("pingInterval", o.pingInterval);
  positive("pingTimeout", o.pingTimeout);
  positive("upgradeTimeout", o.upgradeTimeout);
  positive("maxHttpBufferSize", o.maxHttpBufferSize);
  positive("maxBufferedBytes", o.maxBufferedBytes);
  positive("maxPayloadPackets", o.maxPayloadPackets);
  positive("maxMessageFragments", o.maxMessageFragments);
  positive("maxControlFrames", o.maxControlFrames);
  positive("maxBodyChunks", o.maxBodyChunks);
  positive("bodyTimeout", o.bodyTimeout);
  const originAllowed = originRule(o.allowedOrigins);
  const forwardingResolved = resolveForwarding(o.forwarding);
  if (!Array.isArray(o.transports) || o.transports.length === 0) {
    throw new TypeError("option transports must list at least one transport");
  }
  for (const t of o.transports) {
    if (t !== "polling" && t !== "websocket") throw new TypeError(`unknown transport ${String(t)}`);
  }
  if (o.handshakeRateLimit !== undefined) {
    const limit = o.handshakeRateLimit;
    if (typeof limit !== "object" || limit === null) {
      throw new TypeError("option handshakeRateLimit must be { points, duration }");
    }
    positive("handshakeRateLimit.points", limit.points);
    positive("handshakeRateLimit.duration", limit.duration);
    if (limit.maxKeys !== undefined) positive("handshakeRateLimit.maxKeys", limit.maxKeys);
    if (limit.key !== undefined && typeof limit.key !== "function") {
      throw new TypeError("option handshakeRateLimit.key must be a function");
    }
  }
  if (o.allowRequest !== undefined && typeof o.allowRequest !== "function") {
    throw new TypeError("option allowRequest must be a function");
  }
  if (typeof o.allowEIO3 !== "boolean") throw new TypeError("option allowEIO3 must be a boolean");
  if (typeof o.path !== "string" || !o.path.startsWith("/")) {
    throw new TypeError("option path must be a string starting with /");
  }
  let compressionThreshold = -1;
  if (o.httpCompression === true) compressionThreshold = 1024;
  else if (o.httpCompression && typeof o.httpCompression === "object") {
    compressionThreshold = positive(
      "httpCompression.threshold",
      o.httpCompression.threshold ?? 1024,
      true,
    );
  }
  if (o.cors) {
    const origin = o.cors.origin ?? "*";
    if (o.cors.credentials && origin === "*") {
      throw new TypeError('cors: credentials cannot be used with origin "*" (browsers refuse it)');
    }
    if (o.cors.maxAge !== undefined) positive("cors.maxAge", o.cors.maxAge, true);
  }
  const cookieInput = typeof o.cookie === "object" ? o.cookie : {};
  const cookieOptions = {
    name: "io",
    path: "/",
    httpOnly: true,
    sameSite: "lax" as const,
    secure: false,
    ...cookieInput,
  };
  if (cookieOptions.sameSite === "none" && !cookieOptions.secure) {
    throw new TypeError('cookie: sameSite "none" requires secure: true');
  }
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookieOptions.name)) {
    throw new TypeError("cookie: invalid cookie name");
  }
  const path = o.path.endsWith("/") ? o.path : `${o.path}/`;
  const upgrades = o.allowUpgrades && o.transports.includes("websocket") ? ["websocket"] : [];
  return {
    ...o,
    path,
    compressionThreshold,
    cookieOptions,
    cookieEnabled: o.cookie !== false,
    upgrades,
    originAllowed,
    forwardingResolved,
  };
}

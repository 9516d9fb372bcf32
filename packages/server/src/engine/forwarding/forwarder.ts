import {
  Agent,
  type ClientRequest,
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import createDebug from "debug";
import { OWN_SERVER_TIMEOUTS } from "../http.js";
import type { ResolvedForwardingOptions } from "../options.js";
import {
  formatNodeAddress,
  type NodeAddress,
  newNodeTag,
  parseNodeAddress,
  tagOf,
} from "./node-tag.js";
import { FORWARDED_HEADER, type RelayContext, relayRequest, relayUpgrade } from "./relay.js";

export { FORWARDED_HEADER } from "./relay.js";

const debug = createDebug("switchboard:engine:forwarding");

/** How long a directory answer (an address or "no such node") is reused, ms. */
const LOOKUP_CACHE_MS = 2_000;
/** Cached directory answers kept at most; the oldest goes first. */
const LOOKUP_CACHE_MAX = 1_024;
/** Directory lookups in flight at most; past it a request is answered as for an unknown session. */
const LOOKUPS_IN_FLIGHT_MAX = 1_024;
/**
 * Idle time after which a kept-alive connection to another node is closed by the sending
 * side, ms; the internal listener keeps idle connections longer ({@link INTERNAL_KEEP_ALIVE_MS}),
 * so a reused connection is never one the owner is closing at that moment.
 */
const AGENT_IDLE_MS = 30_000;
const INTERNAL_KEEP_ALIVE_MS = 65_000;

/** What the forwarder reads of and calls on its engine server. */
export interface ForwardingHost {
  /** The engine's request path (with its trailing slash). */
  readonly path: string;
  /** The engine's ping interval: the longest a poll GET is held, ms. */
  readonly pingInterval: number;
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Reports a directory or listener failure (`forwarding_error`). */
  reportError(error: Error): void;
}

/** Sizes of the forwarder's per-request state, for the leak tests. */
export interface ForwardingSizes {
  cached: number;
  lookups: number;
  requests: number;
  tunnels: number;
}

/**
 * Session ownership and forwarding of one engine server: its node tag, its internal
 * listener and directory lease, and the forwarding of requests for sessions of other nodes
 * (HTTP requests through a kept-alive agent, WebSocket upgrades through a TCP tunnel).
 * Only addresses the directory gives are ever connected to: a client chooses a tag, never
 * an address.
 */
export class SessionForwarder {
  /** This node's tag: the first 6 characters of every session id it makes. */
  readonly tag = newNodeTag();
  readonly #options: ResolvedForwardingOptions;
  readonly #host: ForwardingHost;
  readonly #agent = new Agent({ keepAlive: true, timeout: AGENT_IDLE_MS });
  readonly #cache = new Map<string, { address: NodeAddress | undefined; expires: number }>();
  readonly #lookups = new Map<string, Promise<NodeAddress | undefined>>();
  /** Forwarded HTTP requests in flight (removed on close). */
  readonly #requests = new Set<ClientRequest>();
  /** Open upgrade tunnels to other nodes (removed on close). */
  readonly #tunnels = new Set<Socket>();
  #server: HttpServer | null = null;
  #renewTimer: NodeJS.Timeout | null = null;
  #address: string | undefined;
  #state: "idle" | "starting" | "running" | "closed" = "idle";
  readonly #ready: Promise<void>;
  #readyResolve!: () => void;
  #readyReject!: (error: Error) => void;
  #closing: Promise<void> | null = null;
  readonly #relay: RelayContext;

  constructor(options: ResolvedForwardingOptions, host: ForwardingHost) {
    this.#options = options;
    this.#host = host;
    this.#relay = {
      agent: this.#agent,
      timeout: options.timeout,
      pingInterval: host.pingInterval,
      requests: this.#requests,
      tunnels: this.#tunnels,
      running: () => this.#state === "running",
      unreachable: (tag) => this.#cache.delete(tag),
    };
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#readyResolve = resolve;
      this.#readyReject = reject;
    });
    // Whoever awaits `ready` sees a failure; nobody awaiting is not an unhandled rejection.
    this.#ready.catch(() => {});
  }

  /** Resolves once the internal listener is up and this node is in the directory. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** The internal listener's address as announced ("host:port"), once listening. */
  get address(): string | undefined {
    return this.#address;
  }

  /** Opens the internal listener and registers this node (once; later calls do nothing). */
  start(): void {
    if (this.#state !== "idle") return;
    this.#state = "starting";
    const server = createServer({ ...OWN_SERVER_TIMEOUTS }, (req, res) => {
      if (req.url?.startsWith(this.#host.path) === true) this.#host.handleRequest(req, res);
      else res.writeHead(404).end();
    });
    server.keepAliveTimeout = INTERNAL_KEEP_ALIVE_MS;
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (req.url?.startsWith(this.#host.path) === true)
        this.#host.handleUpgrade(req, socket, head);
      else socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    });
    server.once("error", (error: Error) => {
      this.#host.reportError(error);
      this.#readyReject(error);
    });
    this.#server = server;
    // exclusive: under Node's cluster module every worker needs a listener of its own.
    server.listen({ port: 0, host: this.#options.host, exclusive: true }, () => {
      if (this.#state === "closed") return;
      const { port } = server.address() as AddressInfo;
      this.#address = formatNodeAddress(this.#options.advertiseHost, port);
      this.#state = "running";
      debug("node %s listening at %s", this.tag, this.#address);
      this.#renew();
      const every = Math.max(1, Math.floor(this.#options.lease / 3));
      this.#renewTimer = setInterval(() => this.#renew(), every);
      this.#renewTimer.unref();
    });
  }

  #renew(): void {
    const address = this.#address;
    if (address === undefined || this.#state !== "running") return;
    attempt(() => this.#options.directory.register(this.tag, address, this.#options.lease)).then(
      () => this.#readyResolve(),
      (error: unknown) => this.#host.reportError(asError(error, "directory register failed")),
    );
  }

  /**
   * Forwards a request for session `sid`, which this node does not have, to its owner.
   * Returns false when the request is not to be forwarded (a tag of this node or none, an
   * already forwarded request): the caller answers it. Otherwise the forwarder answers it,
   * calling `fail` (which answers as for an unknown session) when the owner cannot be
   * reached before its answer starts.
   */
  forwardRequest(
    req: IncomingMessage,
    res: ServerResponse,
    sid: string,
    fail: () => void,
  ): boolean {
    const tag = this.#forwardableTag(req, sid);
    if (tag === undefined) return false;
    this.#resolve(tag).then((owner) => {
      if (owner === undefined || res.destroyed) fail();
      else relayRequest(this.#relay, req, res, tag, owner, fail);
    }, fail);
    return true;
  }

  /** As {@link forwardRequest} for a WebSocket upgrade, tunnelled over TCP. */
  forwardUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    sid: string,
    fail: () => void,
  ): boolean {
    const tag = this.#forwardableTag(req, sid);
    if (tag === undefined) return false;
    this.#resolve(tag).then((owner) => {
      if (owner === undefined || socket.destroyed) fail();
      else relayUpgrade(this.#relay, req, socket, head, tag, owner, fail);
    }, fail);
    return true;
  }

  #forwardableTag(req: IncomingMessage, sid: string): string | undefined {
    if (this.#state !== "running" || req.headers[FORWARDED_HEADER] !== undefined) return undefined;
    const tag = tagOf(sid);
    return tag === this.tag ? undefined : tag;
  }

  /** The owner of `tag` from the cache or the directory (bounded; errors count as unknown). */
  #resolve(tag: string): Promise<NodeAddress | undefined> {
    const now = Date.now();
    const hit = this.#cache.get(tag);
    if (hit !== undefined) {
      if (hit.expires > now) return Promise.resolve(hit.address);
      this.#cache.delete(tag);
    }
    const pending = this.#lookups.get(tag);
    if (pending !== undefined) return pending;
    if (this.#lookups.size >= LOOKUPS_IN_FLIGHT_MAX) return Promise.resolve(undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.#options.timeout);
    });
    const lookup = Promise.race([
      attempt(() => this.#options.directory.lookup(tag)).then(
        (address) => {
          const parsed = typeof address === "string" ? parseNodeAddress(address) : undefined;
          this.#remember(tag, parsed);
          return parsed;
        },
        (error: unknown) => {
          this.#host.reportError(asError(error, "directory lookup failed"));
          return undefined;
        },
      ),
      timeout,
    ]).finally(() => {
      clearTimeout(timer);
      this.#lookups.delete(tag);
    });
    this.#lookups.set(tag, lookup);
    return lookup;
  }

  #remember(tag: string, address: NodeAddress | undefined): void {
    if (this.#state === "closed") return;
    if (this.#cache.size >= LOOKUP_CACHE_MAX) {
      const oldest = this.#cache.keys().next();
      if (oldest.done !== true) this.#cache.delete(oldest.value);
    }
    this.#cache.set(tag, { address, expires: Date.now() + LOOKUP_CACHE_MS });
  }

  /** Sizes of the per-request state (leak tests). */
  sizes(): ForwardingSizes {
    return {
      cached: this.#cache.size,
      lookups: this.#lookups.size,
      requests: this.#requests.size,
      tunnels: this.#tunnels.size,
    };
  }

  /**
   * Stops: no more forwarding, the lease is no longer renewed, forwarded requests and
   * tunnels in flight are cut, the internal listener closes and the node leaves the
   * directory. Resolves when both are done (a directory failure is reported, not thrown).
   */
  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    const wasListening = this.#state === "running" || this.#state === "starting";
    this.#state = "closed";
    if (this.#renewTimer !== null) clearInterval(this.#renewTimer);
    this.#renewTimer = null;
    for (const out of this.#requests) out.destroy();
    for (const tunnel of this.#tunnels) tunnel.destroy();
    this.#cache.clear();
    this.#agent.destroy();
    this.#readyReject(new Error("forwarding closed"));
    const server = this.#server;
    this.#server = null;
    const closed = new Promise<void>((resolve) => {
      if (server === null || !server.listening) {
        resolve();
        return;
      }
      server.close(() => resolve());
      server.closeAllConnections();
    });
    // A directory that does not answer (Redis down) delays close by `timeout` at most; the
    // entry then expires with its lease.
    let timer: NodeJS.Timeout | undefined;
    const left = wasListening
      ? Promise.race([
          attempt(() => this.#options.directory.unregister(this.tag)).catch((error: unknown) => {
            this.#host.reportError(asError(error, "directory unregister failed"));
          }),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, this.#options.timeout);
          }),
        ]).finally(() => clearTimeout(timer))
      : Promise.resolve();
    this.#closing = Promise.all([closed, left]).then(() => undefined);
    return this.#closing;
  }
}

/** `fn()`'s promise; a synchronous throw becomes a rejection. */
function attempt<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

function asError(error: unknown, message: string): Error {
  return error instanceof Error ? error : new Error(`${message}: ${String(error)}`);
}

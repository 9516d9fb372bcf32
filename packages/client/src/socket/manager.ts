import {
  type DefaultEventsMap,
  type EventsMap,
  encodeSocketPacket,
  type RawData,
  type SocketPacket,
  SocketPacketDecoder,
  type SocketParser,
} from "@switchboard/protocol";
import { platform } from "#platform";
import { Emitter, subscribe } from "../emitter.js";
import { type EngineOptions, EngineSocket } from "../engine/engine-socket.js";
import { ClientErrorCode, optionError, TransportError } from "../engine/errors.js";
import { Backoff } from "./backoff.js";
import type { PacketCodec } from "./codec.js";
import { parserCodec } from "./custom-parser.js";
import type { ManagerLink } from "./manager-link.js";
import { Socket } from "./socket.js";
import type { SocketOptions } from "./socket-types.js";
import { parseUrl } from "./url.js";

// socket.ts types `socket.io` as the SocketManager interface of manager-link.ts (so that it
// needs no import of this module); this merge makes that interface the whole Manager.
declare module "./manager-link.js" {
  interface SocketManager<
    ListenEvents extends EventsMap = DefaultEventsMap,
    EmitEvents extends EventsMap = ListenEvents,
  > extends Manager<ListenEvents, EmitEvents> {}
}

/** Defined (true) only when scripts/bundle.mjs builds the IIFE bundles; undeclared elsewhere. */
declare const SWITCHBOARD_IIFE: true | undefined;
/** Defined (true) only when scripts/bundle.mjs builds the browser bundles; undeclared elsewhere. */
declare const SWITCHBOARD_BUNDLE: true | undefined;

/** Options of a {@link Manager} (one connection, shared by the namespaces on it). */
export interface ManagerOptions extends EngineOptions {
  /** Create a new Manager instead of reusing the one cached for the origin. Default `false`. */
  forceNew: boolean;
  /** Share one connection between namespaces of the same origin. Default `true`. */
  multiplex: boolean;
  /** Reconnect automatically. Default `true`. */
  reconnection: boolean;
  /** Attempts before giving up (`reconnect_failed`). Default `Infinity`. */
  reconnectionAttempts: number;
  /** First delay between attempts, in milliseconds; doubles each attempt. Default `1000`. */
  reconnectionDelay: number;
  /** Maximum delay between attempts, in milliseconds. Default `5000`. */
  reconnectionDelayMax: number;
  /** Jitter: each delay moves by up to ±this fraction. Default `0.5`. */
  randomizationFactor: number;
  /** Time for the connection to open, in milliseconds, or `false` for none. Default `20000`. */
  timeout: number | false;
  /** Connect when the Socket is created. Default `true`. */
  autoConnect: boolean;
  /**
   * A socket.io parser module (an `Encoder` and a `Decoder` class, as socket.io-client's
   * `parser` option), e.g. `socket.io-msgpack-parser`; the server must use the same parser.
   * Default: the built-in Socket.IO v5 codec. Decoded packets get the built-in decoder's
   * checks and limits. Not in the IIFE bundles (`socket.io.js`, `socket.io.min.js`): use the
   * ESM build, Node.js or a bundler.
   */
  parser: SocketParser | undefined;
}

/** What `io()` and `new Manager()` accept: every option is optional; `query` may be a string. */
export type ConnectOptions = Partial<Omit<ManagerOptions, "query"> & SocketOptions> & {
  query?: Record<string, string | number | boolean> | string;
};

/** Events a Manager emits. */
export interface ManagerReservedEvents {
  open: () => void;
  error: (err: Error) => void;
  ping: () => void;
  packet: (packet: SocketPacket) => void;
  close: (reason: string, description?: unknown) => void;
  reconnect_failed: () => void;
  reconnect_attempt: (attempt: number) => void;
  reconnect_error: (err: Error) => void;
  reconnect: (attempt: number) => void;
}

/** Manager state: "closed" until `open()`, then "opening" until the engine handshake. */
export type ManagerReadyState = "opening" | "open" | "closed";

function normaliseQuery(query: ConnectOptions["query"]): Record<string, string> {
  if (query === undefined) return {};
  if (typeof query === "string") return Object.fromEntries(new URLSearchParams(query));
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) out[key] = String(value);
  return out;
}

/** Defaults of every option but `query`, in fresh objects (see {@link ManagerOptions}). */
const NO_DEFLATE = { compress: false };

const defaults = (): Omit<ManagerOptions, "query"> => ({
  path: "/socket.io",
  transports: ["polling", "websocket"],
  upgrade: true,
  rememberUpgrade: false,
  tryAllTransports: false,
  withCredentials: false,
  extraHeaders: {},
  timestampRequests: undefined,
  timestampParam: "t",
  addTrailingSlash: true,
  closeOnBeforeunload: false,
  autoUnref: false,
  forceNew: false,
  multiplex: true,
  reconnection: true,
  reconnectionAttempts: Number.POSITIVE_INFINITY,
  reconnectionDelay: 1000,
  reconnectionDelayMax: 5000,
  randomizationFactor: 0.5,
  timeout: 20000,
  autoConnect: true,
  parser: undefined,
  // Node.js only: the browser bundles fold these away (scripts/bundle.mjs).
  ...((typeof SWITCHBOARD_BUNDLE === "undefined" && {
    webSocketImpl: "auto",
    perMessageDeflate: undefined,
  }) as Pick<ManagerOptions, "webSocketImpl" | "perMessageDeflate">),
});

function resolveOptions(opts: ConnectOptions, urlQuery: Record<string, string>): ManagerOptions {
  const resolved = defaults() as Record<string, unknown>;
  for (const key in resolved) {
    // an option given as undefined keeps its default
    const value = opts[key as keyof ConnectOptions];
    if (value !== undefined) resolved[key] = value;
  }
  resolved.query = { ...urlQuery, ...normaliseQuery(opts.query) };
  return resolved as unknown as ManagerOptions;
}

/**
 * One Engine.IO connection, shared by the Sockets (namespaces) created from it, with
 * automatic reconnection (exponential backoff with jitter).
 *
 * Events: `open`, `error` (err), `ping`, `packet`, `close` (reason, description),
 * `reconnect_attempt` (attempt), `reconnect` (attempt), `reconnect_error` (err),
 * `reconnect_failed`.
 *
 * @example
 * ```ts
 * const manager = new Manager("https://example.com", { reconnectionDelayMax: 10000 });
 * const socket = manager.socket("/admin", { auth: { token: "abc" } });
 * manager.on("reconnect_attempt", (attempt) => console.log("attempt", attempt));
 * ```
 */
export class Manager<
  ListenEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/correctness/noUnusedVariables: socket.io-client's Manager has the same two type parameters
  EmitEvents extends EventsMap = ListenEvents,
> extends Emitter {
  /** The current engine connection (replaced on reconnection). */
  engine: EngineSocket | undefined;
  /** The Sockets created by this Manager, by namespace. */
  readonly nsps: Record<string, Socket> = {};
  /** Resolved options. */
  readonly opts: ManagerOptions;
  /** The URL given to the constructor. */
  readonly uri: string;
  #origin: string;
  #readyState: ManagerReadyState = "closed";
  #reconnecting = false;
  #skipReconnect = false;
  #backoff: Backoff;
  /** Removes this Manager's listeners from the engine (opening, then open). */
  #unsubscribe: (() => void) | undefined;
  /** The `timeout` of the connection being opened. */
  #openTimer: ReturnType<typeof setTimeout> | undefined;
  #decoder: PacketCodec["decoder"] = new SocketPacketDecoder();
  #encode: PacketCodec["encode"] = encodeSocketPacket;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** What Sockets may ask of their Manager beyond its public API; handed to each Socket created. */
  static readonly #link: ManagerLink = {
    linkPacket: (m, packet, compress) => (m as Manager).#packet(packet, compress),
    linkDestroy: (m, socket) => (m as Manager).#destroy(socket),
    linkOpen: (m) => {
      const manager = m as Manager;
      if (!manager.#reconnecting) manager.open();
      return manager.#readyState === "open";
    },
    linkWritable: (m) => m.engine?.transport?.writable === true,
  };

  constructor(uri?: string | ConnectOptions, opts?: ConnectOptions) {
    super();
    if (typeof uri === "object") {
      opts = uri;
      uri = undefined;
    }
    opts ??= {};
    this.uri = uri ?? platform.defaultUri();
    const parsed = parseUrl(this.uri, platform.defaultUri(), "");
    this.#origin = parsed.origin;
    this.opts = resolveOptions(opts, parsed.query);
    if (this.opts.reconnectionDelay > this.opts.reconnectionDelayMax) {
      throw optionError("reconnectionDelay must not exceed reconnectionDelayMax");
    }
    if (this.opts.parser !== undefined) {
      // The IIFE bundles define SWITCHBOARD_IIFE (scripts/bundle.mjs): esbuild folds this to
      // the throw and drops custom-parser.ts, keeping them within their 10 KB budget.
      if (typeof SWITCHBOARD_IIFE === "undefined") {
        const codec = parserCodec(this.opts.parser, {
          onPacket: (packet) => this.#emitPacket(packet),
          onError: (err) => this.#onClose("parse error", err),
        });
        this.#decoder = codec.decoder;
        this.#encode = codec.encode;
      } else throw optionError("parser needs the ESM build");
    }
    this.#backoff = new Backoff(this.opts);
    if (this.opts.autoConnect) this.open();
  }

  /** Gets or sets `reconnection`. */
  reconnection(): boolean;
  reconnection(value: boolean): this;
  reconnection(value?: boolean): boolean | this {
    if (value === false) this.#skipReconnect = true;
    return this.#option("reconnection", value);
  }

  /** Gets or sets `reconnectionAttempts`. */
  reconnectionAttempts(): number;
  reconnectionAttempts(value: number): this;
  reconnectionAttempts(value?: number): number | this {
    return this.#option("reconnectionAttempts", value);
  }

  /** Gets or sets `reconnectionDelay` (milliseconds). */
  reconnectionDelay(): number;
  reconnectionDelay(value: number): this;
  reconnectionDelay(value?: number): number | this {
    return this.#option("reconnectionDelay", value);
  }

  /** Gets or sets `reconnectionDelayMax` (milliseconds). */
  reconnectionDelayMax(): number;
  reconnectionDelayMax(value: number): this;
  reconnectionDelayMax(value?: number): number | this {
    return this.#option("reconnectionDelayMax", value);
  }

  /** Gets or sets `randomizationFactor`. */
  randomizationFactor(): number;
  randomizationFactor(value: number): this;
  randomizationFactor(value?: number): number | this {
    return this.#option("randomizationFactor", value);
  }

  /** Gets or sets the connection `timeout` (milliseconds, or `false`). */
  timeout(): number | false;
  timeout(value: number | false): this;
  timeout(value?: number | false): number | false | this {
    return this.#option("timeout", value);
  }

  /** The getter/setter behind the methods above (the backoff reads `opts` at each attempt). */
  #option<K extends keyof ManagerOptions>(
    key: K,
    value: ManagerOptions[K] | undefined,
  ): ManagerOptions[K] | this {
    if (value === undefined) return this.opts[key];
    this.opts[key] = value;
    return this;
  }

  /**
   * Opens the connection (no-op when opening or open). `callback` receives the error when
   * this attempt fails; without it a failure starts the reconnection loop.
   */
  open(callback?: (err?: Error) => void): this {
    if (this.#readyState !== "closed") return this;
    const engine = new EngineSocket(this.#origin, this.opts, platform);
    this.engine = engine;
    this.#readyState = "opening";
    this.#skipReconnect = false;
    const onError = (err: Error) => {
      this.#cleanup();
      this.#readyState = "closed";
      this.emitReserved("error", err);
      if (callback) callback(err);
      // the first connection failed: start reconnecting (a reconnection attempt has a callback)
      else if (!this.#reconnecting && this.opts.reconnection && this.#backoff.attempts === 0) {
        this.#reconnect();
      }
    };
    const unsubscribe = subscribe(engine, {
      open: () => {
        this.#onOpen();
        callback?.();
      },
      error: onError,
    });
    this.#unsubscribe = unsubscribe;
    const timeout = this.opts.timeout;
    if (timeout !== false) {
      const timer = setTimeout(() => {
        unsubscribe();
        onError(new TransportError("timeout", undefined, undefined, ClientErrorCode.TIMEOUT));
        engine.close();
      }, timeout);
      if (typeof SWITCHBOARD_BUNDLE === "undefined" && this.opts.autoUnref)
        (timer as { unref?: () => void }).unref?.();
      this.#openTimer = timer;
    }
    return this;
  }

  /** Alias of {@link Manager.open}. */
  connect(callback?: (err?: Error) => void): this {
    return this.open(callback);
  }

  /**
   * The Socket for namespace `nsp` on this connection (created on first use, reused after).
   *
   * @example
   * ```ts
   * const admin = manager.socket("/admin");
   * ```
   */
  socket(nsp: string, opts?: Partial<SocketOptions>): Socket {
    let socket = this.nsps[nsp];
    if (socket === undefined) {
      this.nsps[nsp] = socket = new Socket(this, nsp, opts ?? {}, Manager.#link);
    }
    if (this.opts.autoConnect && !socket.active) socket.connect();
    return socket;
  }

  /** Closes the connection and stops reconnecting; the Sockets get "disconnect". */
  disconnect(): void {
    this.#skipReconnect = true;
    this.#reconnecting = false;
    this.#onClose("forced close");
  }

  /** Alias of {@link Manager.disconnect}. */
  close(): void {
    this.disconnect();
  }

  #onOpen(): void {
    this.#cleanup();
    this.#readyState = "open";
    this.emitReserved("open");
    this.#unsubscribe = subscribe(this.engine!, {
      ping: () => this.emitReserved("ping"),
      data: (data: RawData) => this.#onData(data),
      error: (err: Error) => this.emitReserved("error", err),
      close: (reason: string, description?: unknown) => this.#onClose(reason, description),
    });
  }

  #onData(data: RawData): void {
    let packet: SocketPacket | null;
    try {
      packet = this.#decoder.add(data);
    } catch (err) {
      this.#onClose("parse error", err);
      return;
    }
    if (packet !== null) this.#emitPacket(packet);
  }

  #emitPacket(packet: SocketPacket): void {
    try {
      this.emitReserved("packet", packet);
    } catch (err) {
      // A user listener threw: report it like an uncaught error without breaking the transport.
      setTimeout(() => {
        throw err;
      });
    }
  }

  #packet(packet: SocketPacket, compress?: boolean): void {
    const engine = this.engine;
    if (engine === undefined) return;
    const options = compress === false ? NO_DEFLATE : undefined;
    for (const message of this.#encode(packet)) engine.send(message, options);
  }

  #destroy(socket: object): void {
    for (const other of Object.values(this.nsps)) {
      if (other !== socket && other.active) return;
    }
    this.disconnect();
  }

  #cleanup(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    clearTimeout(this.#openTimer);
    this.#openTimer = undefined;
    this.#decoder.reset();
  }

  #onClose(reason: string, description?: unknown): void {
    this.#cleanup();
    clearTimeout(this.#reconnectTimer);
    this.engine?.close();
    this.#backoff.reset();
    this.#readyState = "closed";
    this.emitReserved("close", reason, description);
    if (this.opts.reconnection && !this.#skipReconnect) this.#reconnect();
  }

  #reconnect(): void {
    if (this.#reconnecting || this.#skipReconnect) return;
    if (this.#backoff.attempts >= this.opts.reconnectionAttempts) {
      this.#backoff.reset();
      this.#reconnecting = false;
      this.emitReserved("reconnect_failed");
      return;
    }
    const delay = this.#backoff.duration();
    this.#reconnecting = true;
    this.#reconnectTimer = setTimeout(() => {
      if (this.#skipReconnect) return;
      this.emitReserved("reconnect_attempt", this.#backoff.attempts);
      if (this.#skipReconnect) return;
      this.open((err) => {
        if (err) {
          this.#reconnecting = false;
          this.#reconnect();
          this.emitReserved("reconnect_error", err);
        } else {
          const attempts = this.#backoff.attempts;
          this.#reconnecting = false;
          this.#backoff.reset();
          this.emitReserved("reconnect", attempts);
        }
      });
    }, delay);
    if (typeof SWITCHBOARD_BUNDLE === "undefined" && this.opts.autoUnref) {
      (this.#reconnectTimer as { unref?: () => void }).unref?.();
    }
  }
}

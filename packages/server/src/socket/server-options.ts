import type { DecoderLimits, SocketPacket, SocketParser } from "@switchboard/protocol";
import {
  customEncoder,
  encodeSocketPacket,
  isSocketParser,
  resolveDecoderLimits,
} from "@switchboard/protocol";
import type { AdapterConstructor } from "../adapter/types.js";
import type { EngineServerOptions } from "../engine/index.js";
import { resolvePresenceOptions } from "../presence/options.js";
import type { PresenceOptions } from "../presence/types.js";
import { SocketErrorCode, SocketTypeError } from "./errors.js";
import { type RateLimitOptions, type ResolvedRateLimit, resolveRateLimit } from "./rate-limit.js";
import type { ConnectionStateRecoveryOptions } from "./types.js";

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
  /**
   * Default timeout of every emit with an ack (`socket.emit`, `emitWithAck`, broadcasts,
   * remote sockets of `fetchSockets`), ms. With it, a socket's acks are error-first as with
   * `timeout()` (as socket.io-client's `ackTimeout`): the callback gets a
   * `SB_ERR_ACK_TIMEOUT` SocketError when no answer came in time, or
   * `SB_ERR_ACK_DISCONNECTED` at once when the socket disconnects, and is then forgotten.
   * `timeout(ms)` overrides it per call. Default none (a socket's ack waits until it is
   * answered or the socket disconnects; a broadcast's until every recipient answered or left).
   */
  ackTimeout: number;
  /**
   * Per-socket event rate limit of every namespace (see {@link RateLimitOptions});
   * `nsp.rateLimit()` overrides it for one namespace. Default none.
   */
  rateLimit: RateLimitOptions;
  /**
   * Time given to an async schema (`nsp.validate`, `socket.on(ev, schema, handler)`) before
   * the event is refused with `SB_ERR_VALIDATION_TIMEOUT`, ms. Default 5000.
   */
  validationTimeout: number;
  /**
   * Presence limits and leave delay (see {@link PresenceOptions}): `leaveDelay` defaults to
   * `connectionStateRecovery.maxDisconnectionDuration` (0 without recovery),
   * `maxEntriesPerRoom` 10000, `maxRoomsPerSocket` 32, `maxMetaBytes` 2048, `maxIdLength` 256.
   */
  presence: Partial<PresenceOptions>;
  /**
   * How long a drain (`io.drain()`, and `io.close()` when `connectionStateRecovery` is on)
   * spreads the closing of its connections over, ms: each connection closes at a moment
   * drawn uniformly from `[0, drainSpread)`, so that clients reconnect (to other nodes) a
   * few at a time, not all at once. 0 closes every connection at once. Default 3000.
   */
  drainSpread: number;
  /**
   * Signals on which the server drains and the process then exits with code 0 (see
   * `io.closeOnSignals()`, which this option calls), e.g. `["SIGTERM", "SIGINT"]`. A second
   * signal during the drain closes what is left at once. Default none: signals keep Node's
   * default behaviour.
   */
  shutdownSignals: readonly NodeJS.Signals[];
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
  ackTimeout: number | undefined;
  rateLimit: ResolvedRateLimit | undefined;
  validationTimeout: number;
  presence: PresenceOptions;
  drainSpread: number;
  shutdownSignals: readonly NodeJS.Signals[];
}

/** The option names that are the socket layer's; every other option goes to the engine. */
export const SERVER_KEYS = new Set([
  "parser",
  "serveClient",
  "connectTimeout",
  "adapter",
  "decoderLimits",
  "connectionStateRecovery",
  "cleanupEmptyChildNamespaces",
  "ackTimeout",
  "rateLimit",
  "validationTimeout",
  "presence",
  "drainSpread",
  "shutdownSignals",
]);

/** A path without its trailing slash; throws when it does not start with `/`. */
export function normalizePath(path: string): string {
  if (!path.startsWith("/")) throw invalidOption("option path must start with /");
  return path.endsWith("/") ? path.slice(0, -1) : path;
}

/**
 * Applies the defaults and validates: an invalid option throws a {@link SocketTypeError}
 * (`SB_ERR_INVALID_OPTION`), a `TypeError`, at construction.
 */
export function resolveServerOptions(opts: Partial<ServerOptions>): ResolvedServerOptions {
  const connectTimeout = opts.connectTimeout ?? 45_000;
  if (typeof connectTimeout !== "number" || !(connectTimeout > 0)) {
    throw invalidOption("option connectTimeout must be a positive number");
  }
  if (opts.adapter !== undefined && typeof opts.adapter !== "function") {
    throw invalidOption("option adapter must be a class");
  }
  const parser = opts.parser;
  if (parser !== undefined && !isSocketParser(parser)) {
    throw invalidOption("option parser must have an Encoder and a Decoder class");
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
        throw invalidOption(`connectionStateRecovery.${key} must be a positive number`);
      }
    }
  }
  const { ackTimeout, validationTimeout = 5000 } = opts;
  if (ackTimeout !== undefined && (typeof ackTimeout !== "number" || !(ackTimeout > 0))) {
    throw invalidOption("option ackTimeout must be a positive number (ms)");
  }
  if (typeof validationTimeout !== "number" || !(validationTimeout > 0)) {
    throw invalidOption("option validationTimeout must be a positive number (ms)");
  }
  const { drainSpread = 3000, shutdownSignals = [] } = opts;
  if (!isDrainSpread(drainSpread)) {
    throw invalidOption("option drainSpread must be a finite number >= 0 (ms)");
  }
  if (!Array.isArray(shutdownSignals) || !shutdownSignals.every(isSignalName)) {
    throw invalidOption("option shutdownSignals must be an array of signal names");
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
    ackTimeout,
    rateLimit: opts.rateLimit === undefined ? undefined : resolveRateLimit(opts.rateLimit),
    validationTimeout,
    presence: resolvePresenceOptions(opts.presence, connectionStateRecovery),
    drainSpread,
    shutdownSignals: [...shutdownSignals],
  };
}

function isSignalName(value: unknown): value is NodeJS.Signals {
  return typeof value === "string" && value.startsWith("SIG");
}

/** Whether `value` is a valid drain spread (a finite number of ms, 0 included). */
export function isDrainSpread(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

function invalidOption(message: string): SocketTypeError {
  return new SocketTypeError(SocketErrorCode.INVALID_OPTION, message);
}

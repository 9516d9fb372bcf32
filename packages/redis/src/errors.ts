import { shareInstanceCheck } from "@switchboard/protocol";

/** Stable codes of {@link RedisAdapterError}; tests and callers branch on these, never on text. */
export const RedisAdapterErrorCode = {
  /** Redis is not connected: a request fails now instead of waiting for its timeout. */
  REDIS_UNAVAILABLE: "SB_ERR_REDIS_UNAVAILABLE",
  /** The Redis connection went away while the request waited for answers. */
  REDIS_CONNECTION_LOST: "SB_ERR_REDIS_CONNECTION_LOST",
  /** The Redis client rejected a command (the connection broke while it was under way, …). */
  COMMAND_FAILED: "SB_ERR_REDIS_COMMAND_FAILED",
  /** The client object lacks a command this feature needs (e.g. SPUBLISH before Redis 7). */
  UNSUPPORTED_CLIENT: "SB_ERR_REDIS_UNSUPPORTED_CLIENT",
  /** Too many requests of this node await answers (`maxPendingRequests`). */
  TOO_MANY_REQUESTS: "SB_ERR_REDIS_TOO_MANY_REQUESTS",
  /** The adapter was closed while the request waited. */
  ADAPTER_CLOSED: "SB_ERR_REDIS_ADAPTER_CLOSED",
  /** A value msgpack cannot carry (symbol, bigint, function) was given to the encoder. */
  UNENCODABLE: "SB_ERR_REDIS_UNENCODABLE",
  /** Channel data is not valid MessagePack (truncated, bad byte, trailing bytes, bad key). */
  INVALID_MSGPACK: "SB_ERR_REDIS_INVALID_MSGPACK",
  /** Channel data nests deeper than the decoder's `maxDepth`. */
  MSGPACK_TOO_DEEP: "SB_ERR_REDIS_MSGPACK_TOO_DEEP",
  /** A map of the channel data has the key `__proto__`. */
  FORBIDDEN_KEY: "SB_ERR_REDIS_FORBIDDEN_KEY",
  /** A channel message decoded, but its shape is not one of the format's messages. */
  INVALID_MESSAGE: "SB_ERR_REDIS_INVALID_MESSAGE",
  /** A channel message is larger than `maxMessageBytes`. */
  MESSAGE_TOO_LARGE: "SB_ERR_REDIS_MESSAGE_TOO_LARGE",
} as const;

/** One of the stable `SB_ERR_…` strings of {@link RedisAdapterErrorCode}. */
export type RedisAdapterErrorCode =
  (typeof RedisAdapterErrorCode)[keyof typeof RedisAdapterErrorCode];

/**
 * The errors of @switchboard/redis that concern Redis itself (a request's timeout is the
 * server's `AdapterError` with `SB_ERR_ADAPTER_REQUEST_TIMEOUT`).
 *
 * @example
 * ```ts
 * try {
 *   await io.fetchSockets();
 * } catch (err) {
 *   if (err instanceof RedisAdapterError && err.code === "SB_ERR_REDIS_UNAVAILABLE") retryLater();
 * }
 * ```
 */
export class RedisAdapterError extends Error {
  static {
    shareInstanceCheck(RedisAdapterError, "switchboard.redis.RedisAdapterError");
  }

  /** Stable machine-readable code, e.g. `SB_ERR_REDIS_UNAVAILABLE`. */
  readonly code: RedisAdapterErrorCode;

  constructor(code: RedisAdapterErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RedisAdapterError";
    this.code = code;
  }
}

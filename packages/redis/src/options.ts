import { msgpackParser, type Parser } from "./msgpack/index.js";

/** Options of `createAdapter` (all optional there). Times in ms, sizes in bytes. */
export interface RedisAdapterOptions {
  /** Prefix of every channel name. Default `"socket.io"` (as @socket.io/redis-adapter). */
  key: string;
  /** How long a request (fetchSockets, allRooms, serverSideEmit acks) waits for every node. Default 5000 ms. */
  requestsTimeout: number;
  /** Answer a request on the requester's own channel `<key>-response#<nsp>#<uid>#`. Default false. */
  publishOnSpecificResponseChannel: boolean;
  /** Encodes broadcasts and ack messages. Default {@link msgpackParser} (notepack.io's bytes). */
  parser: Parser;
  /** Most requests (and ack broadcasts) of one namespace waiting at once. Default 1000. */
  maxPendingRequests: number;
  /** Channel messages larger than this are dropped unread. Default 32 MiB. */
  maxMessageBytes: number;
  /** While requests wait, how often the node count is checked again (a gone node is not waited for). Default 1000 ms. */
  nodeCheckInterval: number;
  /**
   * How often the publish lag is probed (a small message on a channel of this node's own,
   * timed until it comes back; see the adapter's `publishLag`), ms. `0`: never. Default 5000.
   */
  lagProbeInterval: number;
}

/** The defaults of {@link RedisAdapterOptions}. */
export const DEFAULTS: RedisAdapterOptions = {
  key: "socket.io",
  requestsTimeout: 5000,
  publishOnSpecificResponseChannel: false,
  parser: msgpackParser,
  maxPendingRequests: 1000,
  maxMessageBytes: 32 * 1024 * 1024,
  nodeCheckInterval: 1000,
  lagProbeInterval: 5000,
};

function positive(value: unknown, name: string, unit: string): void {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new TypeError(`${name} must be a positive number (${unit})`);
  }
}

/** A number >= 0 and finite (0: off), or a TypeError. */
export function nonNegative(value: unknown, name: string, unit: string): void {
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
    throw new TypeError(`${name} must be a number >= 0 (${unit}; 0: off)`);
  }
}

/**
 * `options` over the defaults, checked.
 *
 * @throws TypeError for an empty key, a parser without encode/decode, or a time or size
 *   that is not a positive finite number, a negative `lagProbeInterval`
 */
export function resolveOptions(options: Partial<RedisAdapterOptions>): RedisAdapterOptions {
  const opts: RedisAdapterOptions = { ...DEFAULTS };
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined) (opts as unknown as Record<string, unknown>)[name] = value;
  }
  if (typeof opts.key !== "string" || opts.key === "")
    throw new TypeError("key must be a non-empty string");
  positive(opts.requestsTimeout, "requestsTimeout", "ms");
  positive(opts.maxPendingRequests, "maxPendingRequests", "requests");
  positive(opts.maxMessageBytes, "maxMessageBytes", "bytes");
  positive(opts.nodeCheckInterval, "nodeCheckInterval", "ms");
  nonNegative(opts.lagProbeInterval, "lagProbeInterval", "ms");
  if (typeof opts.parser?.encode !== "function" || typeof opts.parser.decode !== "function") {
    throw new TypeError("parser must have encode and decode");
  }
  return opts;
}

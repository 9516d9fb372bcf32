import type { AdapterConstructor, AdapterNamespace } from "@switchboard/server";
import { RedisAdapter, type RedisAdapterOptions } from "./classic/redis-adapter.js";
import { msgpackParser } from "./msgpack/index.js";
import { type AnyRedisClient, wrapRedisClient } from "./redis-client.js";

const DEFAULTS: RedisAdapterOptions = {
  key: "socket.io",
  requestsTimeout: 5000,
  publishOnSpecificResponseChannel: false,
  parser: msgpackParser,
  maxPendingRequests: 1000,
  maxMessageBytes: 32 * 1024 * 1024,
  nodeCheckInterval: 1000,
};

function positive(value: unknown, name: string): void {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new TypeError(
      `${name} must be a positive number of ${name === "maxMessageBytes" ? "bytes" : "ms"}`,
    );
  }
}

/**
 * The adapter for `io.adapter(...)` / `new Server({ adapter })`: every namespace of this
 * server joins the cluster of the nodes that share `pubClient`'s Redis and `key`, speaking
 * @socket.io/redis-adapter 8.x's classic format (socket.io nodes can be in the same cluster).
 *
 * `pubClient` publishes and counts nodes; `subClient` (a second connection, e.g.
 * `pubClient.duplicate()`) subscribes. Both may be ioredis `Redis`/`Cluster` or node-redis
 * (v4+) clients from `createClient`/`createCluster` (connected by you).
 *
 * @throws TypeError for a client that is neither library's, or a non-positive time or size
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { Server } from "@switchboard/server";
 * import { createAdapter } from "@switchboard/redis";
 *
 * const pubClient = new Redis();
 * const subClient = pubClient.duplicate();
 * const io = new Server({ adapter: createAdapter(pubClient, subClient) });
 * io.of("/").adapter.on("health", (state) => console.log("redis is", state));
 * ```
 */
export function createAdapter(
  pubClient: AnyRedisClient,
  subClient: AnyRedisClient,
  options: Partial<RedisAdapterOptions> = {},
): AdapterConstructor {
  const opts: RedisAdapterOptions = { ...DEFAULTS };
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined) (opts as unknown as Record<string, unknown>)[name] = value;
  }
  if (typeof opts.key !== "string" || opts.key === "")
    throw new TypeError("key must be a non-empty string");
  positive(opts.requestsTimeout, "requestsTimeout");
  positive(opts.maxPendingRequests, "maxPendingRequests");
  positive(opts.maxMessageBytes, "maxMessageBytes");
  positive(opts.nodeCheckInterval, "nodeCheckInterval");
  if (typeof opts.parser?.encode !== "function" || typeof opts.parser.decode !== "function") {
    throw new TypeError("parser must have encode and decode");
  }
  const pub = wrapRedisClient(pubClient);
  const sub = wrapRedisClient(subClient);
  return class extends RedisAdapter {
    constructor(nsp: AdapterNamespace) {
      super(nsp, pub, sub, opts);
    }
  };
}

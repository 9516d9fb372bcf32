import type { AdapterConstructor, AdapterNamespace } from "@switchboard/server";
import { RedisAdapter } from "./classic/redis-adapter.js";
import { type RedisAdapterOptions, resolveOptions } from "./options.js";
import { type AnyRedisClient, wrapRedisClient } from "./redis-client.js";

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
  const opts = resolveOptions(options);
  const pub = wrapRedisClient(pubClient);
  const sub = wrapRedisClient(subClient);
  return class extends RedisAdapter {
    constructor(nsp: AdapterNamespace) {
      super(nsp, pub, sub, opts);
    }
  };
}

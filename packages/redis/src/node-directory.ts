import type { NodeDirectory } from "@switchboard/server";
import { type AnyRedisClient, wrapRedisClient } from "./redis-client.js";

/** Options of {@link createRedisDirectory}. */
export interface RedisDirectoryOptions {
  /** Key prefix of the entries: a node's address is at `<prefix><node tag>`. Default `"switchboard:node:"`. */
  prefix?: string;
}

/**
 * A {@link NodeDirectory} on Redis for the server's `forwarding` option: each node's address
 * is a string key `<prefix><node tag>` set with `SET key address PX lease` (renewed by the
 * node every third of its lease, so a node that dies disappears within one lease), read with
 * `GET` and removed with `DEL` on close. Works with ioredis and node-redis clients,
 * standalone or cluster (each command is routed by its key). The client is shared: it may be
 * the adapter's publisher.
 *
 * @example
 * ```ts
 * import { Server } from "@switchboard/server";
 * import { createAdapter, createRedisDirectory } from "@switchboard/redis";
 * import { Redis } from "ioredis";
 *
 * const pub = new Redis();
 * const sub = pub.duplicate();
 * const io = new Server(httpServer, {
 *   adapter: createAdapter(pub, sub),
 *   forwarding: { directory: createRedisDirectory(pub), advertiseHost: "10.0.0.7" },
 * });
 * ```
 */
export function createRedisDirectory(
  redisClient: AnyRedisClient,
  opts: RedisDirectoryOptions = {},
): NodeDirectory {
  const prefix = opts.prefix ?? "switchboard:node:";
  if (typeof prefix !== "string") throw new TypeError("option prefix must be a string");
  const client = wrapRedisClient(redisClient);
  return {
    async register(node, address, ttlMs) {
      const key = prefix + node;
      const px = String(Math.max(1, Math.ceil(ttlMs)));
      await client.command(["SET", key, address, "PX", px], { key });
    },
    async lookup(node) {
      const key = prefix + node;
      const value = await client.command(["GET", key], { key });
      return typeof value === "string" ? value : undefined;
    },
    async unregister(node) {
      const key = prefix + node;
      await client.command(["DEL", key], { key });
    },
  };
}

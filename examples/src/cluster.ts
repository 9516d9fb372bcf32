import type { AdapterConstructor, ServerOptions } from "@switchboard/server";

/** Where the demo processes of a cluster meet (`npm run start:cluster`, or REDIS_URL). */
export interface ClusterOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** Key prefix of the cluster's channels on Redis. Default `"switchboard-demo"`. */
  key?: string;
}

/** A Redis adapter for the demo's server, and how to let go of its two connections. */
export interface ClusterLink {
  readonly adapter: AdapterConstructor;
  /**
   * What else a cluster node sets: requests of a session that land on another node are
   * forwarded to it (no sticky sessions needed: several processes on one port with Node's
   * `cluster` module, or any round-robin balancer), and connection state recovery works on
   * any node (a chat page that lost its node gets back its id and missed messages).
   */
  readonly serverOptions: Pick<ServerOptions, "forwarding" | "connectionStateRecovery">;
  close(): Promise<void>;
}

/**
 * Connects a publisher and a subscriber (ioredis) to `redisUrl` and makes the adapter
 * that shares rooms, broadcasts and fetchSockets with every demo process on the same
 * Redis and key. Loaded on demand: `npm start` (in-memory) never touches Redis.
 *
 * @example
 * const link = await connectCluster({ redisUrl: "redis://127.0.0.1:6379" });
 * const io = new Server(httpServer, { adapter: link.adapter });
 */
export async function connectCluster(options: ClusterOptions): Promise<ClusterLink> {
  const [{ Redis }, { createAdapter, createRedisDirectory }] = await Promise.all([
    import("ioredis"),
    import("@switchboard/redis"),
  ]);
  const connect = async () => {
    const client = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
    try {
      await client.connect();
    } catch (err) {
      client.disconnect();
      throw new Error(`cannot reach Redis at ${options.redisUrl}: ${String(err)}`);
    }
    return client;
  };
  const pub = await connect();
  const sub = await connect().catch((err: unknown) => {
    pub.disconnect();
    throw err;
  });
  const key = options.key ?? "switchboard-demo";
  return {
    adapter: createAdapter(pub, sub, { key }),
    serverOptions: {
      forwarding: { directory: createRedisDirectory(pub, { prefix: `${key}:node:` }) },
      connectionStateRecovery: { maxDisconnectionDuration: 120_000 },
    },
    async close() {
      pub.disconnect();
      sub.disconnect();
    },
  };
}

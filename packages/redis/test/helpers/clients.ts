/**
 * Redis clients of both libraries for the sharded-adapter and Redis Cluster tests: a
 * standalone server (REDIS_URL, default redis://127.0.0.1:6379; a test fails, never skips,
 * when it is missing) or the nodes of a local cluster (./redis-cluster.ts).
 */
import { Cluster, Redis } from "ioredis";
import { createClient, createCluster } from "redis";
import type { ClusterNode } from "./redis-cluster.js";

/** Which library, standalone or cluster. */
export type ClientKind = "ioredis" | "node-redis" | "ioredis-cluster" | "node-redis-cluster";

/** A connected client and how to close it. */
export interface TestRedisClient {
  readonly client: object;
  quit(): Promise<void>;
}

/** The standalone Redis of the tests. */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** How long a connection may take before the test fails, in ms. */
const CONNECT_TIMEOUT = 5000;

/**
 * A connected client of `kind`: standalone kinds connect to {@link REDIS_URL}, cluster
 * kinds to `nodes` (ioredis's Cluster with `shardedSubscribers: true`).
 */
export async function connectClient(kind: ClientKind, nodes: ClusterNode[] = []): Promise<TestRedisClient> {
  switch (kind) {
    case "ioredis": {
      const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
      await withTimeout(client.connect(), kind);
      return { client, quit: () => quitIoredis(client) };
    }
    case "ioredis-cluster": {
      const client = new Cluster(nodes, { shardedSubscribers: true, lazyConnect: true });
      await withTimeout(client.connect(), kind);
      return { client, quit: () => quitIoredis(client) };
    }
    case "node-redis": {
      const client = createClient({ url: REDIS_URL });
      client.on("error", () => {});
      await withTimeout(client.connect(), kind);
      return { client, quit: () => client.quit().then(() => undefined, () => undefined) };
    }
    case "node-redis-cluster": {
      const client = createCluster({
        rootNodes: nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
      });
      client.on("error", () => {});
      await withTimeout(client.connect(), kind);
      return { client, quit: () => client.quit().then(() => undefined, () => undefined) };
    }
  }
}

async function quitIoredis(client: Redis | Cluster): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

async function withTimeout(promise: Promise<unknown>, kind: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${kind}: no Redis connection within ${CONNECT_TIMEOUT} ms`)),
          CONNECT_TIMEOUT,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

let counter = 0;

/** A channel prefix no other test (or test file sharing the Redis) uses. */
export function uniquePrefix(label: string): string {
  return `sb-test-${label}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

/**
 * Clients of both libraries on a local Redis Cluster (./redis-cluster.ts), for the sharded
 * adapter and the classic adapter on a cluster. ioredis's Cluster is created with
 * `shardedSubscribers: true` (its sharded pub/sub needs it).
 */
import { Cluster } from "ioredis";
import { createCluster } from "redis";
import type { ClusterNode } from "./redis-cluster.js";

/** The cluster client of each library. */
export const CLUSTER_CLIENT_KINDS = ["ioredis-cluster", "node-redis-cluster"] as const;
export type ClusterClientKind = (typeof CLUSTER_CLIENT_KINDS)[number];

/** A connected publisher/subscriber pair, and how to close both. */
export interface ClusterClientPair {
  pub: object;
  sub: object;
  quit(): Promise<void>;
}

/** How long connecting may take before the test fails, in ms. */
const CONNECT_TIMEOUT = 10_000;

/** A connected pub/sub pair of `kind` on the cluster of `nodes`. */
export async function clusterClientPair(
  kind: ClusterClientKind,
  nodes: ClusterNode[],
): Promise<ClusterClientPair> {
  if (kind === "ioredis-cluster") {
    const make = () => new Cluster(nodes, { shardedSubscribers: true, lazyConnect: true });
    const pub = make();
    const sub = make();
    await bounded(Promise.all([pub.connect(), sub.connect()]), kind);
    return {
      pub,
      sub,
      quit: async () => {
        pub.disconnect();
        sub.disconnect();
      },
    };
  }
  const pub = createCluster({
    rootNodes: nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })),
  });
  const sub = pub.duplicate();
  pub.on("error", () => {});
  sub.on("error", () => {});
  await bounded(Promise.all([pub.connect(), sub.connect()]), kind);
  return {
    pub,
    sub,
    // close() lets commands in flight finish (destroy() would reject them, and a socket.io
    // adapter does not wait for its last SUNSUBSCRIBEs).
    quit: async () => {
      await Promise.all([pub.close(), sub.close()]).catch(() => {});
    },
  };
}

async function bounded(promise: Promise<unknown>, kind: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${kind}: not connected within ${CONNECT_TIMEOUT} ms`)),
          CONNECT_TIMEOUT,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

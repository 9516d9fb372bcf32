// The interop suite (helpers/interop.ts) for the sharded adapter: a Switchboard node with
// createShardedAdapter (each library's cluster client) and a socket.io 4 node with
// @socket.io/redis-adapter 8's createShardedAdapter (node-redis createCluster, as its docs
// show) in one cluster on a local 3-master Redis Cluster, same channel prefix and mode; and
// on the standalone Redis 7 with each library.
import { createShardedAdapter as createSocketIoShardedAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import { describe, expect } from "vitest";
import { createShardedAdapter, type SubscriptionMode } from "../../src/index.js";
import { wrapRedisClient } from "../../src/redis-client.js";
import {
  type ClusterClientKind,
  type ClusterClientPair,
  clusterClientPair,
} from "../helpers/cluster-clients.js";
import { interopSuite, socketIoNode, switchboardNode, WAIT_MS } from "../helpers/interop.js";
import { type ClientKind, clientPair, redisPort, uniqueKey } from "../helpers/redis.js";
import { useRedisCluster } from "../helpers/redis-cluster.js";

const clusterNodes = useRedisCluster();

const runs: [SubscriptionMode, ClusterClientKind | ClientKind][] = [
  ["dynamic", "ioredis-cluster"],
  ["dynamic", "node-redis-cluster"],
  ["dynamic-private", "ioredis-cluster"],
  ["static", "node-redis-cluster"],
  ["dynamic", "ioredis"],
  ["dynamic-private", "node-redis"],
];

/** Switchboard's clients of `kind`, and socket.io's (node-redis, of the same topology). */
async function pairs(kind: ClusterClientKind | ClientKind): Promise<ClusterClientPair[]> {
  if (kind === "ioredis" || kind === "node-redis") {
    // socket.io's clients close gracefully: its adapter does not wait for its SUNSUBSCRIBEs
    const pub = createClient({ url: `redis://127.0.0.1:${await redisPort()}` });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    const quit = () => Promise.all([pub.close(), sub.close()]).then(() => undefined);
    return [await clientPair(kind), { pub, sub, quit }];
  }
  const nodes = clusterNodes();
  return [
    await clusterClientPair(kind, nodes),
    await clusterClientPair("node-redis-cluster", nodes),
  ];
}

for (const [subscriptionMode, kind] of runs) {
  describe(`Switchboard (sharded, ${subscriptionMode}, ${kind}) and socket.io + createShardedAdapter`, () => {
    interopSuite(async () => {
      const channelPrefix = uniqueKey("sharded-interop");
      const [ours, theirs] = (await pairs(kind)) as [ClusterClientPair, ClusterClientPair];
      const options = { channelPrefix, subscriptionMode, requestsTimeout: 2000 };
      const counter = wrapRedisClient(ours.pub);
      return {
        nodes: [
          await switchboardNode(createShardedAdapter(ours.pub, ours.sub, options)),
          await socketIoNode(createSocketIoShardedAdapter(theirs.pub, theirs.sub, options), () =>
            theirs.quit(),
          ),
        ],
        // A room's channel exists once a node subscribed to it: broadcasts before that
        // would not reach it (the dynamic modes subscribe as a node's first socket joins).
        roomReady: async (room) => {
          if (subscriptionMode === "static") return;
          await expect
            .poll(() => counter.shardNumsub(`${channelPrefix}#/#${room}#`), { timeout: WAIT_MS })
            .toBeGreaterThan(0);
        },
        close: () => ours.quit(),
      };
    });
  });
}

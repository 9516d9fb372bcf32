// The interop suite (helpers/interop.ts) for the sharded adapter: a Switchboard node with
// createShardedAdapter (each library's cluster client) and a socket.io 4 node with
// @socket.io/redis-adapter 8's createShardedAdapter (node-redis createCluster, as its docs
// show) in one cluster on a local 3-master Redis Cluster, same channel prefix and mode.
import { createShardedAdapter as createSocketIoShardedAdapter } from "@socket.io/redis-adapter";
import { describe, expect } from "vitest";
import { createShardedAdapter, type SubscriptionMode } from "../../src/index.js";
import { wrapRedisClient } from "../../src/redis-client.js";
import { type ClusterClientKind, clusterClientPair } from "../helpers/cluster-clients.js";
import { interopSuite, socketIoNode, switchboardNode, WAIT_MS } from "../helpers/interop.js";
import { uniqueKey } from "../helpers/redis.js";
import { useRedisCluster } from "../helpers/redis-cluster.js";

const clusterNodes = useRedisCluster();

const runs: [SubscriptionMode, ClusterClientKind][] = [
  ["dynamic", "ioredis-cluster"],
  ["dynamic", "node-redis-cluster"],
  ["dynamic-private", "ioredis-cluster"],
  ["static", "node-redis-cluster"],
];

for (const [subscriptionMode, kind] of runs) {
  describe(`a Redis Cluster of Switchboard (sharded, ${subscriptionMode}, ${kind}) and socket.io + createShardedAdapter`, () => {
    interopSuite(async () => {
      const nodes = clusterNodes();
      const channelPrefix = uniqueKey("sharded-interop");
      const ours = await clusterClientPair(kind, nodes);
      const theirs = await clusterClientPair("node-redis-cluster", nodes);
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

import { Server } from "@switchboard/server";
import { afterAll, beforeAll } from "vitest";
import { adapterContract } from "../../../server/test/adapter-contract/contract.js";
import { createShardedAdapter, type SubscriptionMode } from "../../src/index.js";
import { type ClusterClientKind, clusterClientPair } from "../helpers/cluster-clients.js";
import { uniqueKey } from "../helpers/redis.js";
import { type RedisCluster, startRedisCluster } from "../helpers/redis-cluster.js";

// The Adapter contract for the sharded adapter on a local 3-master Redis Cluster, with both
// libraries' cluster clients: the channels of the namespaces hash to different shards, so
// subscriptions, SPUBLISHes and SHARDNUMSUB must each reach the shard owning their slot.
// "static" mode only: the contract relies on one node's broadcasts arriving in the order
// sent, which holds for the one channel of a namespace, not across room channels of
// different shards (the dynamic modes run in interop.test.ts on the cluster, with a wait for
// each room's subscription, and channels.test.ts checks their channels).
let cluster: RedisCluster | undefined;
beforeAll(async () => {
  cluster = await startRedisCluster();
});
afterAll(() => cluster?.stop());

const runs: [SubscriptionMode, ClusterClientKind][] = [
  ["static", "node-redis-cluster"],
  ["static", "ioredis-cluster"],
];

for (const [subscriptionMode, kind] of runs) {
  adapterContract(
    `sharded Redis adapter on a Redis Cluster (${subscriptionMode}, ${kind})`,
    async (nodes, serverOptions) => {
      const channelPrefix = uniqueKey("sharded-cluster");
      const pairs = await Promise.all(
        Array.from({ length: nodes }, () => clusterClientPair(kind, cluster?.nodes ?? [])),
      );
      return {
        servers: pairs.map(
          ({ pub, sub }) =>
            new Server({
              ...serverOptions,
              adapter: createShardedAdapter(pub, sub, {
                channelPrefix,
                subscriptionMode,
                requestsTimeout: 1000,
              }),
            }),
        ),
        close: async () => {
          await Promise.all(pairs.map((p) => p.quit()));
        },
      };
    },
    { maxNodes: 3 },
  );
}

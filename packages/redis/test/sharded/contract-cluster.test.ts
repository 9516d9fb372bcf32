import { Server } from "@switchboard/server";
import { afterAll, beforeAll } from "vitest";
import { adapterContract } from "../../../server/test/adapter-contract/contract.js";
import { createShardedAdapter, type SubscriptionMode } from "../../src/index.js";
import { type ClientKind, connectClient, uniquePrefix } from "../helpers/clients.js";
import { type RedisCluster, startRedisCluster } from "../helpers/redis-cluster.js";

// The Adapter contract for the sharded adapter on a local 3-master Redis Cluster, with both
// libraries' cluster clients: the channels of the namespaces hash to different shards, so
// subscriptions, SPUBLISHes and SHARDNUMSUB must each reach the shard owning their slot.
// "static" mode only: the contract relies on one node's broadcasts arriving in the order
// sent, which holds for the one channel of a namespace, not across room channels of
// different shards (the dynamic modes; dynamic-cluster.test.ts checks those).
let cluster: RedisCluster | undefined;
beforeAll(async () => {
  cluster = await startRedisCluster();
});
afterAll(() => cluster?.stop());

const runs: [SubscriptionMode, ClientKind][] = [
  ["static", "node-redis-cluster"],
  ["static", "ioredis-cluster"],
];

for (const [subscriptionMode, kind] of runs) {
  adapterContract(
    `sharded Redis adapter on a Redis Cluster (${subscriptionMode}, ${kind})`,
    async (nodes, serverOptions) => {
      const clusterNodes = cluster?.nodes ?? [];
      const channelPrefix = uniquePrefix("sharded-cluster");
      const pub = await connectClient(kind, clusterNodes);
      const subs = await Promise.all(
        Array.from({ length: nodes }, () => connectClient(kind, clusterNodes)),
      );
      return {
        servers: subs.map(
          (sub) =>
            new Server({
              ...serverOptions,
              adapter: createShardedAdapter(pub.client, sub.client, {
                channelPrefix,
                subscriptionMode,
                requestsTimeout: 1000,
              }),
            }),
        ),
        close: async () => {
          await Promise.all([pub, ...subs].map((c) => c.quit()));
        },
      };
    },
    { maxNodes: 3 },
  );
}

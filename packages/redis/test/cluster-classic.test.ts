import { Server } from "@switchboard/server";
import { afterAll, beforeAll } from "vitest";
import { adapterContract } from "../../server/test/adapter-contract/contract.js";
import { createAdapter } from "../src/index.js";
import { CLUSTER_CLIENT_KINDS, clusterClientPair } from "./helpers/cluster-clients.js";
import { uniqueKey } from "./helpers/redis.js";
import { type RedisCluster, startRedisCluster } from "./helpers/redis-cluster.js";

// The classic adapter (createAdapter) on a local 3-master Redis Cluster, with ioredis's
// Cluster and node-redis's createCluster: the Adapter contract (broadcasts, acks,
// fetchSockets, serverSideEmit, …). A classic PUBLISH reaches the subscribers of every
// node of a cluster, and a subscription lives on one node, so the node count (PUBSUB
// NUMSUB) is summed over the nodes.
let cluster: RedisCluster | undefined;
beforeAll(async () => {
  cluster = await startRedisCluster();
});
afterAll(() => cluster?.stop());

for (const kind of CLUSTER_CLIENT_KINDS) {
  adapterContract(
    `classic Redis adapter on a Redis Cluster (${kind})`,
    async (nodes, serverOptions) => {
      const key = uniqueKey("classic-cluster");
      const pairs = await Promise.all(
        Array.from({ length: nodes }, () => clusterClientPair(kind, cluster?.nodes ?? [])),
      );
      return {
        servers: pairs.map(
          ({ pub, sub }) =>
            new Server({
              ...serverOptions,
              adapter: createAdapter(pub, sub, { key, requestsTimeout: 1000 }),
            }),
        ),
        close: async () => {
          await Promise.all(pairs.map((p) => p.quit()));
        },
      };
    },
    { maxNodes: 3, allRooms: true },
  );
}

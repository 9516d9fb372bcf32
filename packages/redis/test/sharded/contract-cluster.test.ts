// The Adapter contract for the sharded adapter on a local 3-master Redis Cluster, with both
// libraries' cluster clients: the channels of the namespaces hash to different shards, so
// subscriptions, SPUBLISHes and SHARDNUMSUB must each reach the shard owning their slot.
// "static" mode only: the contract relies on one node's broadcasts arriving in the order
// sent, which holds for the one channel of a namespace, not across room channels of
// different shards (the dynamic modes run in interop.test.ts on the cluster, with a wait for
// each room's subscription, and channels.test.ts checks their channels).
import { adapterContract } from "../../../server/test/adapter-contract/contract.js";
import { createShardedAdapter } from "../../src/index.js";
import { CLUSTER_CLIENT_KINDS, clusterClientPair } from "../helpers/cluster-clients.js";
import { contractNodes } from "../helpers/contract-nodes.js";
import { useRedisCluster } from "../helpers/redis-cluster.js";

const clusterNodes = useRedisCluster();

for (const kind of CLUSTER_CLIENT_KINDS) {
  adapterContract(
    `sharded Redis adapter on a Redis Cluster (static, ${kind})`,
    contractNodes(
      () => clusterClientPair(kind, clusterNodes()),
      (pub, sub, channelPrefix) =>
        createShardedAdapter(pub, sub, {
          channelPrefix,
          subscriptionMode: "static",
          requestsTimeout: 1000,
        }),
    ),
    { maxNodes: 3 },
  );
}

// The classic adapter (createAdapter) on a local 3-master Redis Cluster, with ioredis's
// Cluster and node-redis's createCluster: the Adapter contract (broadcasts, acks,
// fetchSockets, serverSideEmit, …). A classic PUBLISH reaches the subscribers of every
// node of a cluster, and a subscription lives on one node, so the node count (PUBSUB
// NUMSUB) is summed over the nodes.
import { adapterContract } from "../../server/test/adapter-contract/contract.js";
import { createAdapter } from "../src/index.js";
import { CLUSTER_CLIENT_KINDS, clusterClientPair } from "./helpers/cluster-clients.js";
import { contractNodes } from "./helpers/contract-nodes.js";
import { useRedisCluster } from "./helpers/redis-cluster.js";

const clusterNodes = useRedisCluster();

for (const kind of CLUSTER_CLIENT_KINDS) {
  adapterContract(
    `classic Redis adapter on a Redis Cluster (${kind})`,
    contractNodes(
      () => clusterClientPair(kind, clusterNodes()),
      (pub, sub, key) => createAdapter(pub, sub, { key, requestsTimeout: 1000 }),
    ),
    { maxNodes: 3, allRooms: true, recovery: "cluster" },
  );
}

// The Adapter contract for the sharded adapter on the standalone Redis 7: each subscription
// mode with node-redis, "dynamic" with ioredis too. One client pair per node (SHARDNUMSUB
// counts the nodes by their subscriptions).
import { adapterContract } from "../../../server/test/adapter-contract/contract.js";
import { createShardedAdapter, type SubscriptionMode } from "../../src/index.js";
import { contractNodes } from "../helpers/contract-nodes.js";
import { type ClientKind, clientPair } from "../helpers/redis.js";

const runs: [SubscriptionMode, ClientKind][] = [
  ["dynamic", "node-redis"],
  ["static", "node-redis"],
  ["dynamic-private", "node-redis"],
  ["dynamic", "ioredis"],
];

for (const [subscriptionMode, kind] of runs) {
  adapterContract(
    `sharded Redis adapter (${subscriptionMode}, ${kind})`,
    contractNodes(
      () => clientPair(kind),
      (pub, sub, channelPrefix) =>
        createShardedAdapter(pub, sub, { channelPrefix, subscriptionMode, requestsTimeout: 1000 }),
    ),
    { maxNodes: 3 },
  );
}

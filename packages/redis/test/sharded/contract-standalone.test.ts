import { Server } from "@switchboard/server";
import { adapterContract } from "../../../server/test/adapter-contract/contract.js";
import { createShardedAdapter, type SubscriptionMode } from "../../src/index.js";
import { type ClientKind, clientPair, uniqueKey } from "../helpers/redis.js";

// The Adapter contract for the sharded adapter on the standalone Redis 7: each subscription
// mode with node-redis, "dynamic" with ioredis too. One client pair per node (SHARDNUMSUB
// counts the nodes by their subscriptions).
const runs: [SubscriptionMode, ClientKind][] = [
  ["dynamic", "node-redis"],
  ["static", "node-redis"],
  ["dynamic-private", "node-redis"],
  ["dynamic", "ioredis"],
];

for (const [subscriptionMode, kind] of runs) {
  adapterContract(
    `sharded Redis adapter (${subscriptionMode}, ${kind})`,
    async (nodes, serverOptions) => {
      const channelPrefix = uniqueKey("sharded");
      const pairs = await Promise.all(Array.from({ length: nodes }, () => clientPair(kind)));
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

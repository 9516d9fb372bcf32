import { Server } from "@switchboard/server";
import { adapterContract } from "../../../server/test/adapter-contract/contract.js";
import { createShardedAdapter, type SubscriptionMode } from "../../src/index.js";
import { type ClientKind, connectClient, uniquePrefix } from "../helpers/clients.js";

// The Adapter contract for the sharded adapter on the standalone Redis 7: each subscription
// mode, with node-redis; "dynamic" with ioredis too. One publisher per test cluster, one
// subscriber per node (SHARDNUMSUB counts the nodes by their subscriptions).
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
      const channelPrefix = uniquePrefix("sharded");
      const pub = await connectClient(kind);
      const subs = await Promise.all(Array.from({ length: nodes }, () => connectClient(kind)));
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

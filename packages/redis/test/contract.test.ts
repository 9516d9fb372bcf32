// The Adapter contract suite (packages/server/test/adapter-contract) over a real Redis, with
// each client library: up to 3 nodes, allRooms.
import { Server } from "@switchboard/server";
import { adapterContract } from "../../server/test/adapter-contract/contract.js";
import { createAdapter } from "../src/index.js";
import { CLIENT_KINDS, clientPair, uniqueKey } from "./helpers/redis.js";

for (const kind of CLIENT_KINDS) {
  adapterContract(
    `redis adapter (${kind})`,
    async (nodes, serverOptions) => {
      const key = uniqueKey("contract");
      const pairs = await Promise.all(Array.from({ length: nodes }, () => clientPair(kind)));
      return {
        servers: pairs.map(
          ({ pub, sub }) =>
            new Server({
              ...serverOptions,
              adapter: createAdapter(pub, sub, { key, requestsTimeout: 1500 }),
            }),
        ),
        close: async () => {
          for (const pair of pairs) await pair.quit();
        },
      };
    },
    { maxNodes: 3, allRooms: true },
  );
}

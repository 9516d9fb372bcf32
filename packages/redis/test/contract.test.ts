// The Adapter contract suite (packages/server/test/adapter-contract) over a real Redis, with
// each client library: up to 3 nodes, allRooms, cluster-wide connection state recovery.
import { adapterContract } from "../../server/test/adapter-contract/contract.js";
import { createAdapter } from "../src/index.js";
import { contractNodes } from "./helpers/contract-nodes.js";
import { CLIENT_KINDS, clientPair } from "./helpers/redis.js";

for (const kind of CLIENT_KINDS) {
  adapterContract(
    `redis adapter (${kind})`,
    contractNodes(
      () => clientPair(kind),
      (pub, sub, key) => createAdapter(pub, sub, { key, requestsTimeout: 1500 }),
    ),
    { maxNodes: 3, allRooms: true, recovery: "cluster" },
  );
}

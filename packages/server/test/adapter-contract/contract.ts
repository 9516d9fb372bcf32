/**
 * The Adapter contract suite (issue 15, item 4): one suite that every Adapter implementation
 * runs, so that a new adapter is correct by passing it. It drives Server nodes through the
 * public API only (broadcasts, acks, fetchSockets and remote sockets, socketsJoin/Leave,
 * disconnectSockets, serverSideEmit, serverCount, the rooms/sids maps, namespaces, connection
 * state recovery) with in-process clients (`@switchboard/server/testing`), so it tests the
 * adapter and its backend, not a transport.
 *
 * Run here for the in-memory adapter (`in-memory.test.ts`, one node) and for ClusterAdapter
 * over an in-memory bus (`cluster-bus.test.ts`, one to three nodes). Another package runs it
 * the same way; from packages/redis/test/contract.test.ts:
 *
 * ```ts
 * import { Server } from "@switchboard/server";
 * import { adapterContract } from "../../server/test/adapter-contract/contract.js";
 * import { createAdapter } from "../src/index.js";
 *
 * adapterContract(
 *   "redis adapter",
 *   async (nodes, serverOptions) => {
 *     const key = uniqueKey(); // a channel prefix of this cluster's own
 *     const pairs = await Promise.all(
 *       Array.from({ length: nodes }, async () => ({ pub: await connect(), sub: await connect() })),
 *     );
 *     return {
 *       servers: pairs.map(
 *         ({ pub, sub }) => new Server({ ...serverOptions, adapter: createAdapter(pub, sub, { key }) }),
 *       ),
 *       close: async () => {
 *         for (const { pub, sub } of pairs) await Promise.all([pub.quit(), sub.quit()]);
 *       },
 *     };
 *   },
 *   { maxNodes: 3 }, // recovery: "cluster" once the adapter restores sessions on any node
 * );
 * ```
 *
 * `makeCluster(nodes, serverOptions)` returns `nodes` Servers that share one backend (and a
 * `close` for the backend); the suite adds its listeners, connects its clients, waits until
 * every node's `serverCount()` counts every node, and closes every server after each test.
 * The options say what the adapter supports beyond the core: `maxNodes` (1 for a single-node
 * adapter: the cross-node tests then run with one node) and `recovery`. docs/contracts.md,
 * "Adapter contract suite", lists what each part checks.
 */
import { afterEach, describe } from "vitest";
import { broadcastContract } from "./broadcast.js";
import { type AdapterContractOptions, ContractHarness, type MakeCluster } from "./harness.js";
import { namespacesContract } from "./namespaces.js";
import { recoveryContract } from "./recovery.js";
import { remoteContract } from "./remote.js";

export type {
  AdapterContractOptions,
  ClusterHandle,
  MakeCluster,
} from "./harness.js";

/** Registers the Adapter contract suite for the adapter that `makeCluster` builds nodes with. */
export function adapterContract(
  name: string,
  makeCluster: MakeCluster,
  options: AdapterContractOptions,
): void {
  describe(`Adapter contract: ${name}`, () => {
    const h = new ContractHarness(makeCluster, options);
    afterEach(() => h.teardown());
    broadcastContract(h);
    remoteContract(h);
    namespacesContract(h);
    recoveryContract(h);
  });
}

import { type AdapterConstructor, Server } from "@switchboard/server";
import type { MakeCluster } from "../../../server/test/adapter-contract/contract.js";
import { uniqueKey } from "./redis.js";

/** A connected publisher/subscriber pair (standalone or cluster), and how to close both. */
export interface PubSubPair {
  pub: object;
  sub: object;
  quit(): Promise<void>;
}

/**
 * The `makeCluster` of the Adapter contract for one of the package's adapters: a client
 * pair per node from `pair`, and every node's adapter from `adapter(pub, sub, key)`, where
 * `key` is a channel prefix of this test cluster's own.
 *
 * @example
 * ```ts
 * adapterContract(
 *   "redis adapter (ioredis)",
 *   contractNodes(() => clientPair("ioredis"), (pub, sub, key) => createAdapter(pub, sub, { key })),
 *   { maxNodes: 3 },
 * );
 * ```
 */
export function contractNodes(
  pair: () => Promise<PubSubPair>,
  adapter: (pub: object, sub: object, key: string) => AdapterConstructor,
): MakeCluster {
  return async (nodes, serverOptions) => {
    const key = uniqueKey("contract");
    const pairs = await Promise.all(Array.from({ length: nodes }, pair));
    return {
      servers: pairs.map(
        ({ pub, sub }) => new Server({ ...serverOptions, adapter: adapter(pub, sub, key) }),
      ),
      close: async () => {
        await Promise.all(pairs.map((p) => p.quit()));
      },
    };
  };
}

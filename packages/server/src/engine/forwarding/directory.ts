/**
 * Where each node of a cluster can be reached for forwarded requests: the lookup behind
 * session forwarding (the `forwarding` option). A node announces itself under its node tag
 * (the first characters of every session id it makes) with a lease, renews it while it
 * runs and removes it on close; a node that dies stops renewing, and its entry expires.
 *
 * Implementations: {@link createMemoryDirectory} (several servers in one process, tests),
 * `createRedisDirectory` of `@switchboard/redis` (a cluster).
 *
 * @example
 * ```ts
 * const directory: NodeDirectory = {
 *   register: (node, address, ttlMs) => kv.set(`node:${node}`, address, { px: ttlMs }),
 *   lookup: async (node) => (await kv.get(`node:${node}`)) ?? undefined,
 *   unregister: (node) => kv.del(`node:${node}`),
 * };
 * const io = new Server(httpServer, { forwarding: { directory } });
 * ```
 */
export interface NodeDirectory {
  /** Announce (or renew) `node` at `address` ("host:port") for `ttlMs`. */
  register(node: string, address: string, ttlMs: number): Promise<void>;
  /** The address of a live node, or undefined. */
  lookup(node: string): Promise<string | undefined>;
  /** Remove `node` (it is closing). */
  unregister(node: string): Promise<void>;
}

/**
 * A {@link NodeDirectory} in this process's memory, for tests and for several servers in one
 * process: an entry expires `ttlMs` after its last `register`. Expired entries are dropped
 * when looked up or when another node registers, so the map holds at most the nodes
 * registered within the last lease.
 *
 * @example
 * ```ts
 * const directory = createMemoryDirectory();
 * const a = new Server(3001, { forwarding: { directory } });
 * const b = new Server(3002, { forwarding: { directory } });
 * // a client whose requests alternate between :3001 and :3002 keeps its session
 * ```
 */
export function createMemoryDirectory(): NodeDirectory {
  const entries = new Map<string, { address: string; expires: number }>();
  const sweep = (now: number) => {
    for (const [node, entry] of entries) if (entry.expires <= now) entries.delete(node);
  };
  return {
    async register(node, address, ttlMs) {
      const now = Date.now();
      sweep(now);
      entries.set(node, { address, expires: now + ttlMs });
    },
    async lookup(node) {
      const entry = entries.get(node);
      if (entry === undefined) return undefined;
      if (entry.expires > Date.now()) return entry.address;
      entries.delete(node);
      return undefined;
    },
    async unregister(node) {
      entries.delete(node);
    },
  };
}

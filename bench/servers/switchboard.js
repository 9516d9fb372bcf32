// Target: Switchboard's server, default options, loaded from the workspace build (dist/).
// In a cluster scenario: @switchboard/redis's createAdapter over ioredis, same options as
// the socket.io target's @socket.io/redis-adapter.

/**
 * @param {import("node:http").Server} httpServer
 * @param {import("../lib/cluster.js").ClusterLink | null} [cluster]
 */
export async function create(httpServer, cluster = null) {
  const { Server } = await import("@switchboard/server");
  if (typeof Server !== "function")
    throw new Error("@switchboard/server does not export Server yet");
  if (!cluster) return new Server(httpServer);
  const { createAdapter } = await import("@switchboard/redis");
  if (typeof createAdapter !== "function")
    throw new Error("@switchboard/redis does not export createAdapter yet");
  return new Server(httpServer, {
    adapter: createAdapter(cluster.pub, cluster.sub, { key: cluster.key }),
  });
}

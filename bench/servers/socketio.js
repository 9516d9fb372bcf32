// Target: the official socket.io npm server, default options (polling + websocket). In a
// cluster scenario: @socket.io/redis-adapter 8.x (classic pub/sub format) over ioredis.
import { Server } from "socket.io";

/**
 * @param {import("node:http").Server} httpServer
 * @param {import("../lib/cluster.js").ClusterLink | null} [cluster]
 */
export async function create(httpServer, cluster = null) {
  if (!cluster) return new Server(httpServer);
  const { createAdapter } = await import("@socket.io/redis-adapter");
  return new Server(httpServer, {
    adapter: createAdapter(cluster.pub, cluster.sub, { key: cluster.key }),
  });
}

// Target: the official socket.io npm server, default options (polling + websocket). In a
// cluster scenario: @socket.io/redis-adapter 8.x (classic pub/sub format) over ioredis.
// With BENCH_RECOVERY_MS (the reconnect storm): connection state recovery with that window
// and @socket.io/redis-streams-adapter, socket.io's adapter that keeps sessions in Redis
// (stream, channels and session keys under the measurement's key prefix).
import { Server } from "socket.io";

/**
 * @param {import("node:http").Server} httpServer
 * @param {import("../lib/cluster.js").ClusterLink | null} [cluster]
 */
export async function create(httpServer, cluster = null) {
  // BENCH_PING_INTERVAL_MS (scale's baseline variant): heartbeats that never come in the window
  const ping = process.env.BENCH_PING_INTERVAL_MS;
  if (!cluster)
    return ping ? new Server(httpServer, { pingInterval: Number(ping) }) : new Server(httpServer);
  const recoveryMs = Number(process.env.BENCH_RECOVERY_MS ?? 0);
  if (recoveryMs > 0) {
    const { createAdapter } = await import("@socket.io/redis-streams-adapter");
    const key = cluster.key;
    return new Server(httpServer, {
      connectionStateRecovery: { maxDisconnectionDuration: recoveryMs },
      adapter: createAdapter(cluster.pub, {
        streamName: `${key}:stream`,
        channelPrefix: key,
        sessionKeyPrefix: `${key}:session:`,
      }),
    });
  }
  const { createAdapter } = await import("@socket.io/redis-adapter");
  return new Server(httpServer, {
    adapter: createAdapter(cluster.pub, cluster.sub, { key: cluster.key }),
  });
}

// Target: Switchboard's server, default options, loaded from the workspace build (dist/).
// In a cluster scenario: @switchboard/redis's createAdapter over ioredis, same options as
// the socket.io target's @socket.io/redis-adapter. With BENCH_RECOVERY_MS (the reconnect
// storm): connection state recovery with that window, and the adapter's cluster-wide
// recovery (durable log and sessions in Redis, under the measurement's key prefix).

/**
 * @param {import("node:http").Server} httpServer
 * @param {import("../lib/cluster.js").ClusterLink | null} [cluster]
 */
export async function create(httpServer, cluster = null) {
  const { Server } = await import("@switchboard/server");
  if (typeof Server !== "function")
    throw new Error("@switchboard/server does not export Server yet");
  // BENCH_PING_INTERVAL_MS (scale's baseline variant): heartbeats that never come in the window
  const ping = process.env.BENCH_PING_INTERVAL_MS;
  if (!cluster)
    return ping ? new Server(httpServer, { pingInterval: Number(ping) }) : new Server(httpServer);
  const { createAdapter } = await import("@switchboard/redis");
  if (typeof createAdapter !== "function")
    throw new Error("@switchboard/redis does not export createAdapter yet");
  const recoveryMs = Number(process.env.BENCH_RECOVERY_MS ?? 0);
  if (recoveryMs > 0) {
    const key = cluster.key;
    return new Server(httpServer, {
      connectionStateRecovery: { maxDisconnectionDuration: recoveryMs },
      adapter: createAdapter(cluster.pub, cluster.sub, {
        key,
        recovery: {
          logKey: `${key}:{log}`,
          sessionPrefix: `${key}:session:`,
          controlChannel: `${key}:ctl`,
        },
      }),
    });
  }
  return new Server(httpServer, {
    adapter: createAdapter(cluster.pub, cluster.sub, { key: cluster.key }),
  });
}

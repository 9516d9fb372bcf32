// Cluster scenario: broadcast across two server processes sharing Redis. N WebSocket
// clients, half on each node; node 1 emits ~100-byte JSON events with io.emit, 20 per
// event-loop tick: node 1 writes them to its own clients and publishes each once on
// Redis, node 2 receives and writes them to its clients. Delivered msgs/s (every client,
// both nodes) and server CPU per delivered message, the two processes' CPU summed.
// Switchboard + @switchboard/redis vs socket.io + @socket.io/redis-adapter (both over
// ioredis) vs raw ws + plain Redis pub/sub (servers/raw-ws.js, RawRedisIo).
import { connectSplit, cpuStartAll, cpuStopAll } from "../lib/cluster-measure.js";

/** @type {import("../lib/measure.js").Scenario} */
export default {
  name: "cluster-broadcast",
  nodes: 2,
  variants: [
    {
      id: "cluster-broadcast",
      title: "Cluster broadcast, 2 nodes + Redis, 20 events/tick",
      perTick: 20,
      metrics: [
        {
          key: "msgsPerSec",
          label: "delivered msgs/s",
          better: "higher",
          target: { op: ">=", value: 2.0 },
        },
        {
          key: "cpuUsPerMsg",
          label: "server CPU µs/msg (both nodes)",
          better: "lower",
          target: { op: "<=", value: 0.5 },
        },
        { key: "redisUsPerMsg", label: "Redis CPU µs/delivered msg", better: "lower" },
      ],
    },
  ],
  config: (quick) => ({
    clients: quick ? 200 : 1000,
    events: quick ? 30 : 600,
    warm: quick ? 5 : 40,
  }),
  async measure({ servers, gen, ports, target, cfg }, v) {
    const server = /** @type {import("../lib/measure.js").Peer} */ (servers[0]);
    const c = await connectSplit(gen, ports, target, cfg.clients);
    await gen.call("expect", { events: cfg.warm, room: null });
    await server.call("blast", { events: cfg.warm, perTick: v.perTick, room: null });
    const warm = await gen.call("waitDone", { idleMs: 5000 });

    await gen.call("expect", { events: cfg.events, room: null });
    const redis0 = await cpuStartAll(servers, gen);
    const b = await server.call("blast", { events: cfg.events, perTick: v.perTick, room: null });
    const d = await gen.call("waitDone", { idleMs: 10_000 });
    const { serverUs, nodeUs, redisUs, cpu } = await cpuStopAll(servers, gen, redis0);
    const wallMs = d.tLast - b.tStart;
    return {
      metrics: {
        msgsPerSec: (d.received / wallMs) * 1000,
        cpuUsPerMsg: serverUs / Math.max(1, d.received),
        redisUsPerMsg: redisUs === null ? null : redisUs / Math.max(1, d.received),
      },
      checks: {
        connectErrors: c.errors,
        lost: d.lost + warm.lost,
        outOfOrder: d.outOfOrder + warm.outOfOrder,
        unexpected: d.unexpected + warm.unexpected,
        badFrames: d.badFrames + warm.badFrames,
      },
      counts: { clients: c.connected, delivered: d.received, expected: d.expected },
      cpu,
      // CPU of each server process per operation, µs (node 1 emits or asks)
      perNode: { nodeUsPerMsg: nodeUs.map((us) => us / Math.max(1, d.received)) },
    };
  },
};

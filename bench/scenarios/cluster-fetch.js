// Cluster scenario: io.fetchSockets() across two server processes sharing Redis, with
// 1000 WebSocket clients connected, 500 on each node. Node 1 runs fetchSockets() in a
// closed loop, 4 calls in flight, for 3 s; every answer must list all 1000 sockets (its
// 500 local ones plus node 2's 500, which node 2 serializes and sends over Redis).
// Calls/s and server CPU per call (both processes). No raw ws equivalent; left out.
import { connectSplit, cpuStartAll, cpuStopAll } from "../lib/cluster-measure.js";

/** @type {import("../lib/measure.js").Scenario} */
export default {
  name: "cluster-fetch",
  nodes: 2,
  supports: (target) => target !== "raw-ws",
  variants: [
    {
      id: "cluster-fetch",
      title: "fetchSockets() across 2 nodes + Redis, 1000 sockets",
      metrics: [
        {
          key: "callsPerSec",
          label: "calls/s",
          better: "higher",
          target: { op: ">=", value: 2.0 },
        },
        { key: "cpuUsPerCall", label: "server CPU µs/call (both nodes)", better: "lower" },
        { key: "redisUsPerCall", label: "Redis CPU µs/call", better: "lower" },
      ],
    },
  ],
  config: (quick) => ({
    clients: quick ? 200 : 1000,
    concurrency: 4,
    warmMs: quick ? 200 : 500,
    ms: quick ? 400 : 3000,
  }),
  async measure({ servers, gen, ports, target, cfg }) {
    const server = /** @type {import("../lib/measure.js").Peer} */ (servers[0]);
    const c = await connectSplit(gen, ports, target, cfg.clients);
    const loop = { concurrency: cfg.concurrency, expected: cfg.clients };
    const warm = await server.call("fetchLoop", { ...loop, durationMs: cfg.warmMs });
    const redis0 = await cpuStartAll(servers, gen);
    const f = await server.call("fetchLoop", { ...loop, durationMs: cfg.ms });
    const { serverUs, nodeUs, redisUs, cpu } = await cpuStopAll(servers, gen, redis0);
    if (f.firstError || warm.firstError)
      console.error(`fetchSockets: ${f.firstError ?? warm.firstError}`);
    return {
      metrics: {
        callsPerSec: (f.calls / f.elapsedMs) * 1000,
        cpuUsPerCall: serverUs / Math.max(1, f.calls),
        redisUsPerCall: redisUs === null ? null : redisUs / Math.max(1, f.calls),
      },
      checks: {
        connectErrors: c.errors,
        wrongAnswers: f.wrong + warm.wrong,
        failedCalls: f.errors + warm.errors,
      },
      counts: { clients: c.connected, calls: f.calls },
      cpu,
      // CPU of each server process per operation, µs (node 1 emits or asks)
      perNode: { nodeUsPerCall: nodeUs.map((us) => us / Math.max(1, f.calls)) },
    };
  },
};

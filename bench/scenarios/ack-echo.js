// Scenario 2: ack echo. 50 WebSocket clients each keep one emit-with-ack in flight
// (closed loop); the server acks with the payload. Measures round trips/s and p50/p99
// round-trip time; every ack must carry the id and sequence number that was sent.
import { cpuOf } from "../lib/measure.js";

/** @type {import("../lib/measure.js").Scenario} */
export default {
  name: "ack-echo",
  variants: [
    {
      id: "ack-echo",
      title: "Ack echo, 50 clients closed loop",
      metrics: [
        {
          key: "rtPerSec",
          label: "round trips/s",
          better: "higher",
          target: { op: ">=", value: 1.3 },
        },
        { key: "p50Ms", label: "p50 ms", better: "lower" },
        { key: "p99Ms", label: "p99 ms", better: "lower", target: { op: "<=", value: 1.0 } },
      ],
    },
  ],
  config: (quick) => ({
    clients: quick ? 10 : 50,
    warmMs: quick ? 100 : 500,
    ms: quick ? 400 : 3000,
  }),
  async measure({ server, gen, port, target, cfg }) {
    const c = await gen.call("connect", { port, target, transport: "websocket", n: cfg.clients });
    const warm = await gen.call("echo", { clients: cfg.clients, durationMs: cfg.warmMs });
    await server.call("cpuStart");
    await gen.call("cpuStart");
    const e = await gen.call("echo", { clients: cfg.clients, durationMs: cfg.ms });
    const sc = await server.call("cpuStop");
    const gc = await gen.call("cpuStop");
    return {
      metrics: {
        rtPerSec: (e.completed / e.elapsedMs) * 1000,
        p50Ms: e.p50Ms,
        p99Ms: e.p99Ms,
      },
      checks: {
        connectErrors: c.errors,
        ackMismatches: e.mismatches + warm.mismatches,
        lostAcks: e.lostAcks + warm.lostAcks,
      },
      counts: { clients: c.connected, roundTrips: e.completed },
      cpu: cpuOf(sc, gc),
    };
  },
};

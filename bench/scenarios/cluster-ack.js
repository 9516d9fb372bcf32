// Cluster scenario: cross-node ack echo. Clients split over two server processes sharing
// Redis; each keeps one `relay` emit-with-ack in flight (closed loop). Its node asks the
// other node with io.serverSideEmit("echo", data, cb) (acks bounded by the adapter's
// requestsTimeout, 5 s); the other node's
// server-side handler answers with the data and the first node acks the client with it
// (lib/cluster-app.js): client → node A → Redis → node B → Redis → node A → client.
// Round trips/s, p50/p99, server CPU per round trip (both processes). No raw ws equivalent
// (plain pub/sub has no request/response); the raw ws target is left out.
import { connectSplit, cpuStartAll, cpuStopAll } from "../lib/cluster-measure.js";

/** @type {import("../lib/measure.js").Scenario} */
export default {
  name: "cluster-ack",
  nodes: 2,
  supports: (target) => target !== "raw-ws",
  variants: [
    {
      id: "cluster-ack",
      title: "Cross-node ack echo (serverSideEmit with ack), 2 nodes + Redis",
      metrics: [
        { key: "rtPerSec", label: "round trips/s", better: "higher" },
        { key: "p50Ms", label: "p50 ms", better: "lower" },
        { key: "p99Ms", label: "p99 ms", better: "lower" },
        { key: "cpuUsPerRt", label: "server CPU µs/round trip (both nodes)", better: "lower" },
        { key: "redisUsPerRt", label: "Redis CPU µs/round trip", better: "lower" },
      ],
    },
  ],
  config: (quick) => ({
    clients: quick ? 10 : 50,
    warmMs: quick ? 200 : 500,
    ms: quick ? 400 : 3000,
  }),
  async measure({ servers, gen, ports, target, cfg }) {
    const c = await connectSplit(gen, ports, target, cfg.clients);
    const warm = await gen.call("echo", {
      clients: cfg.clients,
      durationMs: cfg.warmMs,
      event: "relay",
    });
    const redis0 = await cpuStartAll(servers, gen);
    const e = await gen.call("echo", { clients: cfg.clients, durationMs: cfg.ms, event: "relay" });
    const { serverUs, nodeUs, redisUs, cpu } = await cpuStopAll(servers, gen, redis0);
    return {
      metrics: {
        rtPerSec: (e.completed / e.elapsedMs) * 1000,
        p50Ms: e.p50Ms,
        p99Ms: e.p99Ms,
        cpuUsPerRt: serverUs / Math.max(1, e.completed),
        redisUsPerRt: redisUs === null ? null : redisUs / Math.max(1, e.completed),
      },
      checks: {
        connectErrors: c.errors,
        ackMismatches: e.mismatches + warm.mismatches,
        lostAcks: e.lostAcks + warm.lostAcks,
      },
      counts: { clients: c.connected, roundTrips: e.completed },
      cpu,
      // CPU of each server process per operation, µs (node 1 emits or asks)
      perNode: { nodeUsPerRt: nodeUs.map((us) => us / Math.max(1, e.completed)) },
    };
  },
};

// Scenario 6: binary echo. Clients each keep one 64 KiB binary emit-with-ack in flight;
// the server acks with the received buffer (BINARY_EVENT in, BINARY_ACK out). Measures
// echoed payload MB/s (one direction); each ack's length and embedded id are checked.
//
// Two variants, the same workload. Each echo mallocs and frees 64 KiB buffers (Node's read
// buffers and the frame a message split across reads is gathered into), which V8 frees in
// batches at each scavenge. Whether glibc then gives those pages back to the kernel (and
// every later echo faults them in again, 4-16 minor faults per echo) depends on whether a
// live allocation happens to sit above them in the heap: per process, at random, for every
// server here. `binary-echo` runs every process (servers and generator, all targets) with
// glibc's trim threshold at 64 MiB, so the heap layout a process happened to get does not
// decide the result; `binary-echo-default` keeps glibc's defaults and shows the spread.
// Both report the server's minor page faults per echo.
import { cpuOf } from "../lib/measure.js";

/** @type {import("../lib/measure.js").Metric[]} */
const secondary = [
  { key: "cpuUsPerEcho", label: "server CPU µs/echo", better: "lower" },
  { key: "faultsPerEcho", label: "server page faults/echo", better: "lower" },
];

/** @type {import("../lib/measure.js").Scenario} */
export default {
  name: "binary",
  variants: [
    {
      id: "binary-echo",
      title: "Binary 64 KiB echo (glibc trim threshold 64 MiB, every process)",
      env: { MALLOC_TRIM_THRESHOLD_: String(64 * 1024 * 1024) },
      metrics: [
        {
          key: "mbPerSec",
          label: "MB/s echoed",
          better: "higher",
          target: { op: ">=", value: 1.2 },
        },
        ...secondary,
      ],
    },
    {
      id: "binary-echo-default",
      title: "Binary 64 KiB echo (glibc defaults)",
      metrics: [{ key: "mbPerSec", label: "MB/s echoed", better: "higher" }, ...secondary],
    },
  ],
  config: (quick) => ({
    clients: quick ? 4 : 10,
    size: 64 * 1024,
    warmMs: quick ? 100 : 500,
    ms: quick ? 300 : 3000,
  }),
  async measure({ server, gen, port, target, cfg }) {
    const c = await gen.call("connect", { port, target, transport: "websocket", n: cfg.clients });
    const warm = await gen.call("binaryEcho", {
      clients: cfg.clients,
      size: cfg.size,
      durationMs: cfg.warmMs,
    });
    await server.call("cpuStart");
    await gen.call("cpuStart");
    const e = await gen.call("binaryEcho", {
      clients: cfg.clients,
      size: cfg.size,
      durationMs: cfg.ms,
    });
    const sc = await server.call("cpuStop");
    const gc = await gen.call("cpuStop");
    return {
      metrics: {
        mbPerSec: e.bytes / 1e6 / (e.elapsedMs / 1000),
        cpuUsPerEcho: sc.cpuUs / Math.max(1, e.completed),
        faultsPerEcho: (sc.minorFaults ?? 0) / Math.max(1, e.completed),
      },
      checks: {
        connectErrors: c.errors,
        ackMismatches: e.mismatches + warm.mismatches,
        lostAcks: e.lostAcks + warm.lostAcks,
      },
      counts: { clients: c.connected, echoes: e.completed },
      cpu: cpuOf(sc, gc),
    };
  },
};

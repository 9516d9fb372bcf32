// Scenario 6: binary echo. Clients each keep one 64 KiB binary emit-with-ack in flight;
// the server acks with the received buffer (BINARY_EVENT in, BINARY_ACK out). Measures
// echoed payload MB/s (one direction); each ack's length and embedded id are checked.
// Also the server's minor page faults per echo: every server here is bimodal on this
// scenario, depending on whether glibc's malloc keeps giving the freed 64 KiB buffers'
// pages back to the kernel (about 16-18 faults per echo) or not (under 0.1); see the README.
import { cpuOf } from "../lib/measure.js";

/** @type {import("../lib/measure.js").Scenario} */
export default {
  name: "binary",
  variants: [
    {
      id: "binary-echo",
      title: "Binary 64 KiB echo",
      metrics: [
        {
          key: "mbPerSec",
          label: "MB/s echoed",
          better: "higher",
          target: { op: ">=", value: 1.2 },
        },
        { key: "cpuUsPerEcho", label: "server CPU µs/echo", better: "lower" },
        { key: "faultsPerEcho", label: "server page faults/echo", better: "lower" },
      ],
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

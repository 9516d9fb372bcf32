// Scenario 4: connect rate. Complete connections per second (Engine.IO handshake +
// namespace CONNECT answered), opened `concurrency` at a time and kept open:
// over WebSocket directly, and over polling followed by the WebSocket upgrade
// (2probe/3probe, the pending GET released with a noop, then 5).
import { cpuOf } from "../lib/measure.js";

/** @type {import("../lib/measure.js").Scenario} */
export default {
  name: "connect-rate",
  variants: [
    {
      id: "connect-ws",
      title: "Connect rate, WebSocket",
      transport: "websocket",
      metrics: [
        { key: "connPerSec", label: "conn/s", better: "higher", target: { op: ">=", value: 1.8 } },
        { key: "cpuUsPerConn", label: "server CPU µs/conn", better: "lower" },
      ],
    },
    {
      id: "connect-upgrade",
      title: "Connect rate, polling + upgrade",
      transport: "upgrade",
      metrics: [
        { key: "connPerSec", label: "conn/s", better: "higher" },
        { key: "cpuUsPerConn", label: "server CPU µs/conn", better: "lower" },
      ],
    },
  ],
  supports: (target, v) => v.transport !== "upgrade" || target !== "raw-ws",
  config: (quick) => ({
    websocket: { total: quick ? 150 : 3000, concurrency: 50, durationMs: quick ? 1500 : 4000 },
    upgrade: {
      total: quick ? 60 : 1500,
      concurrency: quick ? 30 : 200,
      durationMs: quick ? 1500 : 4000,
    },
  }),
  async measure({ server, gen, port, target, cfg }, v) {
    const opts = cfg[v.transport];
    // warm the code paths on a few connections first
    await gen.call("connectRate", {
      port,
      target,
      transport: v.transport,
      total: 20,
      concurrency: 5,
      durationMs: 5000,
    });
    await server.call("cpuStart");
    await gen.call("cpuStart");
    const r = await gen.call(
      "connectRate",
      { port, target, transport: v.transport, ...opts },
      opts.durationMs + 60_000,
    );
    const sc = await server.call("cpuStop");
    const gc = await gen.call("cpuStop");
    return {
      metrics: {
        connPerSec: (r.completed / r.elapsedMs) * 1000,
        cpuUsPerConn: sc.cpuUs / Math.max(1, r.completed),
      },
      checks: { connectErrors: r.errors },
      counts: { connections: r.completed },
      cpu: cpuOf(sc, gc),
    };
  },
};

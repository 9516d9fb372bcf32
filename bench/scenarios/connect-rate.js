// Scenario 4: connect rate. Complete connections per second (Engine.IO handshake +
// namespace CONNECT answered), opened `concurrency` at a time and kept open:
// over WebSocket directly, and over polling followed by the WebSocket upgrade
// (2probe/3probe, the pending GET released with a noop, then 5).
//
// Over WebSocket twice: `connect-ws` opens 3000 connections into a server that has seen
// only 20 (as a reconnect storm meets a just-restarted process: much of the server's code
// is not optimised yet), `connect-ws-warm` opens 8000 after 1000 warm-up connections, 400
// in flight (the steady state). Opening a TCP connection costs the generator about as much
// CPU as it costs the fastest servers (the kernel's loopback handshake runs in its
// connect()), so in the warm variant both processes are near saturation and the rates of
// Switchboard and raw ws meet a common ceiling; server CPU per connection shows the servers'
// own cost.
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
      id: "connect-ws-warm",
      title: "Connect rate, WebSocket, warm server",
      transport: "websocket",
      warm: true,
      metrics: [
        { key: "connPerSec", label: "conn/s", better: "higher" },
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
    warm: {
      warmup: quick ? 100 : 1000,
      total: quick ? 300 : 8000,
      concurrency: quick ? 100 : 400,
      durationMs: quick ? 1500 : 6000,
    },
    upgrade: {
      total: quick ? 60 : 1500,
      concurrency: quick ? 30 : 200,
      durationMs: quick ? 1500 : 4000,
    },
  }),
  async measure({ server, gen, port, target, cfg }, v) {
    const opts = v.warm ? cfg.warm : cfg[v.transport];
    // warm the code paths first: on a few connections, or (warm variant) until optimised
    await gen.call(
      "connectRate",
      {
        port,
        target,
        transport: v.transport,
        total: v.warm ? opts.warmup : 20,
        concurrency: 5,
        durationMs: 20_000,
      },
      80_000,
    );
    await server.call("cpuStart");
    await gen.call("cpuStart");
    const r = await gen.call(
      "connectRate",
      {
        port,
        target,
        transport: v.transport,
        total: opts.total,
        concurrency: opts.concurrency,
        durationMs: opts.durationMs,
      },
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

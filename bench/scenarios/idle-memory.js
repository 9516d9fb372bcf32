// Scenario 3: idle memory. The server (started with --expose-gc) is measured after GC
// before and after N idle WebSocket connections (handshake + namespace CONNECT);
// reports RSS and heap per connection (delta from the baseline).

/** @type {import("../lib/measure.js").Scenario} */
export default {
  name: "idle-memory",
  variants: [
    {
      id: "idle-memory",
      title: "Idle memory per WebSocket connection",
      metrics: [
        { key: "rssKB", label: "RSS KB/conn", better: "lower", target: { op: "<=", value: 0.5 } },
        {
          key: "heapKB",
          label: "heap KB/conn",
          better: "lower",
          target: { op: "<=", value: 0.35 },
        },
      ],
    },
  ],
  config: (quick) => ({ clients: quick ? 300 : 5000 }),
  async measure({ server, gen, port, target, cfg }) {
    const base = await server.call("mem");
    const c = await gen.call(
      "connect",
      { port, target, transport: "websocket", n: cfg.clients, concurrency: 100 },
      180_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    const after = await server.call("mem");
    const n = Math.max(1, after.connected - base.connected);
    return {
      metrics: {
        rssKB: (after.rss - base.rss) / n / 1024,
        heapKB: (after.heapUsed - base.heapUsed) / n / 1024,
      },
      checks: {
        connectErrors: c.errors,
        notConnected: cfg.clients - (after.connected - base.connected),
      },
      counts: { connections: after.connected },
      cpu: { server: null, generator: null },
    };
  },
};

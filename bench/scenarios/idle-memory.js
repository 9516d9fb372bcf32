// Scenario 3: idle memory. The server (started with --expose-gc) is measured after GC
// before and after N idle WebSocket connections (handshake + namespace CONNECT);
// reports RSS and heap per connection (delta from the baseline), twice:
//
// - "at once": right after the connection burst (GC forced). V8's young generation has
//   grown to its maximum during the burst (every connection's objects survive scavenges,
//   so V8 doubles the semi-spaces up to 2 x 16 MiB), and a forced GC does not give those
//   pages back: about 25 MB of the RSS delta, the same for every server, is young
//   generation that holds no live object. Reported, with its ratio, but not the target.
// - "idle": after the server has been idle for `idleMs` (GC forced again). V8's memory
//   reducer has then shrunk the young generation, so the delta is what the connections
//   themselves hold. This is the targeted figure. No heartbeat runs in that window
//   (pingInterval is 25 s on every target).

/** @type {import("../lib/measure.js").Scenario} */
export default {
  name: "idle-memory",
  variants: [
    {
      id: "idle-memory",
      title: "Idle memory per WebSocket connection",
      metrics: [
        {
          key: "rssKB",
          label: "RSS KB/conn (idle)",
          better: "lower",
          target: { op: "<=", value: 0.5 },
        },
        {
          key: "heapKB",
          label: "heap KB/conn (idle)",
          better: "lower",
          target: { op: "<=", value: 0.35 },
        },
        { key: "rssBurstKB", label: "RSS KB/conn (at once, young gen grown)", better: "lower" },
      ],
    },
  ],
  config: (quick) => ({ clients: quick ? 300 : 5000, idleMs: quick ? 3000 : 10_000 }),
  async measure({ server, gen, port, target, cfg }) {
    const base = await server.call("mem");
    const c = await gen.call(
      "connect",
      { port, target, transport: "websocket", n: cfg.clients, concurrency: 100 },
      180_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    const burst = await server.call("mem");
    await new Promise((r) => setTimeout(r, cfg.idleMs));
    const after = await server.call("mem");
    const n = Math.max(1, after.connected - base.connected);
    return {
      metrics: {
        rssKB: (after.rss - base.rss) / n / 1024,
        heapKB: (after.heapUsed - base.heapUsed) / n / 1024,
        rssBurstKB: (burst.rss - base.rss) / n / 1024,
      },
      checks: {
        connectErrors: c.errors,
        notConnected: cfg.clients - (after.connected - base.connected),
      },
      counts: {
        connections: after.connected,
        youngBurstMB: Math.round(burst.youngPhysical / 1e5) / 10,
        youngIdleMB: Math.round(after.youngPhysical / 1e5) / 10,
      },
      cpu: { server: null, generator: null },
    };
  },
};

// Scenario: many connections in one server process (issue 20). Opt-in in a full run: it runs
// only when named (`node bench/run.js --only scale`), as it holds tens of thousands of
// sockets; its small variant (500 clients) runs in every `--quick` run.
//
// N WebSocket clients (handshake + namespace CONNECT, heartbeats on: pingInterval 25 s,
// pingTimeout 20 s on every target), connected 200 at a time from several source addresses
// (127.0.0.2, .3, …: one address has ~28k ephemeral ports), then idle, then broadcasts to all:
//
// - connect: time until all N are connected;
// - memory: RSS and heap per connection after GC, once idle (delta from the baseline);
// - at rest: server CPU (% of one core) over an idle window longer than pingInterval, so every
//   connection gets its ping and answers it: the cost of heartbeats; event-loop delay p99;
// - one broadcast: time from the emit until the last client has it;
// - a train of broadcasts to all (one per event-loop turn): delivered msgs/s, the server's
//   CPU per delivered message, event-loop delay p99 while it runs.
//
// N is bounded by the file-descriptor limit of each process (server and generator each hold
// N sockets): see bench/README.md, "Many connections", for the OS limits to raise.
import { cpuOf } from "../lib/measure.js";

const SCALE_N = Number(process.env.BENCH_SCALE_N ?? 19_000);

/** @type {import("../lib/measure.js").Scenario} */
export default {
  name: "scale",
  optIn: true,
  quickToo: true,
  manyFds: true,
  variants: [
    {
      id: "scale",
      title: "Many connections in one process (N in counts)",
      // raw ws gets the `ws` README's heartbeat (a ping frame per socket every 25 s), so its
      // CPU at rest is the floor of a heartbeat: one write and one read per connection
      env: { BENCH_RAW_WS_HEARTBEAT_MS: "25000" },
      metrics: [
        { key: "connectS", label: "time to connect all, s", better: "lower" },
        {
          key: "rssKB",
          label: "RSS KB/conn (idle)",
          better: "lower",
          target: { op: "<=", value: 0.35 },
        },
        { key: "heapKB", label: "heap KB/conn (idle)", better: "lower" },
        {
          key: "restCpuPct",
          label: "CPU at rest, % of a core (heartbeats)",
          better: "lower",
          target: { op: "<=", value: 0.3 },
        },
        { key: "eldIdleP99", label: "event-loop delay p99 at rest, ms", better: "lower" },
        { key: "oneBroadcastMs", label: "one broadcast to the last client, ms", better: "lower" },
        {
          key: "msgsPerSec",
          label: "broadcast to all, delivered msgs/s",
          better: "higher",
          target: { op: ">=", value: 2 },
        },
        {
          key: "usPerMsg",
          label: "server CPU per delivered message (broadcasting), µs",
          better: "lower",
        },
        {
          key: "eldBroadcastP99",
          label: "event-loop delay p99 while broadcasting, ms",
          better: "lower",
          target: { op: "<=", value: 0.5 },
        },
      ],
    },
    {
      // The same N idle connections with heartbeats out of the window (pingInterval 1 h; raw
      // ws without its heartbeat): what a server spends at rest on anything else (timers of
      // the runtime, GC of the larger heap). CPU at rest minus this is the heartbeats' cost.
      // Runs only when named: `--only scale-quiet`.
      id: "scale-quiet",
      title: "Many connections at rest, heartbeats out of the window (baseline)",
      optIn: true,
      restOnly: true,
      env: { BENCH_PING_INTERVAL_MS: "3600000" },
      metrics: [
        {
          key: "restCpuPct",
          label: "CPU at rest without heartbeats, % of a core",
          better: "lower",
        },
        { key: "eldIdleP99", label: "event-loop delay p99 at rest, ms", better: "lower" },
        { key: "rssKB", label: "RSS KB/conn (idle)", better: "lower" },
      ],
    },
  ],
  config: (quick) => ({
    clients: quick ? 500 : SCALE_N,
    restMs: quick ? 3000 : 30_000,
    events: quick ? 5 : 20,
  }),
  async measure({ server, gen, port, target, cfg }, variant) {
    const base = await server.call("mem");
    const c = await gen.call(
      "connect",
      {
        port,
        target,
        transport: "websocket",
        n: cfg.clients,
        concurrency: 200,
        sourceAddresses: 8,
      },
      600_000,
    );
    // let the young generation settle as in idle-memory, then measure the rest window
    await new Promise((r) => setTimeout(r, 5000));
    await server.call("eldStart");
    await server.call("cpuStart");
    await gen.call("cpuStart");
    await new Promise((r) => setTimeout(r, cfg.restMs));
    const restCpu = await server.call("cpuStop");
    const restGen = await gen.call("cpuStop");
    const eldIdle = await server.call("eldStop");
    const idle = await server.call("mem");
    const n = Math.max(1, idle.connected - base.connected);
    const rest = {
      connectS: c.ms / 1000,
      rssKB: (idle.rss - base.rss) / n / 1024,
      heapKB: (idle.heapUsed - base.heapUsed) / n / 1024,
      restCpuPct: (restCpu.cpuUs / 1000 / restCpu.wallMs) * 100,
      eldIdleP99: eldIdle.p99,
    };
    const restGenPct = Math.round((restGen.cpuUs / 1000 / restGen.wallMs) * 1000) / 10;
    if (variant.restOnly === true) {
      return {
        metrics: rest,
        checks: { connectErrors: c.errors, notConnected: cfg.clients - n },
        counts: { connections: idle.connected, restGeneratorCpuPct: restGenPct },
        cpu: cpuOf(restCpu, restGen),
      };
    }

    // one broadcast: emit → last client
    await gen.call("expect", { events: 1, room: null });
    const one = await server.call("blast", { events: 1, perTick: 1, room: null });
    const oneDone = await gen.call("waitDone", { idleMs: 20_000 });

    // a train of broadcasts to all, one per event-loop turn
    await gen.call("expect", { events: cfg.events, room: null });
    await server.call("eldStart");
    await server.call("cpuStart");
    await gen.call("cpuStart");
    const b = await server.call("blast", { events: cfg.events, perTick: 1, room: null });
    const d = await gen.call("waitDone", { idleMs: 20_000 });
    const sc = await server.call("cpuStop");
    const gc = await gen.call("cpuStop");
    const eldBroadcast = await server.call("eldStop");
    return {
      metrics: {
        ...rest,
        oneBroadcastMs: oneDone.tLast - one.tStart,
        msgsPerSec: (d.received / (d.tLast - b.tStart)) * 1000,
        usPerMsg: d.received > 0 ? sc.cpuUs / d.received : null,
        eldBroadcastP99: eldBroadcast.p99,
      },
      checks: {
        connectErrors: c.errors,
        notConnected: cfg.clients - n,
        lost: d.lost + oneDone.lost,
        outOfOrder: d.outOfOrder + oneDone.outOfOrder,
      },
      counts: {
        connections: idle.connected,
        delivered: d.received + oneDone.received,
        restGeneratorCpuPct: restGenPct,
      },
      cpu: cpuOf(sc, gc),
    };
  },
};

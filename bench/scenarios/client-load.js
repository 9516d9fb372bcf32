// Scenario: the client library is the load (issue 20, part 2). The targets here are client
// libraries, not servers: "switchboard" = @switchboard/client (workspace build), "socketio" =
// the official socket.io-client 4.8; both run in the client process (lib/client-main.js,
// core 1, --expose-gc) against the same server, Switchboard's (`serverTarget`), on core 0.
// Same options for both: `transports: ["websocket"]`, `forceNew: true` (one connection per
// instance), everything else at its default.
//
// Per measurement, N instances of the library under test:
//
// - connect: N instances created in two halves (N/2, then the rest), at most 100 connecting at
//   a time, until every one has its `connect` event (Engine.IO open + namespace CONNECT):
//   wall time and client CPU per instance, the two halves summed;
// - memory, after each half once idle (after GC): RSS per added instance, the second half's
//   RSS growth over its count (the target row: what one more instance costs, without the
//   process's one-time costs, compiled code and allocator arenas, that a whole-process
//   figure spreads over N: ~4 MB here, 40 KB "per instance" at N = 100); RSS and heap per
//   instance over the whole process (after all N, minus the baseline taken after the library
//   was loaded and before the first instance). RSS leaves out V8's young generation (new
//   space), whose size after a burst is the GC's state, not the instances' (1.4 MB in one
//   process, 31 MB in the next, same library); `rssWithYoungKB` in the JSONL has it;
// - receive: the server broadcasts ~100-byte JSON events to all (`io.emit`, 20 per
//   event-loop turn); every instance's handler gets the parsed object and checks the sequence
//   number. Events received per second of the client process's CPU (user+system), i.e. per
//   core, and per second of wall time;
// - acks: `emit("echo", {s, p}, ack)` in a closed loop, at most 100 in flight, spread over
//   every instance in turn; round trips/s and client CPU per round trip.
//
// The `polling→upgrade` variant connects with the default transports (long-polling, then
// the upgrade to WebSocket) and measures the connect phase only.
import { cpuOf } from "../lib/measure.js";

/** @typedef {import("../lib/measure.js").Variant} Variant */

/** Connect-only variants connect all N at once (their memory is not measured). */
const connectOnlyHalf = (/** @type {{ connectOnly?: boolean }} */ v) => v.connectOnly === true;

/**
 * @param {number} n
 * @param {boolean} targeted the targets apply to this variant's rows
 * @returns {Variant}
 */
function variant(n, targeted) {
  /** @param {{ op: ">=" | "<=", value: number }} t */
  const tg = (t) => (targeted ? t : undefined);
  return {
    id: `client-${n}`,
    title: `Client load: ${n} client instances in one process (Switchboard server)`,
    n,
    metrics: [
      {
        key: "connectS",
        label: "time to connect all, s",
        better: "lower",
        target: tg({ op: "<=", value: 0.5 }),
      },
      { key: "connectCpuUs", label: "client CPU µs per connect", better: "lower" },
      {
        key: "rssKB",
        label: "client RSS KB per added instance (N/2 → N, idle, young gen excluded)",
        better: "lower",
        // N/2 = 50 instances grow RSS by ~0.5 MB, within the allocator's own swings: no target
        target: n >= 1000 ? tg({ op: "<=", value: 0.5 }) : undefined,
      },
      {
        key: "rssWholeKB",
        label: "client RSS KB per instance, whole process (idle, young gen excluded)",
        better: "lower",
      },
      {
        key: "heapKB",
        label: "client heap KB per instance (idle)",
        better: "lower",
        target: tg({ op: "<=", value: 0.5 }),
      },
      {
        key: "recvPerCoreS",
        label: "events received per s of client CPU",
        better: "higher",
        target: tg({ op: ">=", value: 1.5 }),
      },
      { key: "recvPerS", label: "events received per s (wall)", better: "higher" },
      { key: "rtPerS", label: "ack round trips/s", better: "higher" },
      { key: "rtCpuUs", label: "client CPU µs per round trip", better: "lower" },
    ],
  };
}

/** @type {import("../lib/measure.js").Scenario} */
export default {
  name: "client-load",
  serverTarget: "switchboard",
  generator: "lib/client-main.js",
  generatorExecArgv: ["--expose-gc"],
  manyFds: true,
  variants: [
    variant(100, true),
    variant(1000, true),
    variant(5000, true),
    {
      id: "client-upgrade-1000",
      title: "Client load: connect 1000 with polling→upgrade (default transports)",
      n: 1000,
      transports: ["polling", "websocket"],
      connectOnly: true,
      metrics: [
        { key: "connectS", label: "time to connect 1000, s", better: "lower" },
        { key: "connectCpuUs", label: "client CPU µs per connect", better: "lower" },
      ],
    },
  ],
  // raw-ws: bare `ws` clients (lib/client-main.js), WebSocket only: no polling→upgrade run
  quickVariants: ["client-100"],
  supports: (target, v) =>
    target === "switchboard" || target === "socketio" || (target === "raw-ws" && !v.connectOnly),
  config: (quick) => ({
    // quick: only client-100 (quickVariants), fewer events, short windows
    deliveries: quick ? 20_000 : 600_000,
    idleMs: quick ? 500 : 3000,
    echoMs: quick ? 300 : 3000,
    warmMs: quick ? 100 : 500,
  }),
  async measure({ server, gen, port, target, cfg }, v) {
    const n = v.n;
    await gen.call("load", { target });
    const base = await gen.call("mem");
    const transports = v.transports ?? ["websocket"];
    // connect in two halves, memory taken after each (idle, after GC): the second half's
    // growth over its count is what one more instance costs, without what the process
    // allocates once (compiled code, allocator arenas) that a whole-process figure spreads
    // over N. Time and CPU are the two halves' sums.
    const half = connectOnlyHalf(v) ? n : Math.floor(n / 2);
    await gen.call("cpuStart", { phase: "connect" });
    const c1 = await gen.call("connect", { port, n: half, concurrency: 100, transports }, 300_000);
    const cc1 = await gen.call("cpuStop");
    let mid = null;
    let c = c1;
    let cpuUs = cc1.cpuUs;
    if (half < n) {
      await new Promise((r) => setTimeout(r, cfg.idleMs));
      mid = await gen.call("mem");
      await gen.call("cpuStart", { phase: "connect2" });
      const c2 = await gen.call(
        "connect",
        { port, n: n - half, concurrency: 100, transports },
        300_000,
      );
      const cc2 = await gen.call("cpuStop");
      c = {
        ms: c1.ms + c2.ms,
        connected: c2.connected,
        errors: c1.errors + c2.errors,
        firstError: c1.firstError ?? c2.firstError,
      };
      cpuUs += cc2.cpuUs;
    }
    const connectMetrics = {
      connectS: c.ms / 1000,
      connectCpuUs: cpuUs / Math.max(1, c.connected),
    };
    if (v.connectOnly) {
      return {
        metrics: connectMetrics,
        checks: { connectErrors: c.errors, notConnected: n - c.connected },
        counts: { clients: c.connected },
        cpu: { server: null, generator: null },
      };
    }
    await new Promise((r) => setTimeout(r, cfg.idleMs));
    const idle = await gen.call("mem");

    // receive: a warm-up burst, then the measured one (~cfg.deliveries deliveries in all)
    const events = Math.max(20, Math.round(cfg.deliveries / n));
    await gen.call("expect", { events: 20 });
    await server.call("blast", { events: 20, perTick: 20, room: null });
    const warm = await gen.call("waitDone", { idleMs: 5000 });
    await gen.call("expect", { events });
    await server.call("cpuStart");
    await gen.call("cpuStart", { phase: "receive" });
    const b = await server.call("blast", { events, perTick: 20, room: null });
    const d = await gen.call("waitDone", { idleMs: 10_000 });
    const sc = await server.call("cpuStop");
    const gcpu = await gen.call("cpuStop");

    // acks
    const concurrency = Math.min(100, n);
    const ew = await gen.call("echo", { durationMs: cfg.warmMs, concurrency });
    await gen.call("cpuStart", { phase: "acks" });
    const e = await gen.call("echo", { durationMs: cfg.echoMs, concurrency });
    const ec = await gen.call("cpuStop");
    return {
      metrics: {
        ...connectMetrics,
        // the young generation is left out: its size follows the recent allocation rate (a
        // forced GC does not shrink it; 1–31 MB here after the same connect burst), not the
        // instances; RSS with it is in counts (rssWithYoungKB)
        rssKB: mid
          ? (idle.rss - idle.youngPhysical - (mid.rss - mid.youngPhysical)) / (n - half) / 1024
          : null,
        rssWholeKB: (idle.rss - idle.youngPhysical - (base.rss - base.youngPhysical)) / n / 1024,
        heapKB: (idle.heapUsed - base.heapUsed) / n / 1024,
        recvPerCoreS: d.received / (gcpu.cpuUs / 1e6),
        recvPerS: (d.received / (d.tLast - b.tStart)) * 1000,
        rtPerS: (e.completed / e.elapsedMs) * 1000,
        rtCpuUs: ec.cpuUs / Math.max(1, e.completed),
      },
      checks: {
        connectErrors: c.errors,
        notConnected: n - c.connected,
        lost: d.lost + warm.lost,
        outOfOrder: d.outOfOrder + warm.outOfOrder,
        badPayloads: d.badPayloads + warm.badPayloads,
        ackMismatches: e.mismatches + ew.mismatches,
        lostAcks: e.lostAcks + ew.lostAcks,
      },
      counts: {
        clients: c.connected,
        delivered: d.received,
        roundTrips: e.completed,
        ackP50Ms: e.p50Ms,
        ackP99Ms: e.p99Ms,
        youngIdleMB: Math.round(idle.youngPhysical / 1e5) / 10,
        rssWithYoungKB: (idle.rss - base.rss) / n / 1024,
        externalKB: (idle.external - base.external) / n / 1024,
      },
      cpu: cpuOf(sc, gcpu),
    };
  },
};

// Cluster scenario: a reconnect storm with connection state recovery (issue 17). Three server
// processes share one Redis; N official socket.io-client instances (WebSocket, the same
// client and backoff for every target), a third on each node, each in one of `rooms` rooms,
// get numbered room broadcasts at a steady rate from a publisher on node 1. Node 3 is then
// killed with SIGKILL; its clients reconnect through the balancer (lib/storm-clients.js: a
// random surviving node) and try to recover their sessions there. Measured: time from the
// kill until every affected client is connected again, the fraction that recovered
// (`socket.recovered === true`), messages replayed, lost and duplicated per affected client
// (every tick is numbered), the survivors' peak RSS during the storm, Redis memory before and
// after.
//
// Switchboard + @switchboard/redis with `recovery` (sessions written through to Redis as
// they change, a durable log) vs socket.io 4 + @socket.io/redis-streams-adapter with
// connectionStateRecovery (servers/*.js, BENCH_RECOVERY_MS). Not raw ws: it has no recovery.
import { Redis } from "ioredis";
import { redisUrl } from "../lib/cluster.js";
import { cpuStartAll, cpuStopAll } from "../lib/cluster-measure.js";
import { nowMs } from "../lib/rpc.js";

const MB = 1024 * 1024;
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Redis's `used_memory` (whole server: other users of that Redis count too) and the memory
 * of this measurement's keys (`MEMORY USAGE` of every key under `prefix`), bytes.
 * @param {Redis} redis
 * @param {string} prefix
 */
async function redisMemory(redis, prefix) {
  const info = await redis.info("memory");
  const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
  let keysBytes = 0;
  let keys = 0;
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (batch.length > 0) {
      const pipe = redis.pipeline();
      for (const k of batch) pipe.memory("USAGE", k, "SAMPLES", "0");
      for (const [err, bytes] of (await pipe.exec()) ?? []) {
        if (!err && typeof bytes === "number") keysBytes += bytes;
      }
      keys += batch.length;
    }
  } while (cursor !== "0");
  return { used, keysBytes, keys };
}

/** Delete every key under `prefix` (the stream and sessions left by the measurement). @param {Redis} redis @param {string} prefix */
async function deleteKeys(redis, prefix) {
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (batch.length > 0) await redis.unlink(...batch);
  } while (cursor !== "0");
}

/** @type {import("../lib/measure.js").Scenario} */
export default {
  name: "cluster-storm",
  nodes: 3,
  generator: "lib/storm-clients.js",
  manyFds: true,
  // 2–5 min per measurement at 10,000 clients
  maxRounds: 3,
  measureTimeoutMs: 480_000,
  supports: (target) => target === "switchboard" || target === "socketio",
  variants: [
    {
      id: "reconnect-storm",
      title: "Reconnect storm: 3 nodes + Redis, one SIGKILLed, clients recover on the others",
      env: { BENCH_RECOVERY_MS: "120000" },
      metrics: [
        {
          key: "reconnectS",
          label: "kill → all affected clients connected again, s",
          better: "lower",
        },
        { key: "reconnectP50S", label: "kill → half of them connected again, s", better: "lower" },
        {
          key: "reconnectedPct",
          label: "affected clients connected again within 180 s (quick: 30 s), %",
          better: "higher",
        },
        {
          key: "recoveredPct",
          label: "affected clients recovered (recovered === true), %",
          better: "higher",
        },
        {
          key: "replayedPerClient",
          label: "missed messages replayed per affected client",
          better: "higher",
        },
        { key: "lostPerClient", label: "messages lost per affected client", better: "lower" },
        { key: "dupPerClient", label: "messages duplicated per affected client", better: "lower" },
        {
          key: "peakRssMB",
          label: "peak RSS of the 2 surviving nodes during the storm, MB (sum)",
          better: "lower",
        },
        { key: "redisBeforeMB", label: "Redis used_memory before the kill, MB", better: "lower" },
        { key: "redisAfterMB", label: "Redis used_memory after the storm, MB", better: "lower" },
        {
          key: "keysBeforeMB",
          label: "Redis memory of the run's keys before the kill, MB",
          better: "lower",
        },
        {
          key: "keysAfterMB",
          label: "Redis memory of the run's keys after the storm, MB",
          better: "lower",
        },
      ],
    },
  ],
  config: (quick) => {
    // one tick a second per room in the full run: 10,000 deliveries/s before the storm
    const intervalMs = quick ? 250 : 1000;
    const steadyMs = quick ? 2000 : 3000;
    const afterMs = quick ? 2000 : 3000;
    const reconnectTimeoutMs = quick ? 30_000 : 180_000;
    return {
      clients: Number(process.env.BENCH_STORM_N ?? (quick ? 1000 : 10_000)),
      rooms: 20,
      intervalMs,
      steadyMs,
      afterMs,
      reconnectTimeoutMs,
      maxTicks: Math.ceil((steadyMs + reconnectTimeoutMs + afterMs + 20_000) / intervalMs),
      // the same for every target: socket.io-client's defaults except the jitter's
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      randomizationFactor: 0.5,
      concurrency: 100,
    };
  },
  async measure({ servers, gen, ports, cfg, clusterKey }) {
    if (clusterKey === null) throw new Error("cluster-storm needs a cluster key");
    const [publisher, survivor, victim] = servers;
    if (!publisher || !survivor || !victim?.kill) throw new Error("cluster-storm needs 3 nodes");
    const survivors = [publisher, survivor];
    const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 3 });
    await redis.connect();
    try {
      const c = await gen.call(
        "connect",
        {
          ports,
          n: cfg.clients,
          rooms: cfg.rooms,
          maxTicks: cfg.maxTicks,
          concurrency: cfg.concurrency,
          reconnectionDelay: cfg.reconnectionDelay,
          reconnectionDelayMax: cfg.reconnectionDelayMax,
          randomizationFactor: cfg.randomizationFactor,
        },
        600_000,
      );
      await publisher.call("stormPublish", {
        rooms: cfg.rooms,
        intervalMs: cfg.intervalMs,
        maxTicks: cfg.maxTicks,
      });
      await sleep(cfg.steadyMs);
      const memBefore = await redisMemory(redis, clusterKey);
      await Promise.all(survivors.map((s) => s.call("rssWatchStart")));
      await Promise.all(survivors.map((s) => s.call("eldStart")));
      const armed = await gen.call("arm", {
        victim: ports[2],
        survivors: [ports[0], ports[1]],
      });
      const redis0 = await cpuStartAll(survivors, gen);
      const tKill = nowMs();
      await victim.kill("SIGKILL");
      const w = await gen.call(
        "waitReconnected",
        { timeoutMs: cfg.reconnectTimeoutMs },
        cfg.reconnectTimeoutMs + 20_000,
      );
      await sleep(cfg.afterMs);
      const { serverUs, redisUs, cpu } = await cpuStopAll(survivors, gen, redis0);
      const rss = await Promise.all(survivors.map((s) => s.call("rssWatchStop")));
      const eld = await Promise.all(survivors.map((s) => s.call("eldStop")));
      const { ticks } = await publisher.call("stormStop");
      await gen.call("drain", { ticks, idleMs: 3000 }, 60_000);
      const memAfter = await redisMemory(redis, clusterKey);
      const counts = await Promise.all(survivors.map((s) => s.call("stormCount")));
      const r = await gen.call("report", { ticks, tKill }, 60_000);
      const a = r.affected;
      const per = (/** @type {number} */ x) => (a.clients > 0 ? x / a.clients : null);
      return {
        metrics: {
          reconnectS: r.reconnectMaxMs === null ? null : r.reconnectMaxMs / 1000,
          reconnectP50S: r.reconnectP50Ms === null ? null : r.reconnectP50Ms / 1000,
          reconnectedPct: a.clients > 0 ? ((a.clients - w.waiting) / a.clients) * 100 : null,
          recoveredPct: a.clients > 0 ? (a.recovered / a.clients) * 100 : null,
          replayedPerClient: per(a.replayed),
          lostPerClient: per(a.lost),
          dupPerClient: per(a.dup),
          peakRssMB: rss.reduce((s, x) => s + x.peak, 0) / MB,
          redisBeforeMB: memBefore.used / MB,
          redisAfterMB: memAfter.used / MB,
          keysBeforeMB: memBefore.keysBytes / MB,
          keysAfterMB: memAfter.keysBytes / MB,
        },
        // Harness checks: what must hold whatever the recovery does.
        checks: {
          connectErrors: c.errors,
          notReconnected: w.waiting,
          unaffectedLost: r.unaffected.lost,
          unaffectedDuplicated: r.unaffected.dup,
          unaffectedDisconnected: r.unaffected.disconnected,
          badPayloads: r.badPayloads,
          // a reconnected client that never heard when its socket joined (replays uncounted)
          noWelcome: a.noWelcome,
        },
        counts: {
          clients: c.connected,
          affected: armed.affected,
          onVictim: c.perNode[2] ?? 0,
          ticks,
          recovered: a.recovered,
          replayed: a.replayed,
          lost: a.lost,
          duplicated: a.dup,
          reordered: a.reordered + r.unaffected.reordered,
          clientsWithLoss: a.clientsWithLoss,
          // recovered at the first reconnection yet missing ticks: disconnected again later /
          // never disconnected again (a gap in what the recovery delivered)
          recoveredLostAgain: a.recoveredLostAgain,
          recoveredWithGap: a.recoveredWithGap,
          maxLostPerClient: a.maxLost,
          failedConnectAttempts: r.connectErrors,
          // the last reconnection attempt's start (after the backoff) → connect: handshake + restore
          attemptP50Ms: r.attemptP50Ms ?? -1,
          attemptMaxMs: r.attemptMaxMs ?? -1,
          // connections the survivors accepted: recovered / fresh (fresh includes the initial ones)
          nodeRecovered: counts.reduce((s, x) => s + x.recovered, 0),
          nodeFresh: counts.reduce((s, x) => s + x.fresh, 0),
          // fresh sessions given to clients that asked to recover
          nodeFailedRestores: counts.reduce((s, x) => s + x.failedRestores, 0),
          // connections opened after the kill per affected client, recovered ones / the others
          triesPerRecovered: a.recovered > 0 ? a.triesRecovered / a.recovered : -1,
          triesPerFresh: a.clients > a.recovered ? a.triesFresh / (a.clients - a.recovered) : -1,
          rssBeforeMB: rss.reduce((s, x) => s + x.start, 0) / MB,
          rssAfterMB: rss.reduce((s, x) => s + x.now, 0) / MB,
          survivorsCpuMs: serverUs / 1000,
          // event-loop delay of the survivors over the storm (worst of the two), ms
          eldP99Ms: Math.max(...eld.map((e) => e.p99)),
          eldMaxMs: Math.max(...eld.map((e) => e.max)),
          // sessions being restored at once on one survivor (Switchboard only: -1 elsewhere)
          restoringPeak: rss.some((x) => x.restoringPeak > 0)
            ? Math.max(...rss.map((x) => x.restoringPeak))
            : -1,
          redisCpuMs: redisUs === null ? -1 : redisUs / 1000,
          redisKeysBefore: memBefore.keys,
          redisKeysAfter: memAfter.keys,
          connectMs: c.ms,
        },
        errorKinds: r.errorKinds,
        cpu,
      };
    } finally {
      redis.disconnect();
    }
  },
  /** Delete the measurement's stream(s) and sessions once its servers have exited. */
  async cleanup(clusterKey) {
    const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 3 });
    try {
      await redis.connect();
      await deleteKeys(redis, clusterKey);
    } finally {
      redis.disconnect();
    }
  },
};

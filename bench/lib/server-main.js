// Server process: one target (switchboard | socketio | raw-ws) running the bench app,
// driven by the orchestrator over IPC. Started pinned to core 0 with --expose-gc.
import { writeFileSync } from "node:fs";
import http from "node:http";
import { Session } from "node:inspector";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { getHeapSpaceStatistics, writeHeapSnapshot } from "node:v8";
import { blast, installApp, state } from "./app.js";
import { clusterLink } from "./cluster.js";
import { fetchLoop, installClusterApp } from "./cluster-app.js";
import { CpuMeter, serveRpc } from "./rpc.js";
import {
  installStormApp,
  startPublisher,
  startRssWatch,
  stopPublisher,
  stopRssWatch,
  stormState,
} from "./storm-app.js";

const target = process.argv[2];
if (!target) throw new Error("usage: server-main.js <target>");

const adapter = await import(`../servers/${target}.js`);
const httpServer = http.createServer();
httpServer.keepAliveTimeout = 60_000;
httpServer.maxConnections = 50_000;
// Cluster scenarios (BENCH_CLUSTER_KEY set): this process is one node of two sharing Redis.
const cluster = await clusterLink();
const io = await adapter.create(httpServer, cluster);
installApp(io);
if (cluster && target !== "raw-ws") installClusterApp(io);
if (process.env.BENCH_RECOVERY_MS) installStormApp(io);
await new Promise((resolve) => httpServer.listen(0, "127.0.0.1", () => resolve(undefined)));
const address = httpServer.address();
const port = typeof address === "object" && address ? address.port : 0;

const cpu = new CpuMeter();
/** Event-loop delay over a window (eldStart … eldStop), 10 ms sampling resolution. */
let eld = monitorEventLoopDelay({ resolution: 10 });

// BENCH_PROFILE_WINDOW=<file>: V8 CPU profile of the measured window only (cpuStart..cpuStop),
// in addition to any whole-process --cpu-prof profile. A scenario with several windows (scale:
// at rest, then broadcasting) gets the first in <file>, the next in <file> with -w2, -w3, …
// before the extension.
const windowProfile = process.env.BENCH_PROFILE_WINDOW;
let windows = 0;
const session = windowProfile ? new Session() : null;
session?.connect();
/** @param {string} method @param {object} [params] @returns {Promise<any>} */
const inspect = (method, params) =>
  new Promise((resolve, reject) =>
    session?.post(method, params, (err, res) => (err ? reject(err) : resolve(res))),
  );
const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);

async function settleGc() {
  if (!gc) throw new Error("server needs --expose-gc");
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
}

serveRpc(
  {
    cpuStart: async () => {
      if (session) {
        await inspect("Profiler.enable");
        await inspect("Profiler.setSamplingInterval", { interval: 200 });
        await inspect("Profiler.start");
      }
      return cpu.start();
    },
    cpuStop: async () => {
      const result = cpu.stop();
      if (session && windowProfile) {
        const { profile } = await inspect("Profiler.stop");
        windows++;
        const file =
          windows === 1
            ? windowProfile
            : windowProfile.replace(/(\.cpuprofile)?$/, `-w${windows}$1`);
        writeFileSync(file, JSON.stringify(profile));
      }
      return result;
    },
    blast: (/** @type {any} */ p) => blast(io, p),
    fetchLoop: (/** @type {any} */ p) => fetchLoop(io, p),
    eldStart: () => {
      eld.disable();
      eld = monitorEventLoopDelay({ resolution: 10 });
      eld.enable();
      return { ok: true };
    },
    eldStop: () => {
      eld.disable();
      // the histogram is in ns and includes the 10 ms resolution tick; report the delay beyond it
      const ms = (/** @type {number} */ ns) => Math.max(0, ns / 1e6 - 10);
      return { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max) };
    },
    count: () => ({ ...state }),
    stormPublish: (/** @type {any} */ p) => startPublisher(io, p),
    stormStop: () => stopPublisher(),
    stormCount: () => ({ ...stormState, connected: state.connected }),
    rssWatchStart: () => startRssWatch(io),
    rssWatchStop: () => stopRssWatch(),
    /** Write a heap snapshot after GC (for per-connection memory analysis). */
    heapSnapshot: async (/** @type {{ file: string }} */ p) => {
      await settleGc();
      return { file: writeHeapSnapshot(p.file) };
    },
    mem: async () => {
      await settleGc();
      const m = process.memoryUsage();
      const young = getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
      return {
        rss: m.rss,
        heapUsed: m.heapUsed,
        external: m.external,
        youngPhysical: young ? young.physical_space_size : 0,
        connected: state.connected,
      };
    },
  },
  { port, target },
);

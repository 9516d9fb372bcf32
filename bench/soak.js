#!/usr/bin/env node
// Soak test: Switchboard's server in a child process (measured alone, --expose-gc) under an
// hour of mixed, rate-bounded traffic on 127.0.0.1: a steady population of well-behaved
// clients (@switchboard/client and socket.io-client; WebSocket, polling, polling upgraded)
// with rooms, acked echoes and sequence-checked broadcasts (text and binary), churn, slow
// readers and hostile clients. One line per interval; a summary and a JSON report at the end
// (test-artifacts/soak-<time>.json); exit code 1 when a check failed.
//
//   npm run soak                         build, then one hour (node bench/soak.js)
//   node bench/soak.js --duration 120    the CI version (2 minutes)
//   node bench/soak.js --duration 600 --interval 10 --clients 36 --churn-rate 2
//                      --hostile-every 1000 --max-heap-growth 32 --max-rss 256
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ClientStats, GoodClient, LIBS, MODES } from "./lib/soak-clients.js";
import { HOSTILE, HOSTILE_KINDS, slowReader } from "./lib/soak-hostile.js";
import { endedByServer, printSummary, rawTable, writeReport } from "./lib/soak-report.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");

/** `--name value` / `--name=value` options. */
function parseArgs(argv = process.argv.slice(2)) {
  /** @type {Record<string, string | boolean>} */
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = /** @type {string} */ (argv[i]);
    if (!a.startsWith("--")) continue;
    const [k, v] = a.slice(2).split("=", 2);
    const next = argv[i + 1];
    if (v !== undefined) o[/** @type {string} */ (k)] = v;
    else if (next !== undefined && !next.startsWith("--")) {
      o[/** @type {string} */ (k)] = next;
      i++;
    } else o[/** @type {string} */ (k)] = true;
  }
  return o;
}

const args = parseArgs();
if (args.help) {
  console.log(
    readFileSync(fileURLToPath(import.meta.url), "utf8")
      .split("\n")
      .slice(1, 13)
      .join("\n"),
  );
  process.exit(0);
}
const num = (/** @type {string} */ name, /** @type {number} */ dflt) => {
  const v = args[name] === undefined ? dflt : Number(args[name]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name}: not a number`);
  return v;
};
const durationS = num("duration", 3600);
if (durationS < 60) throw new Error("--duration: at least 60 s");
const clamp = (/** @type {number} */ x, /** @type {number} */ lo, /** @type {number} */ hi) =>
  Math.min(hi, Math.max(lo, x));

const cfg = {
  durationS,
  intervalS: num("interval", durationS >= 600 ? 10 : 5),
  /** Warm-up: the steady population connects and the traffic starts; then the heap baseline. */
  warmS: Math.round(clamp(durationS * 0.1, 10, 30)),
  /** No churn, slow reader or hostile client runs in the last tailS seconds. */
  tailS: Math.round(clamp(durationS * 0.05, 8, 30)),
  clients: num("clients", 36),
  churnPerS: num("churn-rate", 2),
  churnMax: 30,
  churnLifeMinMs: 2000,
  churnLifeMaxMs: 8000,
  hostileEveryMs: num("hostile-every", 1000),
  slowEveryMs: 5000,
  slowMax: 2,
  ackEveryMs: 500,
  ackTimeoutMs: 5000,
  maxHeapGrowthMb: num("max-heap-growth", 32),
  maxRssMb: num("max-rss", 256),
  /**
   * Each hostile client gives up after this long ("survived", a failure). Below the
   * heartbeat's pingInterval + pingTimeout (15 s): a limit must cut it off, not the heartbeat.
   * The dripped POST gets past the server's bodyTimeout (30 s); slow readers past the heartbeat.
   */
  capsMs: /** @type {Record<string, number>} */ ({
    "cont-flood": 8000,
    "ping-flood": 8000,
    drip: 45_000,
    garbage: 8000,
    oversize: 8000,
    "bad-utf8": 8000,
    slow: 25_000,
  }),
  server: {
    pingInterval: 10_000,
    pingTimeout: 5000,
    tickMs: 100,
    binaryEvery: 5,
    roomBinaryBytes: 1024,
    bulkBytes: 65_536,
    allEvery: 5,
    rooms: ["r0", "r1", "r2", "r3"],
    lifetimeMs: (durationS + 300) * 1000,
  },
};

const t0 = performance.now();
const elapsedS = () => (performance.now() - t0) / 1000;
const warmEnd = cfg.warmS;
const trafficEnd = durationS - cfg.tailS;
// The process ends by itself whatever happens (a hung library, a stuck server).
setTimeout(
  () => {
    console.error("soak: watchdog: the run took far longer than --duration; exiting");
    process.exit(2);
  },
  (durationS + 240) * 1000,
).unref();

// ---- failures ----

/** @type {Map<string, { count: number, samples: string[] }>} */
const failures = new Map();
/** Records a failed check (the first of each kind is printed at once). @param {string} kind @param {string} detail */
function fail(kind, detail) {
  const f = failures.get(kind) ?? { count: 0, samples: [] };
  failures.set(kind, f);
  f.count++;
  if (f.samples.length < 10) f.samples.push(`[${elapsedS().toFixed(1)}s] ${detail}`);
  if (f.count === 1) console.error(`FAIL ${kind}: ${detail}`);
}
/** Observations that are not failures, counted by text. @type {Map<string, number>} */
const notes = new Map();
const note = (/** @type {string} */ text) => notes.set(text, (notes.get(text) ?? 0) + 1);
const failureCount = () => [...failures.values()].reduce((a, f) => a + f.count, 0);
process.on("uncaughtException", (err) =>
  fail("uncaught error in the driver", err.stack ?? String(err)),
);
process.on("unhandledRejection", (err) =>
  fail(
    "unhandled rejection in the driver",
    err instanceof Error ? (err.stack ?? err.message) : String(err),
  ),
);

// ---- the server child ----

let serverExpectedExit = false;
/** @type {(() => void)[]} */
const onAbort = [];
let aborted = false;
function abort(/** @type {string} */ why) {
  if (aborted) return;
  aborted = true;
  console.error(`soak: aborting: ${why}`);
  for (const f of onAbort.splice(0)) f();
}

const child = spawn(
  process.execPath,
  ["--expose-gc", path.join(here, "lib/soak-server.js"), JSON.stringify(cfg.server)],
  { stdio: ["ignore", "inherit", "inherit", "ipc"], cwd: root },
);
/** @type {{ code: number | null, signal: string | null } | null} */
let serverExit = null;
const serverExited = new Promise((resolve) => {
  child.once("exit", (code, signal) => {
    serverExit = { code, signal };
    for (const p of calls.values()) p.reject(new Error(`server exited (${code ?? signal})`));
    calls.clear();
    if (!serverExpectedExit) {
      fail("server crashed or exited", `exit ${code ?? signal}`);
      abort("the server exited");
    }
    resolve(undefined);
  });
});
let nextCall = 1;
/** @type {Map<number, { resolve: (v: any) => void, reject: (e: Error) => void }>} */
const calls = new Map();
/** @param {string} cmd @param {number} [timeoutMs] @returns {Promise<any>} */
function call(cmd, timeoutMs = 30_000) {
  if (serverExit) return Promise.reject(new Error("server has exited"));
  const id = nextCall++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      calls.delete(id);
      reject(new Error(`server: ${cmd} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    calls.set(id, {
      resolve: (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      reject: (e) => {
        clearTimeout(timer);
        reject(e);
      },
    });
    child.send({ id, cmd });
  });
}
/** @type {(port: number) => void} */
let onReady = () => {};
const ready = new Promise((resolve) => {
  onReady = resolve;
});
child.on("message", (/** @type {any} */ m) => {
  if (m?.type === "reply") {
    const p = calls.get(m.id);
    calls.delete(m.id);
    if (m.error) p?.reject(new Error(`server: ${m.error}`));
    else p?.resolve(m.result);
  } else if (m?.type === "closed") onServerClosed(m);
  else if (m?.type === "fatal") fail("uncaught error in the server", `${m.kind}: ${m.message}`);
  else if (m?.type === "ready") onReady(m.port);
});

const port = await Promise.race([
  ready,
  serverExited.then(() => 0),
  new Promise((r) => setTimeout(() => r(0), 30_000)),
]);
if (!port) {
  console.error("soak: the server did not start (is the workspace built? npm run build)");
  child.kill("SIGKILL");
  process.exit(1);
}

/** Sleeps until `s` seconds into the run, or until the run is aborted. @param {number} s */
function sleepUntil(s) {
  return new Promise((resolve) => {
    if (aborted) return resolve(undefined);
    const t = setTimeout(resolve, Math.max(0, s - elapsedS()) * 1000);
    onAbort.push(() => {
      clearTimeout(t);
      resolve(undefined);
    });
  });
}
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

// ---- well-behaved clients ----

const stats = new ClientStats();
/** @type {import("./lib/soak-clients.js").Driver} */
const driver = {
  url: `http://127.0.0.1:${port}`,
  fail,
  stats,
  binaryEvery: cfg.server.binaryEvery,
  roomBinaryBytes: cfg.server.roomBinaryBytes,
  bulkBytes: cfg.server.bulkBytes,
  ackEveryMs: cfg.ackEveryMs,
  ackTimeoutMs: cfg.ackTimeoutMs,
};
const rooms = cfg.server.rooms;
/** @type {Set<GoodClient>} */
const steady = new Set();
/** @type {Set<GoodClient>} */
const churn = new Set();
let clientSeq = 0;
let churnStarted = 0;
let stopping = false;

/**
 * Steady client `i`: every block of six covers both libraries × three modes, blocks take
 * the rooms in turn; the first block also joins the bulk room. Replaced if the server drops it.
 * @param {number} i
 */
function startSteady(i) {
  const c = new GoodClient(driver, {
    lib: /** @type {import("./lib/soak-clients.js").Lib} */ (LIBS[i % 2]),
    mode: /** @type {import("./lib/soak-clients.js").Mode} */ (MODES[Math.floor(i / 2) % 3]),
    room: /** @type {string} */ (rooms[Math.floor(i / 6) % rooms.length]),
    bulk: i < 6,
    kind: "good",
    id: `g${++clientSeq}`,
  });
  steady.add(c);
  c.start();
  void c.ended.then(() => {
    steady.delete(c);
    if (!c.leaving && !stopping && !aborted) {
      setTimeout(() => {
        if (!stopping && !aborted) startSteady(i);
      }, 1000);
    }
  });
}

function startChurn() {
  if (stopping || churn.size >= cfg.churnMax || elapsedS() >= trafficEnd) return;
  const pick = /** @template T @param {readonly T[]} xs @returns {T} */ (xs) =>
    /** @type {T} */ (xs[Math.floor(Math.random() * xs.length)]);
  const c = new GoodClient(driver, {
    lib: pick(LIBS),
    mode: pick(MODES),
    room: pick(rooms),
    bulk: false,
    kind: "churn",
    id: `c${++clientSeq}`,
  });
  churn.add(c);
  churnStarted++;
  c.start();
  const lo = cfg.churnLifeMinMs;
  const hi = cfg.churnLifeMaxMs;
  const life = Math.min(lo + Math.random() * (hi - lo), (trafficEnd - elapsedS()) * 1000);
  const t = setTimeout(() => void c.leave(Math.random() < 0.25), Math.max(0, life));
  void c.ended.then(() => {
    clearTimeout(t);
    churn.delete(c);
  });
}

// ---- slow readers and hostile clients ----

/** @typedef {import("./lib/soak-report.js").RawRecord} RawRecord */
/** @type {Map<string, RawRecord>} */
const rawRecords = new Map();
/** @type {Map<string, import("./lib/soak-hostile.js").RawClient>} */
const slowClients = new Map();
/** In-flight hostile clients per kind, and every raw client's promise (to wait for at the end). */
const inFlight = /** @type {Record<string, number>} */ ({});
/** @type {Set<Promise<void>>} */
const rawRunning = new Set();
const variantNo = /** @type {Record<string, number>} */ ({});
let hostileSeq = 0;
let slowSeq = 0;
let hostileTurn = 0;
const intervalRaw = { hostileClosed: 0, slowDropped: 0 };

/** The server's engine close of a slow reader or hostile client, over IPC. @param {any} m */
function onServerClosed(m) {
  const rec = rawRecords.get(m.id);
  if (!rec) return;
  rec.server = m.code ? `${m.reason} (${m.code})` : m.reason;
  slowClients.get(m.id)?.finish("dropped by the server");
}

/** @param {RawRecord} rec @param {Promise<{ variant: string, ending: import("./lib/soak-hostile.js").Ending }>} p */
function track(rec, p) {
  inFlight[rec.kind] = (inFlight[rec.kind] ?? 0) + 1;
  const done = p
    .then(({ variant, ending }) => {
      rec.variant = variant;
      rec.outcome = ending.outcome;
      rec.ms = ending.ms;
      const what = `${rec.kind} #${rec.id} (${variant})`;
      if (ending.outcome === "survived") {
        fail(
          rec.kind === "slow"
            ? "slow reader not dropped by the server"
            : "hostile client not disconnected by the server",
          `${what}: still connected after ${ending.ms} ms`,
        );
      } else if (ending.outcome.startsWith("failed")) {
        fail("raw client could not set up", `${what}: ${ending.outcome}`);
      } else if (/^http 2/.test(ending.outcome)) {
        // The server took the request as valid (see README: polling bodies are decoded
        // with U+FFFD replacement, as engine.io does): reported, not a failure.
        note(`hostile request accepted (${rec.kind}: ${variant})`);
      } else if (rec.kind === "slow") intervalRaw.slowDropped++;
      else intervalRaw.hostileClosed++;
    })
    .catch((err) => fail("raw client error", `${rec.kind} #${rec.id}: ${err?.stack ?? err}`))
    .finally(() => {
      inFlight[rec.kind] = (inFlight[rec.kind] ?? 1) - 1;
      rawRunning.delete(done);
    });
  rawRunning.add(done);
}

/** One hostile client of the next kind (in turn) that has none running and fits before the end. */
function startHostile() {
  if (stopping) return;
  for (let k = 0; k < HOSTILE_KINDS.length; k++) {
    const kind = /** @type {string} */ (HOSTILE_KINDS[(hostileTurn + k) % HOSTILE_KINDS.length]);
    const capMs = cfg.capsMs[kind] ?? 8000;
    if ((inFlight[kind] ?? 0) > 0 || elapsedS() + capMs / 1000 > trafficEnd) continue;
    hostileTurn += k + 1;
    /** @type {RawRecord} */
    const rec = {
      id: `h${++hostileSeq}`,
      kind,
      variant: "",
      outcome: null,
      ms: null,
      server: null,
      at: elapsedS(),
    };
    rawRecords.set(rec.id, rec);
    const variant = (variantNo[kind] ?? -1) + 1;
    variantNo[kind] = variant;
    track(
      rec,
      /** @type {NonNullable<typeof HOSTILE[string]>} */ (HOSTILE[kind])({
        port,
        id: rec.id,
        capMs,
        variant,
      }),
    );
    return;
  }
}

function startSlow() {
  const capMs = cfg.capsMs.slow ?? 25_000;
  if (stopping || (inFlight.slow ?? 0) >= cfg.slowMax || elapsedS() + capMs / 1000 > trafficEnd)
    return;
  /** @type {RawRecord} */
  const rec = {
    id: `s${++slowSeq}`,
    kind: "slow",
    variant: "bulk room, stops reading",
    outcome: null,
    ms: null,
    server: null,
    at: elapsedS(),
  };
  rawRecords.set(rec.id, rec);
  const room = /** @type {string} */ (rooms[slowSeq % rooms.length]);
  track(
    rec,
    slowReader({ port, id: rec.id, capMs, variant: 0 }, room).then(async (c) => {
      slowClients.set(rec.id, c);
      if (rec.server !== null) c.finish("dropped by the server"); // the IPC came first
      const ending = await c.ended;
      slowClients.delete(rec.id);
      return { variant: rec.variant, ending };
    }),
  );
}

// ---- reporting ----

/** @type {any[]} */
const samples = [];
let maxRss = 0;
let lastServerStats = /** @type {any} */ (null);
const mb = (/** @type {number} */ b) => b / 1048576;
const f1 = (/** @type {number | null | undefined} */ x) =>
  x === null || x === undefined ? "-" : x.toFixed(1);
const f2 = (/** @type {number | null | undefined} */ x) =>
  x === null || x === undefined ? "-" : x.toFixed(2);

let driverCpu = process.cpuUsage();
let driverAt = performance.now();
/** One interval line (and sample); `label` replaces the elapsed time (the last line). @param {string} [label] */
async function report(label) {
  /** @type {any} */
  let s;
  try {
    s = await call("stats", 10_000);
  } catch (err) {
    if (!aborted) fail("server did not answer", String(err));
    return;
  }
  lastServerStats = s;
  const cpu = process.cpuUsage(driverCpu);
  driverCpu = process.cpuUsage();
  const driverCpuPct = Math.round((cpu.user + cpu.system) / 10 / (performance.now() - driverAt));
  driverAt = performance.now();
  const ci = stats.takeInterval();
  const good = [...steady, ...churn].filter((c) => c.state === "connected");
  const byTransport = /** @type {Record<string, number>} */ ({});
  for (const c of good) byTransport[c.transport] = (byTransport[c.transport] ?? 0) + 1;
  const sample = {
    t: Math.round(elapsedS()),
    clients: good.length,
    byTransport,
    serverSockets: s.sockets,
    engineClients: s.engineClients,
    rssMb: mb(s.rss),
    heapUsedMb: mb(s.heapUsed),
    externalMb: mb(s.external),
    eldP99Ms: s.eldP99Ms,
    eldMaxMs: s.eldMaxMs,
    serverCpuPct: s.cpuPct,
    driverCpuPct,
    ...ci,
    hostileClosed: intervalRaw.hostileClosed,
    slowDropped: intervalRaw.slowDropped,
    errors: failureCount(),
  };
  intervalRaw.hostileClosed = 0;
  intervalRaw.slowDropped = 0;
  samples.push(sample);
  maxRss = Math.max(maxRss, s.rss);
  if (mb(s.rss) > cfg.maxRssMb)
    fail("server RSS over the bound", `${f1(mb(s.rss))} MB > ${cfg.maxRssMb} MB`);
  console.log(
    `[${label ?? `${String(sample.t).padStart(5)}s`}] clients ${sample.clients} (ws ${byTransport.websocket ?? 0}, polling ${byTransport.polling ?? 0})` +
      ` | server rss ${f1(sample.rssMb)} MB heap ${f1(sample.heapUsedMb)} MB eld p99 ${f1(s.eldP99Ms)} ms` +
      ` | cpu server ${s.cpuPct}% driver ${driverCpuPct}%` +
      ` | acks ${ci.acks} p50 ${f2(ci.ackP50)} p99 ${f2(ci.ackP99)} max ${f2(ci.ackMax)} ms` +
      ` | broadcasts ${ci.broadcasts} | hostile closed ${sample.hostileClosed} | slow dropped ${sample.slowDropped}` +
      ` | errors ${sample.errors}`,
  );
}

// ---- the run ----

console.log(
  `soak: ${durationS} s on 127.0.0.1:${port} (server pid ${child.pid}); ${cfg.clients} steady clients, ` +
    `churn ${cfg.churnPerS}/s, a hostile client every ${cfg.hostileEveryMs} ms, slow readers every ${cfg.slowEveryMs} ms; ` +
    `warm-up ${cfg.warmS} s, no new churn/hostile in the last ${cfg.tailS} s`,
);
/** @type {NodeJS.Timeout[]} */
const timers = [];
timers.push(setInterval(() => void report(), cfg.intervalS * 1000));
timers.push(
  setInterval(() => {
    const now = performance.now();
    for (const c of steady) c.sweepAcks(now);
    for (const c of churn) c.sweepAcks(now);
  }, 250),
);
for (let i = 0; i < cfg.clients; i++) {
  startSteady(i);
  await sleep(20);
}
await sleepUntil(warmEnd);

/** @type {any} */
let baseline = null;
if (!aborted) {
  baseline = await call("gcMemory").catch((err) => fail("server did not answer", String(err)));
  console.log(
    `soak: steady state at ${elapsedS().toFixed(0)} s: ${steady.size} steady clients; server heap after GC ${f1(mb(baseline?.heapUsed ?? 0))} MB, rss ${f1(mb(baseline?.rss ?? 0))} MB`,
  );
  timers.push(setInterval(startChurn, 1000 / Math.max(0.01, cfg.churnPerS)));
  timers.push(setInterval(startHostile, cfg.hostileEveryMs));
  timers.push(setInterval(startSlow, cfg.slowEveryMs));
}
await sleepUntil(trafficEnd);

// No new churn, slow or hostile client; the ones running end (each is bounded by its cap).
stopping = true;
for (const t of timers.splice(2)) clearInterval(t);
await Promise.race([
  Promise.all([...[...churn].map((c) => c.leave(false)), ...rawRunning]),
  sleep(60_000),
]);
await sleepUntil(durationS);

// Final checks: every broadcast owed arrived, every echo was answered, the heap came back.
const liveSteady = [...steady].filter((c) => c.state === "connected");
for (const c of liveSteady) c.stopEchoes();
const ackDeadline = performance.now() + cfg.ackTimeoutMs + 500;
while (!aborted && liveSteady.some((c) => c.pending.size > 0) && performance.now() < ackDeadline)
  await sleep(50);
/** @type {any} */
let final = null;
if (!aborted) {
  const stopped = await call("stopBroadcasts").catch((err) =>
    fail("server did not answer", String(err)),
  );
  if (stopped?.seq) {
    const deadline = performance.now() + 5000;
    while (
      liveSteady.some((c) => c.state === "connected" && c.missing(stopped.seq) !== 0) &&
      performance.now() < deadline
    ) {
      await sleep(50);
    }
    for (const c of liveSteady) {
      const missing = c.missing(stopped.seq);
      if (c.state === "connected" && missing !== 0) {
        fail(
          "broadcasts missing at the end",
          `${c.label}: ${missing < 0 ? "no welcome" : `${missing} missing`}`,
        );
      }
    }
  }
  for (const t of timers.splice(0)) clearInterval(t);
  await report("  end ");
  final = await call("gcMemory").catch((err) => fail("server did not answer", String(err)));
}
for (const t of timers.splice(0)) clearInterval(t);
stopping = true;
await Promise.race([Promise.all([...steady].map((c) => c.leave(false))), sleep(10_000)]);
if (!aborted) {
  serverExpectedExit = true;
  await call("close", 10_000).catch((err) => fail("server close failed", String(err)));
  child.send({ cmd: "exit" });
}
serverExpectedExit = true;
const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
await serverExited;
clearTimeout(killer);
if (!aborted && serverExit && /** @type {any} */ (serverExit).code !== 0) {
  fail("server exited with an error after close", JSON.stringify(serverExit));
}

// ---- verdict ----

const mbOf = (/** @type {any} */ x) =>
  x ? { rssMb: mb(x.rss), heapUsedMb: mb(x.heapUsed), externalMb: mb(x.external) } : null;
const heapGrowthMb = baseline && final ? mb(final.heapUsed - baseline.heapUsed) : null;
if (heapGrowthMb !== null && heapGrowthMb > cfg.maxHeapGrowthMb) {
  fail(
    "server heap growth over the bound",
    `${f1(heapGrowthMb)} MB > ${cfg.maxHeapGrowthMb} MB (after GC)`,
  );
}
if (!baseline || !final)
  fail("no heap measurement", "the run ended before both forced-GC measurements");

const git = (/** @type {string[]} */ a) =>
  spawnSync("git", a, { cwd: root, encoding: "utf8" }).stdout?.trim() ?? "";
const commit = git(["rev-parse", "--short", "HEAD"]) || "unknown";
const dirty = git(["status", "--porcelain", "--", "packages"]) !== "";
const result = failures.size === 0 ? "pass" : "fail";
const verdict = {
  result,
  startedAt: new Date(Date.now() - elapsedS() * 1000).toISOString(),
  elapsedS: Math.round(elapsedS()),
  machine: {
    node: process.version,
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model,
    commit: `${commit}${dirty ? " + uncommitted changes in packages/" : ""}`,
  },
  config: cfg,
  bounds: {
    maxHeapGrowthMb: cfg.maxHeapGrowthMb,
    maxRssMb: cfg.maxRssMb,
    ackTimeoutMs: cfg.ackTimeoutMs,
  },
  memory: { baseline: mbOf(baseline), final: mbOf(final), heapGrowthMb, maxRssMb: mb(maxRss) },
  acks: {
    count: stats.all.count,
    p50Ms: stats.all.percentile(50),
    p99Ms: stats.all.percentile(99),
    maxMs: stats.all.max,
    late: stats.lateAcks,
    binaryEchoes: stats.binaryEchoes,
  },
  clients: {
    steady: cfg.clients,
    churnStarted,
    connects: stats.connects,
    disconnects: stats.disconnects,
    upgrades: stats.upgrades,
    broadcastsReceived: stats.broadcasts,
    binaryBroadcastsReceived: stats.binaryBroadcasts,
  },
  raw: rawTable(rawRecords.values()),
  hostileEndedByServer: [...rawRecords.values()].filter(
    (r) => r.kind !== "slow" && endedByServer(r.outcome),
  ).length,
  server: {
    exit: serverExit,
    ...(lastServerStats && {
      broadcastsSent: lastServerStats.broadcasts,
      engineOpened: lastServerStats.engineOpened,
      engineClosed: lastServerStats.engineClosed,
      socketClosed: lastServerStats.socketClosed,
      connectionErrors: lastServerStats.connectionErrors,
      upgrades: lastServerStats.upgrades,
    }),
  },
  failures: Object.fromEntries(failures),
  notes: Object.fromEntries(notes),
  samples,
};
const file = writeReport(root, verdict);
printSummary(verdict);
console.log(`report: ${path.relative(process.cwd(), file)}\nresult: ${result.toUpperCase()}`);
process.exit(result === "pass" ? 0 : 1);

#!/usr/bin/env node
// Instruction counts per message / per connection of one server target, for before/after
// comparisons that machine load does not move (wall-clock and CPU-time benches do).
//
//   node bench/callgrind.js <target> <workload> [--events N] [--warm N] [--strace] [--no-valgrind]
//     target    switchboard | base (BENCH_BASE_DIR: a checkout of another commit, built)
//     workload  long-polling | broadcast-20 | ack-echo | connect-ws | connect-ws-warm | connect-upgrade
//
// ack-echo: 50 WebSocket clients, each keeping one emit-with-ack in flight (the bench's
// ack-echo scenario): --events round trips (default 20 000) measured after --warm (default
// 30 000) of the same; the unit is a completed round trip. Fixed counts, not durations: the
// warm-up must end with the hot code optimized whatever the machine's load (a loaded
// machine slows V8's background compiler, and the main thread then counts interpreter work).
//
// The server (lib/server-main.js, the bench app) runs under `valgrind --tool=callgrind`
// (one profile per thread); the generator (lib/generator-main.js, the same one as the bench)
// drives a fixed workload. Counters are zeroed when the measured window starts and dumped
// when it ends (`callgrind_control -z` / `-d`), so start-up and warm-up are left out.
// Printed, as one JSON line: instructions (Ir) per unit on the main thread (JavaScript,
// the event loop, most of GC) and in all threads (plus V8's compiler and GC helpers, which
// vary more from run to run), the units (delivered messages, completed connections) and
// the output folder (`callgrind_annotate <folder>/cg.<pid>.1-01` lists the main thread's
// native functions; JIT code shows as addresses). Run it once per target and compare.
//
// Under valgrind the server runs ~50x slower: every poll answer then carries one tick's
// events (20), where a wall-clock run answers with 20–400 depending on timing; the counts
// are per message at that fixed batching. User-space only: `--strace` also counts the
// server's system calls over the window (`strace -c -f`, in the output folder), and
// `--no-valgrind` runs the same workload without valgrind (with --strace: syscalls only).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startChild } from "./lib/rpc.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const [target, workload] = argv;
/** @param {string} name @param {number} fallback */
const numArg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const WORKLOADS = [
  "long-polling",
  "broadcast-20",
  "ack-echo",
  "connect-ws",
  "connect-ws-warm",
  "connect-upgrade",
];
if (!target || !workload || !WORKLOADS.includes(workload)) {
  console.error(`usage: node bench/callgrind.js <switchboard|base> <${WORKLOADS.join("|")}>`);
  process.exit(2);
}
const useValgrind = !argv.includes("--no-valgrind");
const useStrace = argv.includes("--strace");
const outDir = path.join(os.tmpdir(), `sb-callgrind-${workload}-${target}-${Date.now()}`);
mkdirSync(outDir, { recursive: true });

/** The server, spawned by hand (rpc.js's startChild has no wrapper command), same IPC calls. */
function startServer() {
  const nodeArgs = ["--expose-gc", path.join(here, "lib/server-main.js"), target];
  const vg = [
    "--tool=callgrind",
    "--smc-check=all-non-file",
    "--separate-threads=yes",
    "--dump-line=no",
    `--callgrind-out-file=${outDir}/cg.%p`,
  ];
  const child = useValgrind
    ? spawn("valgrind", [...vg, process.execPath, ...nodeArgs], {
        stdio: ["ignore", "inherit", "ignore", "ipc"],
      })
    : spawn(process.execPath, nodeArgs, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let nextId = 1;
  /** @type {Map<number, [(v: any) => void, (e: Error) => void]>} */
  const pending = new Map();
  /** @type {(m: any) => void} */
  let onReady = () => {};
  /** @type {Promise<any>} */
  const ready = new Promise((r) => {
    onReady = r;
  });
  child.on("message", (/** @type {any} */ m) => {
    if (m?.ready) return onReady(m);
    const p = pending.get(m?.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error) p[1](new Error(m.error));
    else p[0](m.result);
  });
  child.on("exit", (code) => {
    for (const p of pending.values()) p[1](new Error(`server exited (${code})`));
  });
  return {
    pid: /** @type {number} */ (child.pid),
    ready,
    /** @param {string} cmd @param {any} [payload] @returns {Promise<any>} */
    call: (cmd, payload = {}) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, [resolve, reject]);
        child.send({ id, cmd, payload });
      }),
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", resolve);
        child.send({ id: 0, cmd: "exit", payload: {} });
      }),
  };
}

/** @type {import("node:child_process").ChildProcess | null} */
let strace = null;
/** Window start: zero the counters (and attach strace). */
function windowStart(/** @type {number} */ pid) {
  if (useStrace) {
    strace = spawn("strace", ["-c", "-f", "-p", String(pid), "-o", `${outDir}/strace.txt`], {
      stdio: "ignore",
    });
    spawnSync("sleep", ["1"]); // strace attaches to every thread
  }
  if (useValgrind) spawnSync("callgrind_control", ["-z", String(pid)], { stdio: "ignore" });
}
/** Window end: dump the counters (and detach strace). */
function windowEnd(/** @type {number} */ pid) {
  if (useValgrind) spawnSync("callgrind_control", ["-d", String(pid)], { stdio: "ignore" });
  if (strace !== null) {
    strace.kill("SIGINT");
    spawnSync("sleep", ["1"]);
  }
}

const server = startServer();
const gen = startChild(path.join(here, "lib/generator-main.js"), [], {
  cpu: 1,
  name: "generator",
});
const { port } = await server.ready;
await gen.ready;
const T = 1_800_000;
const kind = "switchboard"; // the generator's wire dialect (base speaks the same)
let units = 0;
/** @type {Record<string, number>} */
let extra = {};

if (workload === "long-polling" || workload === "broadcast-20") {
  const polling = workload === "long-polling";
  const warm = numArg("warm", polling ? 1000 : 300);
  const events = numArg("events", polling ? 600 : 300);
  await gen.call(
    "connect",
    { port, target: kind, transport: polling ? "polling" : "websocket", n: polling ? 100 : 1000 },
    T,
  );
  await gen.call("expect", { events: warm, room: null }, T);
  await server.call("blast", { events: warm, perTick: 20, room: null });
  await gen.call("waitDone", { idleMs: 20_000 }, T);
  await gen.call("expect", { events, room: null }, T);
  await server.call("cpuStart");
  windowStart(server.pid);
  await server.call("blast", { events, perTick: 20, room: null });
  const d = await gen.call("waitDone", { idleMs: 20_000 }, T);
  windowEnd(server.pid);
  units = d.received;
  extra = { lost: d.lost, outOfOrder: d.outOfOrder };
  if (polling) extra.msgsPerAnswer = d.received / Math.max(1, d.pollAnswers);
} else if (workload === "ack-echo") {
  const clients = numArg("clients", 50);
  const c = await gen.call(
    "connect",
    { port, target: kind, transport: "websocket", n: clients },
    T,
  );
  if (c.errors) throw new Error(`connect errors: ${c.errors}`);
  await gen.call("echo", { clients, count: numArg("warm", 30_000), timeoutMs: T }, T);
  await server.call("cpuStart");
  windowStart(server.pid);
  const e = await gen.call("echo", { clients, count: numArg("events", 20_000), timeoutMs: T }, T);
  windowEnd(server.pid);
  // The round trips in flight when the loop stops complete inside the window too.
  units = e.completed + clients - 1 - e.lostAcks;
  extra = { mismatches: e.mismatches, lostAcks: e.lostAcks };
} else {
  const warmVariant = workload === "connect-ws-warm";
  const transport = workload === "connect-upgrade" ? "upgrade" : "websocket";
  const base = { port, target: kind, transport, durationMs: T };
  await gen.call(
    "connectRate",
    { ...base, total: numArg("warm", warmVariant ? 1000 : 20), concurrency: 5 },
    T,
  );
  await server.call("cpuStart");
  windowStart(server.pid);
  const r = await gen.call(
    "connectRate",
    {
      ...base,
      total: numArg("events", warmVariant ? 2000 : 1000),
      concurrency: warmVariant ? 400 : 50,
    },
    T,
  );
  windowEnd(server.pid);
  units = r.completed;
  extra = { errors: r.errors };
}
const cpu = await server.call("cpuStop");
await gen.call("closeAll", {}, T).catch(() => {});
await gen.stop();
await server.stop();

/** @type {Record<string, unknown>} */
const result = { target, workload, units, ...extra, outDir };
if (useValgrind) {
  let all = 0;
  let main = 0;
  for (const f of readdirSync(outDir)) {
    // cg.<pid>.1-<thread>: the dump at the window's end, one file per thread (01: main)
    if (!/^cg\.\d+\.1-\d+$/.test(f)) continue;
    const m = /^(?:summary|totals): (\d+)/m.exec(readFileSync(path.join(outDir, f), "utf8"));
    const ir = m ? Number(m[1]) : 0;
    all += ir;
    if (f.endsWith("-01")) main = ir;
  }
  result.irPerUnitMain = Math.round(main / units);
  result.irPerUnitAll = Math.round(all / units);
} else {
  result.cpuUsPerUnit = +(cpu.cpuUs / units).toFixed(2);
  result.minorFaultsPerUnit = +(cpu.minorFaults / units).toFixed(3);
}
console.log(JSON.stringify(result));

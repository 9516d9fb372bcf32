#!/usr/bin/env node
// Switchboard vs socket.io vs raw ws, in one run. Every scenario runs against the three
// servers interleaved (A, B, C, A, B, C, …): a fresh server process (core 0, --expose-gc)
// and a fresh load-generator process (core 1) per measurement.
//
//   npm run bench                     full run (5 rounds)
//   npm run bench -- --quick          every scenario briefly (CI smoke)
//   node bench/run.js --only broadcast-20,ack-echo --rounds 5 --targets switchboard,socketio
//   node bench/run.js --profile       also profile each Switchboard server: whole process
//                                     (--cpu-prof) and the measured window (*.window.cpuprofile);
//                                     --profile-all: every target's server (file names carry it)
//   node bench/run.js --wait-quiet 60 before each measurement wait (up to 60 s) for the machine
//                                     to be nearly idle (< 25% of one core busy over 0.5 s)
//   node bench/run.js --max-other 30  repeat (up to 3 times) a measurement during which other
//                                     processes used more than 30% of a core; the discarded
//                                     runs stay in the JSONL as type "discarded"
//   node bench/run.js --base main     also run Switchboard as built at a git ref ("base":
//                                     a detached worktree under the OS temp folder, npm ci +
//                                     build there), interleaved; the report adds SB/base
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { redisReachable, redisUrl } from "./lib/cluster.js";
import { BASE, markdown, summarizeAll, svgChart, TARGETS } from "./lib/report.js";
import { canPinCores, machineBusyUs, startChild } from "./lib/rpc.js";
import { fmt } from "./lib/stats.js";
import ackEcho from "./scenarios/ack-echo.js";
import binary from "./scenarios/binary.js";
import broadcast from "./scenarios/broadcast.js";
import browserDecode from "./scenarios/browser-decode.js";
import clientLoad from "./scenarios/client-load.js";
import clusterAck from "./scenarios/cluster-ack.js";
import clusterBroadcast from "./scenarios/cluster-broadcast.js";
import clusterFetch from "./scenarios/cluster-fetch.js";
import clusterStorm from "./scenarios/cluster-storm.js";
import connectRate from "./scenarios/connect-rate.js";
import idleMemory from "./scenarios/idle-memory.js";
import longPolling from "./scenarios/long-polling.js";
import scale from "./scenarios/scale.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");

/** @type {import("./lib/measure.js").Scenario[]} */
const SCENARIOS = [
  broadcast,
  ackEcho,
  idleMemory,
  connectRate,
  longPolling,
  binary,
  clusterBroadcast,
  clusterAck,
  clusterFetch,
  clusterStorm,
  scale,
  clientLoad,
  browserDecode,
];

function parseArgs(argv = process.argv.slice(2)) {
  /** @type {Record<string, string | boolean>} */
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = /** @type {string} */ (argv[i]);
    if (!a.startsWith("--")) continue;
    const [k, v] = a.slice(2).split("=", 2);
    const nextArg = argv[i + 1];
    if (v !== undefined) o[/** @type {string} */ (k)] = v;
    else if (
      nextArg !== undefined &&
      !nextArg.startsWith("--") &&
      !["quick", "profile", "profile-all", "profile-gen", "json", "help"].includes(
        /** @type {string} */ (k),
      )
    ) {
      o[/** @type {string} */ (k)] = nextArg;
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
      .slice(1, 10)
      .join("\n"),
  );
  process.exit(0);
}
const quick = Boolean(args.quick);
const rounds = Number(args.rounds ?? (quick ? 1 : 5));
const only = typeof args.only === "string" ? args.only.split(",") : null;
const outDir = path.resolve(typeof args.out === "string" ? args.out : path.join(here, "results"));
const profileAll = Boolean(args["profile-all"]);
const profile = Boolean(args.profile) || profileAll;
/** Profile this target's server? Profile files of targets other than Switchboard carry its name. */
const profiled = (/** @type {string} */ target) =>
  profile && (profileAll || target === "switchboard");
const profileName = (
  /** @type {string} */ id,
  /** @type {string} */ target,
  /** @type {number} */ round,
) => (target === "switchboard" ? `${id}-r${round}` : `${id}-${target}-r${round}`);
const waitQuietS = Number(args["wait-quiet"] ?? 0);
// BENCH_SERVER_CORES=0,1: node n of a cluster scenario on the n-th core of the list (default
// every server on core 0). For profiles: a process sharing its core with the other node is
// sampled while descheduled, which blurs its profile.
const serverCores = (process.env.BENCH_SERVER_CORES ?? "0").split(",").map(Number);
const maxOther = args["max-other"] === undefined ? null : Number(args["max-other"]);
let targets = typeof args.targets === "string" ? args.targets.split(",") : [...TARGETS];

/**
 * Is Switchboard's server built and exporting Server? Checked in a child process (a failed
 * import is cached in this one), retried for up to 60 s in case a rebuild is under way.
 */
async function switchboardAvailable() {
  const probe =
    'import("@switchboard/server").then((m) => process.exit(typeof m.Server === "function" ? 0 : 1), () => process.exit(1))';
  for (let i = 0; i < 12; i++) {
    if (spawnSync(process.execPath, ["-e", probe], { cwd: root, stdio: "ignore" }).status === 0)
      return true;
    if (i === 0) console.error("waiting for @switchboard/server to load (rebuild under way?)");
    await new Promise((r) => setTimeout(r, 5000));
  }
  return false;
}

/**
 * Checks `ref` out in a detached worktree under the OS temp folder and builds it there; the
 * "base" target loads its server from it (BENCH_BASE_DIR). Removed when the run ends.
 * @param {string} ref
 */
function prepareBase(ref) {
  const git = (/** @type {string[]} */ a, /** @type {string} */ cwd = root) => {
    const r = spawnSync("git", a, { cwd, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ${a.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const commit = git(["rev-parse", "--short", ref]);
  const dir = path.join(os.tmpdir(), `switchboard-bench-base-${commit}-${process.pid}`);
  git(["worktree", "add", "--detach", dir, commit]);
  process.on("exit", () => spawnSync("git", ["worktree", "remove", "--force", dir], { cwd: root }));
  for (const cmd of [
    ["ci", "--no-audit", "--no-fund", "--prefer-offline"],
    ["run", "build", "--silent"],
  ]) {
    console.error(`base ${ref} (${commit}): npm ${cmd.join(" ")}`);
    const r = spawnSync("npm", cmd, { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
    if (r.status !== 0) throw new Error(`base ${ref}: npm ${cmd.join(" ")} failed`);
  }
  process.env.BENCH_BASE_DIR = dir;
  return `${ref} (${commit})`;
}
const baseRef = typeof args.base === "string" ? prepareBase(args.base) : null;
if (baseRef !== null && !targets.includes(BASE)) targets.push(BASE);

const notes = [];
if (typeof args.note === "string") notes.push(args.note);
if (targets.includes("switchboard") && !(await switchboardAvailable())) {
  targets = targets.filter((t) => t !== "switchboard");
  notes.push(
    "Switchboard's server is not available yet (@switchboard/server has no Server export); skipped.",
  );
  console.error(`note: ${notes.at(-1)}`);
}

if (maxOther !== null)
  notes.push(
    `Measurements during which other processes used more than ${maxOther}% of a core were repeated (up to 3 times).`,
  );
const plan = SCENARIOS.flatMap((scenario) =>
  scenario.variants
    .filter((v) =>
      only === null
        ? scenario.optIn !== true || (quick && scenario.quickToo === true && v.optIn !== true)
        : only.includes(v.id) || (only.includes(scenario.name) && v.optIn !== true),
    )
    // --quick without --only: a scenario may keep only some of its variants (`quickVariants`)
    .filter(
      (v) =>
        !quick || only !== null || !scenario.quickVariants || scenario.quickVariants.includes(v.id),
    )
    .map((variant) => ({ scenario: scenario.name, variant, def: scenario })),
);

// Cluster scenarios need Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379). Without
// it they are left out with a note, except in CI, where a missing Redis fails the run.
if (plan.some((p) => (p.def.nodes ?? 1) > 1) && !(await redisReachable())) {
  const msg = `Redis is not reachable at ${redisUrl()}: the cluster scenarios need it`;
  if (process.env.CI === "true") {
    console.error(`bench: ${msg} (CI=true: failing)`);
    process.exit(1);
  }
  for (let i = plan.length - 1; i >= 0; i--) if ((plan[i]?.def.nodes ?? 1) > 1) plan.splice(i, 1);
  notes.push(`${msg}; skipped.`);
  console.error(`note: ${notes.at(-1)}`);
}

/** @type {import("./lib/report.js").RunRecord[]} */
const records = [];
const started = Date.now();
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
mkdirSync(outDir, { recursive: true });
const profileDir = path.join(outDir, `profiles-${stamp}`);

/** Busy % of one core, whole machine, over `ms`. @param {number} ms */
async function machineBusyPct(ms) {
  const a = machineBusyUs();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineBusyUs();
  return a === null || b === null ? null : (b - a) / 10 / ms;
}

/** Wait up to `--wait-quiet` seconds for other load to go away; returns the last busy %. */
async function waitQuiet() {
  const deadline = Date.now() + waitQuietS * 1000;
  let busy = await machineBusyPct(500);
  while (busy !== null && busy > 25 && Date.now() < deadline) busy = await machineBusyPct(500);
  return busy;
}

/**
 * One measurement: fresh server (core 0) + fresh generator (core 1).
 * @param {(typeof plan)[number]} item
 * @param {string} target
 * @param {number} round
 */
async function measureOnce(item, target, round) {
  const busyBeforePct = waitQuietS > 0 ? await waitQuiet() : undefined;
  // Cluster scenarios (`nodes: 2`) run that many server processes, all on core 0, sharing
  // Redis under a key prefix of their own (no two measurements ever see each other).
  const nodes = item.def.nodes ?? 1;
  const clusterEnv =
    nodes > 1
      ? {
          BENCH_CLUSTER_KEY: `bench-${process.pid}-${item.variant.id}-${target}-r${round}-${Date.now()}`,
        }
      : {};
  // A variant's environment (the same for every target) goes to every process.
  const env = { ...item.variant.env, ...clusterEnv };
  const servers = Array.from({ length: nodes }, (_, n) => {
    const name = `${profileName(item.variant.id, target, round)}${nodes > 1 ? `-n${n + 1}` : ""}`;
    const execArgv = ["--expose-gc"];
    if (profiled(target)) {
      mkdirSync(profileDir, { recursive: true });
      execArgv.push(
        "--cpu-prof",
        `--cpu-prof-dir=${profileDir}`,
        `--cpu-prof-name=${name}.cpuprofile`,
      );
    }
    // Client scenarios (`serverTarget`): the target is the client library, the server is fixed.
    return startChild(path.join(here, "lib/server-main.js"), [item.def.serverTarget ?? target], {
      cpu: serverCores[n % serverCores.length],
      manyFds: item.def.manyFds === true,
      execArgv,
      name: nodes > 1 ? `server(${target}, node ${n + 1})` : `server(${target})`,
      env: profiled(target)
        ? { ...env, BENCH_PROFILE_WINDOW: path.join(profileDir, `${name}.window.cpuprofile`) }
        : env,
    });
  });
  const server = /** @type {ReturnType<typeof startChild>} */ (servers[0]);
  /** @type {string[]} */
  const genArgv = [...(item.def.generatorExecArgv ?? [])];
  if (args["profile-gen"]) {
    mkdirSync(profileDir, { recursive: true });
    genArgv.push(
      "--cpu-prof",
      `--cpu-prof-dir=${profileDir}`,
      `--cpu-prof-name=generator-${item.variant.id}-${target}-r${round}.cpuprofile`,
    );
  }
  const gen = startChild(path.join(here, item.def.generator ?? "lib/generator-main.js"), [], {
    cpu: 1,
    manyFds: item.def.manyFds === true,
    execArgv: genArgv,
    name: "generator",
    env,
  });
  /** @type {import("./lib/report.js").RunRecord} */
  const rec = { scenario: item.scenario, variant: item.variant.id, target, round, busyBeforePct };
  try {
    const [gr, ...srs] = await Promise.all([gen.ready, ...servers.map((s) => s.ready)]);
    if (gr.error) throw new Error(gr.error);
    for (const sr of srs) if (sr.error) throw new Error(sr.error);
    const cfg = item.def.config(quick);
    const ports = srs.map((sr) => sr.port);
    const clusterKey = clusterEnv.BENCH_CLUSTER_KEY ?? null;
    const ctx = { server, servers, gen, port: ports[0], ports, target, cfg, quick, clusterKey };
    const m = await Promise.race([
      item.def.measure(ctx, item.variant),
      new Promise((_, reject) => {
        const ms = item.def.measureTimeoutMs ?? 300_000;
        setTimeout(() => reject(new Error(`measurement timed out (${ms / 1000} s)`)), ms).unref();
      }),
    ]);
    Object.assign(rec, m);
    await gen.call("closeAll", {}, 20_000).catch(() => {});
  } catch (err) {
    rec.error = err instanceof Error ? err.message : String(err);
  } finally {
    await Promise.all([gen.stop(), ...servers.map((s) => s.stop())]);
    // after the servers are gone, so nothing writes the measurement's keys again
    const key = clusterEnv.BENCH_CLUSTER_KEY;
    if (item.def.cleanup && key) await item.def.cleanup(key).catch(() => {});
  }
  return rec;
}

console.error(
  `bench: ${quick ? "quick" : "full"} mode, ${rounds} round(s), targets ${targets.join(", ")}, ` +
    `${plan.length} scenario variants, pinning ${canPinCores() ? "on" : "off"}`,
);
const jsonl = path.join(outDir, `bench-${stamp}.jsonl`);
for (const item of plan) {
  for (let round = 1; round <= Math.min(rounds, item.def.maxRounds ?? rounds); round++) {
    for (const target of targets) {
      if (item.def.supports && !item.def.supports(target, item.variant)) continue;
      let rec = await measureOnce(item, target, round);
      for (
        let retry = 1;
        retry <= 3 && maxOther !== null && (rec.cpu?.other ?? 0) > maxOther;
        retry++
      ) {
        console.error(
          `[${item.variant.id}] round ${round} ${target}: other processes used ${fmt(rec.cpu?.other)}% of a core, measuring again`,
        );
        writeFileSync(jsonl, `${JSON.stringify({ type: "discarded", ...rec })}\n`, { flag: "a" });
        rec = await measureOnce(item, target, round);
      }
      records.push(rec);
      writeFileSync(jsonl, `${JSON.stringify({ type: "run", ...rec })}\n`, { flag: "a" });
      const summary = rec.error
        ? `ERROR ${rec.error.split("\n")[0]}`
        : item.variant.metrics.map((m) => `${m.label} ${fmt(rec.metrics?.[m.key])}`).join(", ") +
          ` | cpu server ${fmt(rec.cpu?.server)}% gen ${fmt(rec.cpu?.generator)}% other ${fmt(rec.cpu?.other)}%` +
          (Object.values(rec.checks ?? {}).some((v) => v !== 0)
            ? ` | CHECKS ${JSON.stringify(rec.checks)}`
            : "");
      console.error(`[${item.variant.id}] round ${round} ${target}: ${summary}`);
    }
  }
}

/** Browser bundle comparison (min+gzip) when Switchboard's bundle exists. */
function bundleSizes() {
  const ours = path.join(root, "packages/client/dist/bundle/socket.io.min.js");
  const theirs = path.join(root, "node_modules/socket.io-client/dist/socket.io.min.js");
  if (!existsSync(ours) || !existsSync(theirs)) return null;
  const gz = (/** @type {string} */ f) => gzipSync(readFileSync(f), { level: 9 }).length;
  return {
    "Switchboard client (socket.io.min.js)": gz(ours),
    "socket.io-client 4.8 (socket.io.min.js)": gz(theirs),
  };
}

const rows = summarizeAll(plan, records);
/** The commit measured (and whether packages/ had uncommitted changes). */
function gitState() {
  const run = (/** @type {string[]} */ a) =>
    spawnSync("git", a, { cwd: root, encoding: "utf8" }).stdout?.trim() ?? "";
  const head = run(["rev-parse", "--short", "HEAD"]);
  const dirty = run(["status", "--porcelain", "--", "packages"]) !== "";
  return head ? `${head}${dirty ? " + uncommitted changes in packages/" : ""}` : "unknown";
}

const machine = {
  commit: gitState(),
  base: baseRef,
  cpuModel: os.cpus()[0]?.model ?? "unknown",
  nproc: os.availableParallelism(),
  node: process.version,
  date: new Date().toISOString(),
  mode: quick ? "quick" : "full",
  rounds,
  pinned: canPinCores(),
  loadavg: os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" "),
  note: notes.join(" "),
  elapsedS: Math.round((Date.now() - started) / 1000),
};
const bundle = bundleSizes();
const md = `# Switchboard bench — ${machine.date}\n\n${markdown({ plan, records, rows, machine, bundle })}\n`;
for (const row of rows) {
  writeFileSync(
    jsonl,
    `${JSON.stringify({ type: "summary", variant: row.variant.id, metric: row.metric.key, byTarget: row.byTarget, vsSocketIo: row.vsSio, vsRawWs: row.vsRaw, target: row.metric.target ?? null, met: row.met })}\n`,
    { flag: "a" },
  );
}
writeFileSync(jsonl, `${JSON.stringify({ type: "machine", ...machine, bundle })}\n`, { flag: "a" });
const svg = svgChart(rows);
writeFileSync(path.join(outDir, `bench-${stamp}.md`), md);
writeFileSync(path.join(outDir, `bench-${stamp}.svg`), svg);
writeFileSync(path.join(outDir, "latest.md"), md);
writeFileSync(path.join(outDir, "latest.svg"), svg);
console.log(md);
console.error(
  `wrote ${path.relative(process.cwd(), jsonl)}, latest.md, latest.svg in ${path.relative(process.cwd(), outDir) || "."} (${machine.elapsedS} s)`,
);
if (args.json) console.log(JSON.stringify({ records, machine }));

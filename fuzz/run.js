// Coverage-guided fuzzing of Switchboard's untrusted-input paths (issue 12): each target in
// fuzz/targets/ gets `--budget` seconds in its own worker thread (lib/worker.js), two at a
// time on two cores. A target that throws, hangs (`--timeout`) or runs out of heap has its
// input saved in fuzz/regressions/<target>/ and the run exits 1. See fuzz/README.md.
//
//   node fuzz/run.js --budget 20            # the CI run (~1 min for every target)
//   node fuzz/run.js --budget 3600          # the long run
//   node fuzz/run.js --replay               # only replay seeds and regressions
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { hashOf, listTargets, REPO_DIR, regressionDir, saveInput, WORK_DIR } from "./lib/corpus.js";

const { values: args } = parseArgs({
  options: {
    budget: { type: "string", default: "30" },
    targets: { type: "string" },
    jobs: { type: "string" },
    seed: { type: "string" },
    "max-len": { type: "string" },
    timeout: { type: "string", default: "10" },
    corpus: { type: "string" },
    minimize: { type: "string" },
    "max-crashes": { type: "string", default: "10" },
    memory: { type: "string", default: "1024" },
    replay: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (args.help) {
  console.log(`usage: node fuzz/run.js [options]
  --budget S        seconds of fuzzing per target (default 30)
  --targets a,b     only these targets (default: every file in fuzz/targets/)
  --jobs N          targets fuzzed at once (default: min(2, cores))
  --seed N          PRNG seed (default: random, printed)
  --max-len N       longest input, bytes (default: the target's maxLen)
  --timeout S       one input running longer is a hang (default 10)
  --corpus DIR      working corpus, read and grown (default test-artifacts/fuzz/corpus/<target>; "none")
  --minimize S      seconds to shrink each new crash (default: budget/5, at most 10)
  --max-crashes N   distinct crashes per target before it stops (default 10)
  --memory MB       heap of each worker; exhausting it is a crash (default 1024)
  --replay          run the seeds and regressions once, no fuzzing`);
  process.exit(0);
}

const budget = args.replay ? 0 : Number(args.budget);
const all = listTargets();
const targets = args.targets ? args.targets.split(",").map((t) => t.trim()) : all;
for (const t of targets) {
  if (!all.includes(t)) {
    console.error(`unknown target ${t} (have: ${all.join(", ")})`);
    process.exit(2);
  }
}
const jobs = Math.max(1, Number(args.jobs ?? Math.min(2, availableParallelism())));
const seed = args.seed === undefined ? (Math.random() * 2 ** 32) >>> 0 : Number(args.seed) >>> 0;
const timeoutMs = Number(args.timeout) * 1000;
const minimizeMs = args.replay
  ? 0
  : args.minimize === undefined
    ? Math.min(10_000, (budget * 1000) / 5)
    : Number(args.minimize) * 1000;
/** Capacity of the shared input buffer: no target takes longer inputs. */
const SHARED_INPUT = 1 << 20;

/** @param {string} target */
function corpusDirOf(target) {
  if (args.replay || args.corpus === "none") return null;
  return path.join(args.corpus ?? path.join(WORK_DIR, "corpus"), target);
}

/**
 * @typedef {{ target: string, kind: string, signature: string, file: string, log: string, stack: string, input: Uint8Array }} Crash
 * @typedef {{ target: string, executions: number, seconds: number, corpus: number, features: number, inputs: number, crashes: Crash[], error?: string }} Result
 */

/**
 * Saves a crashing input as a regression and its story next to the working corpus.
 *
 * @param {string} target
 * @param {{ kind: string, signature: string, input: Uint8Array, original?: Uint8Array, stack: string }} c
 * @returns {Crash}
 */
function saveCrash(target, c) {
  const file = saveInput(regressionDir(target), `${c.kind}-`, c.input);
  const logDir = path.join(WORK_DIR, "crashes");
  mkdirSync(logDir, { recursive: true });
  const log = path.join(logDir, `${target}-${c.kind}-${hashOf(c.input)}.log`);
  const hex = (/** @type {Uint8Array} */ b) => Buffer.from(b).toString("hex");
  writeFileSync(
    log,
    `target: ${target}\nkind: ${c.kind}\nsignature: ${c.signature}\ninput: ${path.relative(REPO_DIR, file)}\n` +
      `input (hex, ${c.input.length} bytes): ${hex(c.input)}\n` +
      `input (json): ${JSON.stringify(Buffer.from(c.input).toString("latin1"))}\n` +
      (c.original && c.original.length !== c.input.length
        ? `before minimizing (hex, ${c.original.length} bytes): ${hex(c.original)}\n`
        : "") +
      `replay: npx vitest run fuzz/test/regressions.test.ts\n\n${c.stack}\n`,
  );
  return {
    target,
    kind: c.kind,
    signature: c.signature,
    file,
    log,
    stack: c.stack,
    input: c.input,
  };
}

/**
 * @param {string} target
 * @param {number} index its position, for a distinct PRNG seed
 * @returns {Promise<Result>}
 */
function fuzzTarget(target, index) {
  return new Promise((resolve) => {
    const shared = new SharedArrayBuffer(16 + SHARED_INPUT);
    const control = new Int32Array(shared, 0, 4);
    const lastInput = () => {
      const len = Math.min(Atomics.load(control, 2), SHARED_INPUT);
      return Buffer.from(new Uint8Array(shared, 16, len));
    };
    /** @type {Result} */
    const result = {
      target,
      executions: 0,
      seconds: 0,
      corpus: 0,
      features: 0,
      inputs: 0,
      crashes: [],
    };
    const started = performance.now();
    const worker = new Worker(new URL("./lib/worker.js", import.meta.url), {
      workerData: {
        target,
        budgetMs: budget * 1000,
        seed: (seed + index * 0x9e3779b9) >>> 0,
        maxLen: args["max-len"] === undefined ? undefined : Number(args["max-len"]),
        corpusDir: corpusDirOf(target),
        shared,
        minimizeMs,
        maxCrashes: Number(args["max-crashes"]),
      },
      resourceLimits: { maxOldGenerationSizeMb: Number(args.memory) },
      stdout: false,
      stderr: false,
    });
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearInterval(watchdog);
      result.seconds ||= (performance.now() - started) / 1000;
      void worker.terminate();
      resolve(result);
    };
    // A hang: the same input running (flag set, execution count unchanged) past --timeout.
    let lastCount = -1;
    let lastChange = performance.now();
    const watchdog = setInterval(() => {
      const count = Atomics.load(control, 0);
      const now = performance.now();
      if (count !== lastCount) {
        lastCount = count;
        lastChange = now;
        return;
      }
      if (Atomics.load(control, 1) === 1 && now - lastChange > timeoutMs) {
        result.executions = count;
        const stack = `no result after ${((now - lastChange) / 1000).toFixed(1)} s (--timeout ${timeoutMs / 1000})`;
        result.crashes.push(
          saveCrash(target, { kind: "timeout", signature: "timeout", input: lastInput(), stack }),
        );
        finish();
      }
    }, 250);
    worker.on("message", (m) => {
      if (m.type === "crash") {
        result.crashes.push(saveCrash(target, m));
      } else if (m.type === "progress" && budget >= 120) {
        const s = ((performance.now() - started) / 1000).toFixed(0);
        console.log(
          `${target}: ${s} s, ${m.executions} execs, corpus ${m.corpus}, features ${m.features}`,
        );
      } else if (m.type === "done") {
        Object.assign(result, {
          executions: m.executions,
          seconds: m.seconds,
          corpus: m.corpus,
          features: m.features,
          inputs: m.initial.inputs,
        });
        finish();
      }
    });
    worker.on("error", (err) => {
      const count = Atomics.load(control, 0);
      result.executions = count;
      if (count === 0) {
        result.error = String(/** @type {Error} */ (err).stack ?? err);
      } else {
        // Out of heap, or an error thrown later (a timer): blame the input that ran last.
        const oom = /** @type {{ code?: string }} */ (err).code === "ERR_WORKER_OUT_OF_MEMORY";
        const kind = oom ? "oom" : "crash";
        const stack = String(/** @type {Error} */ (err).stack ?? err);
        const signature = `${kind}: ${String(/** @type {Error} */ (err).message).split("\n")[0]}`;
        result.crashes.push(saveCrash(target, { kind, signature, input: lastInput(), stack }));
      }
      finish();
    });
    worker.on("exit", (code) => {
      if (!finished && code !== 0) result.error = `worker exited with code ${code}`;
      finish();
    });
  });
}

console.log(
  `fuzz: ${targets.join(", ")}; ${args.replay ? "replay only" : `${budget} s each`}, ${jobs} at a time, seed ${seed}`,
);
const t0 = performance.now();
/** @type {Result[]} */
const results = [];
let next = 0;
await Promise.all(
  Array.from({ length: Math.min(jobs, targets.length) }, async () => {
    while (next < targets.length) {
      const i = next++;
      const target = /** @type {string} */ (targets[i]);
      results[i] = await fuzzTarget(target, i);
    }
  }),
);

let failed = false;
for (const r of results) {
  const rate = r.seconds > 0 ? Math.round(r.executions / r.seconds) : 0;
  console.log(
    `${r.target.padEnd(18)} ${String(r.executions).padStart(9)} execs ${String(rate).padStart(6)}/s  ` +
      `${r.inputs} known inputs, corpus ${r.corpus}, features ${r.features}, crashes ${r.crashes.length}`,
  );
  if (r.error !== undefined) {
    failed = true;
    console.log(`  harness error: ${r.error}`);
  }
  for (const c of r.crashes) {
    failed = true;
    console.log(`  ${c.kind}: ${c.signature}`);
    console.log(`    input: ${path.relative(REPO_DIR, c.file)}`);
    console.log(`    log:   ${path.relative(REPO_DIR, c.log)}`);
    // In CI the files stay in a throwaway clone: the bytes themselves go to the log.
    if (c.input.length <= 2048) console.log(`    hex:   ${Buffer.from(c.input).toString("hex")}`);
    console.log(`    ${c.stack.split("\n").slice(0, 6).join("\n    ")}`);
  }
}
console.log(
  `fuzz: ${((performance.now() - t0) / 1000).toFixed(1)} s, ${failed ? "FAILED" : "no crash"}`,
);
process.exit(failed ? 1 : 0);

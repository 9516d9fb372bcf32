// One target's fuzzing loop, in a worker thread started by run.js: run every known input,
// then mutate corpus entries until the time budget is spent, keeping each input that
// reaches a new coverage feature. Every input is copied into shared memory before it runs,
// so the parent can save it when the target hangs or exhausts the worker's heap.
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";
import { hashOf, readInputs, regressionDir, saveInput, seedDir, targetPath } from "./corpus.js";
import { Coverage } from "./coverage.js";
import { mutate, Random } from "./mutate.js";

/**
 * @typedef {{
 *   target: string,
 *   budgetMs: number,
 *   seed: number,
 *   maxLen: number | undefined,
 *   corpusDir: string | null,
 *   shared: SharedArrayBuffer,
 *   minimizeMs: number,
 *   maxCrashes: number,
 * }} WorkerOptions
 */
const options = /** @type {WorkerOptions} */ (workerData);
const port = /** @type {import("node:worker_threads").MessagePort} */ (parentPort);

// Shared with the parent: [executions, running (0/1), input length], then the input bytes.
const control = new Int32Array(options.shared, 0, 4);
const sharedInput = new Uint8Array(options.shared, 16);

// Only the code under test counts, not this harness nor the target's own checks.
const coverage = new Coverage((url) => url.includes("/packages/") && url.includes("/dist/"));

/** @type {{ fuzz: (data: Buffer) => void, maxLen?: number, dictionary?: (string | Uint8Array)[] }} */
const target = await import(pathToFileURL(targetPath(options.target)).href);
const maxLen = Math.min(options.maxLen ?? target.maxLen ?? 4096, sharedInput.length);
const dictionary = (target.dictionary ?? []).map((t) =>
  typeof t === "string" ? Buffer.from(t, "latin1") : Buffer.from(t),
);
const rnd = new Random(options.seed);

// Stack traces are the main cost of a rejected input (every ProtocolError captures one):
// none while fuzzing (4x the executions), full ones when a crash is run again for its report.
const STACK_FRAMES = Error.stackTraceLimit;
Error.stackTraceLimit = 0;

/** @type {Set<number>} */
const seen = new Set();
/** @type {Buffer[]} */
const corpus = [];
/** @type {Set<string>} */
const crashSignatures = new Set();
let executions = 0;

/**
 * Runs the target on `data`; returns the error it threw, or undefined.
 *
 * @param {Buffer} data
 * @returns {unknown}
 */
function execute(data) {
  sharedInput.set(data.subarray(0, sharedInput.length));
  Atomics.store(control, 2, data.length);
  Atomics.store(control, 1, 1);
  Atomics.add(control, 0, 1);
  executions++;
  let error;
  try {
    // a copy: targets may write into their input (the WebSocket receiver unmasks in place)
    target.fuzz(Buffer.from(data));
  } catch (err) {
    error = err ?? new Error(`threw ${String(err)}`);
  }
  Atomics.store(control, 1, 0);
  return error;
}

/**
 * What identifies one bug: error name, message with numbers blanked, and the first stack
 * frame in the code under test or the target.
 *
 * @param {unknown} err
 * @returns {string}
 */
function signatureOf(err) {
  const e = err instanceof Error ? err : new Error(String(err));
  const message = String(e.message).split("\n")[0].replace(/\d+/g, "N");
  const frame =
    String(e.stack ?? "")
      .split("\n")
      .slice(1)
      .find((l) => l.includes("/dist/") || l.includes("/fuzz/targets/")) ?? "";
  return `${e.name}: ${message} ${frame.trim().replace(/:\d+\)?$/, "")}`;
}

/**
 * Shortest input found in `ms` that still fails with the same signature (removing ever
 * smaller ranges, as libFuzzer's -minimize_crash does).
 *
 * @param {Buffer} input
 * @param {string} signature
 * @param {number} ms
 * @returns {Buffer}
 */
function minimize(input, signature, ms) {
  const deadline = performance.now() + ms;
  let best = input;
  for (let size = best.length >> 1 || 1; size >= 1; size >>= 1) {
    for (let at = 0; at + size <= best.length; ) {
      if (performance.now() > deadline) return best;
      const candidate = Buffer.concat([best.subarray(0, at), best.subarray(at + size)]);
      const err = execute(candidate);
      coverage.reset();
      if (err !== undefined && signatureOf(err) === signature) best = candidate;
      else at += size;
    }
    if (size === 1) break;
  }
  return best;
}

/**
 * @param {Buffer} input
 * @param {unknown} err
 * @returns {boolean} whether fuzzing should stop (too many distinct crashes)
 */
function onCrash(input, err, minimizeMs = options.minimizeMs) {
  Error.stackTraceLimit = Math.max(STACK_FRAMES, 30);
  try {
    return report(input, execute(input) ?? err, minimizeMs);
  } finally {
    Error.stackTraceLimit = 0;
    coverage.reset();
  }
}

/**
 * @param {Buffer} input
 * @param {unknown} err the error, with its stack
 * @param {number} minimizeMs
 * @returns {boolean}
 */
function report(input, err, minimizeMs) {
  const signature = signatureOf(err);
  if (crashSignatures.has(signature)) return false;
  crashSignatures.add(signature);
  const small = minimizeMs > 0 ? minimize(input, signature, minimizeMs) : input;
  const again = small === input ? err : (execute(small) ?? err);
  const stack = again instanceof Error ? String(again.stack) : String(again);
  port.postMessage({
    type: "crash",
    kind: "crash",
    signature,
    input: small,
    original: input,
    stack,
  });
  return crashSignatures.size >= options.maxCrashes;
}

/**
 * Runs `data` and keeps it when it reaches a feature not seen before.
 *
 * @param {Buffer} data
 * @param {boolean} fresh a new input (kept in the working corpus, minimized if it crashes),
 *   not one read from disk (a saved crash is reported as it is)
 * @returns {boolean} whether fuzzing should stop
 */
function run(data, fresh) {
  const err = execute(data);
  const features = coverage.take();
  if (err !== undefined) return onCrash(data, err, fresh ? options.minimizeMs : 0);
  let novel = false;
  for (const f of features) {
    if (!seen.has(f)) {
      seen.add(f);
      novel = true;
    }
  }
  if (novel) {
    corpus.push(data);
    if (fresh && options.corpusDir !== null) saveInput(options.corpusDir, "", data);
  }
  return false;
}

const started = performance.now();
let stop = false;
let lastReport = started;
const known = [
  ...readInputs(seedDir(options.target)),
  ...readInputs(regressionDir(options.target)),
  ...(options.corpusDir === null ? [] : readInputs(options.corpusDir)),
];
const seenInputs = new Set();
for (const { data } of known) {
  const h = hashOf(data);
  if (seenInputs.has(h)) continue;
  seenInputs.add(h);
  stop = run(data, false) || stop;
}
const initial = { inputs: seenInputs.size, features: seen.size };
if (corpus.length === 0) corpus.push(Buffer.alloc(0));

const other = () => corpus[rnd.below(corpus.length)];
const deadline = started + options.budgetMs;
while (!stop && performance.now() < deadline) {
  // Newer entries are usually the frontier: half the picks go to the last eighth.
  const recent = rnd.bool()
    ? Math.max(0, corpus.length - 1 - rnd.below(Math.ceil(corpus.length / 8)))
    : -1;
  const parent = corpus[recent >= 0 ? recent : rnd.below(corpus.length)] ?? corpus[0];
  stop = run(mutate(parent, rnd, dictionary, other, maxLen), true);
  const now = performance.now();
  if (now - lastReport > 10_000) {
    lastReport = now;
    port.postMessage({ type: "progress", executions, corpus: corpus.length, features: seen.size });
  }
}

coverage.close();
port.postMessage({
  type: "done",
  executions,
  corpus: corpus.length,
  features: seen.size,
  initial,
  seconds: (performance.now() - started) / 1000,
});
// Targets may leave timers behind (the polling body deadline): the parent terminates the
// worker once it has this message.

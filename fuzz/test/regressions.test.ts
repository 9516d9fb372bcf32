// Replays every seed and every saved crash input (fuzz/regressions/<target>/) through its
// fuzz target, in process: a target throws when the code under test misbehaves on an input,
// so an input that once broke something fails here until it is fixed, and stays a test
// after. The fuzzer itself (node fuzz/run.js) is not run here; see fuzz/README.md.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";

interface Input {
  file: string;
  data: Buffer;
}
interface CorpusLib {
  listTargets(): string[];
  targetPath(target: string): string;
  seedDir(target: string): string;
  regressionDir(target: string): string;
  readInputs(dir: string): Input[];
}
interface Target {
  fuzz(data: Buffer): void;
}

const fuzzDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// The fuzz harness is plain JavaScript (it runs in worker threads without a loader): loaded
// by URL and typed here.
const lib = (await import(pathToFileURL(path.join(fuzzDir, "lib", "corpus.js")).href)) as CorpusLib;

/** Seconds and heap a former hang (`timeout-*`) or heap blow-up (`oom-*`) is given now. */
const HANG_SECONDS = 10;
const HEAP_MB = 256;

/**
 * Runs an input that once hung or ran out of memory in a worker thread with a time and
 * heap limit: in this process, a loop that never ends could not be stopped.
 */
function runIsolated(target: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("../lib/replay-worker.js", import.meta.url), {
      workerData: { target, data },
      resourceLimits: { maxOldGenerationSizeMb: HEAP_MB },
    });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`still running after ${HANG_SECONDS} s`));
    }, HANG_SECONDS * 1000);
    worker.on("message", (m: { ok: boolean; error?: string }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (m.ok) resolve();
      else reject(new Error(m.error));
    });
    worker.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe.each(lib.listTargets())("fuzz target %s", (target) => {
  const seeds = lib.readInputs(lib.seedDir(target));
  const regressions = lib.readInputs(lib.regressionDir(target));
  const load = async () => (await import(pathToFileURL(lib.targetPath(target)).href)) as Target;

  it("has seed inputs", () => {
    expect(seeds.length).toBeGreaterThan(0);
  });

  for (const input of [...seeds, ...regressions]) {
    const name = path.relative(fuzzDir, input.file);
    if (/^(timeout|oom)-/.test(path.basename(input.file))) {
      it(name, () => runIsolated(target, input.data), (HANG_SECONDS + 10) * 1000);
      continue;
    }
    it(name, async () => {
      const t = await load();
      // A copy, as the fuzzer gives (targets may write into their input). Called directly,
      // so that a failure shows the target's error and stack as they are.
      t.fuzz(Buffer.from(input.data));
    });
  }
});

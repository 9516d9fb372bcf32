// Runs one input through one target in a worker thread, for inputs that once hung or ran
// out of memory (fuzz/test/regressions.test.ts gives them a time and heap limit).
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";
import { targetPath } from "./corpus.js";

const { target, data } = /** @type {{ target: string, data: Uint8Array }} */ (workerData);
const { fuzz } = await import(pathToFileURL(targetPath(target)).href);
try {
  fuzz(Buffer.from(data));
  parentPort?.postMessage({ ok: true });
} catch (err) {
  parentPort?.postMessage({
    ok: false,
    error: err instanceof Error ? String(err.stack) : String(err),
  });
}

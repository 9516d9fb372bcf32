// Runs bench/run.js in a child process (`--json`, results in a temporary folder removed by
// `cleanup`) and returns its records: the smoke tests' driver.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** One measurement as run.js writes it (the fields the smoke tests read). */
export interface RunRecord {
  variant: string;
  target: string;
  error?: string;
  checks?: Record<string, number>;
  counts?: Record<string, number>;
}

/** A run.js runner writing into a temporary folder of its own. */
export function benchRunner(prefix: string): {
  run(args: string[]): Promise<{ records: RunRecord[] }>;
  cleanup(): void;
} {
  const outDir = mkdtempSync(path.join(tmpdir(), prefix));
  return {
    run: (args) =>
      new Promise((resolve, reject) => {
        execFile(
          process.execPath,
          [path.join(benchDir, "run.js"), ...args, "--out", outDir, "--json"],
          { timeout: 110_000, maxBuffer: 16 * 1024 * 1024 },
          (err, stdout, stderr) => {
            if (err) return reject(new Error(`${err.message}\n${stderr}`));
            const last = stdout.trim().split("\n").at(-1) ?? "";
            resolve(JSON.parse(last));
          },
        );
      }),
    cleanup: () => rmSync(outDir, { recursive: true, force: true }),
  };
}

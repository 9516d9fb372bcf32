// Prints one plain closing line, "tests: N passed, N failed, N skipped", so that
// CI logs state the count of executed tests whatever the runner's own format.
import { mkdirSync, writeFileSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<unknown>,
  ): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      if (mod.state() === "failed" && [...mod.children.allTests()].length === 0) failed++;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
    }
    failed += unhandledErrors.length;
    const line = `tests: ${passed} passed, ${failed} failed, ${skipped} skipped`;
    process.stdout.write(`\n${line}\n`);
    // Kept for .ci/run, which repeats it as its closing line after the bench smoke run.
    mkdirSync("test-artifacts", { recursive: true });
    writeFileSync("test-artifacts/test-summary.txt", `${line}\n`);
  }
}

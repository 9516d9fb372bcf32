// Smoke test of bench/forwarding-overhead.js: one short round of each measurement, so the
// script cannot rot. It checks every ack it gets (it throws on a wrong answer); here the
// report's shape and non-zero counts are asserted, never timings. Needs `npm run build`.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("../forwarding-overhead.js", import.meta.url));

describe("forwarding-overhead bench", () => {
  it("runs direct and forwarded polling and WebSocket, every answer checked", async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [SCRIPT, "1", "200"], { timeout: 60_000 }, (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      );
    });
    const rows = out.split("\n").filter((line) => /^\| (polling|WebSocket|nodes')/.test(line));
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      const [direct, forwarded] = row
        .split("|")
        .slice(2, 4)
        .map((cell) => Number.parseInt(cell, 10));
      expect(direct).toBeGreaterThan(0);
      expect(forwarded).toBeGreaterThan(0);
    }
  });
});

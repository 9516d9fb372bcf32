// Smoke test of the many-connections scenario (scenarios/scale.js) in quick mode: 500
// WebSocket clients from several source addresses on each target, one broadcast then a
// train of 5 to all. Asserts counts and ordering only, never timings.
import { afterAll, describe, expect, it } from "vitest";
import { benchRunner } from "./run-bench.js";

const bench = benchRunner("sb-bench-scale-");
afterAll(() => bench.cleanup());

describe("bench scale scenario (quick)", () => {
  it("connects every client on every target and delivers every broadcast to each, in order", async () => {
    const { records } = await bench.run(["--quick", "--only", "scale", "--rounds", "1"]);
    for (const target of ["switchboard", "socketio", "raw-ws"]) {
      const r = records.find((x) => x.variant === "scale" && x.target === target);
      expect(r, `${target} ran the scale scenario`).toBeDefined();
      expect(r?.error, `${target}: ${r?.error}`).toBeUndefined();
      expect(r?.checks).toEqual({ connectErrors: 0, notConnected: 0, lost: 0, outOfOrder: 0 });
      expect(r?.counts?.connections).toBe(500);
      // one broadcast, then 5, to each of the 500
      expect(r?.counts?.delivered).toBe(500 * 6);
    }
  }, 120_000);
});

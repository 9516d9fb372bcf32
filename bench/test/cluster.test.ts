// Smoke test of the cluster scenarios (two server processes + Redis per measurement) in
// quick mode: every broadcast delivered in order on both nodes, every cross-node ack
// matched, every fetchSockets answer complete. Counts only, never timings. Needs Redis on
// 127.0.0.1:6379: with CI=true a missing Redis fails the run (run.js exits 1).
import { afterAll, describe, expect, it } from "vitest";
import { benchRunner } from "./run-bench.js";

const bench = benchRunner("sb-bench-cluster-");
const runBench = bench.run;
afterAll(() => bench.cleanup());

describe("bench cluster scenarios (2 nodes + Redis)", () => {
  it("delivers every cluster broadcast, answers every cross-node ack and every fetchSockets", async () => {
    const { records } = await runBench([
      "--quick",
      "--only",
      "cluster-broadcast,cluster-ack,cluster-fetch",
    ]);
    const find = (variant: string, target: string) =>
      records.find((r) => r.variant === variant && r.target === target);
    for (const target of ["switchboard", "socketio", "raw-ws"]) {
      const b = find("cluster-broadcast", target);
      expect(b, `${target} ran the cluster broadcast (Redis on 127.0.0.1:6379?)`).toBeDefined();
      expect(b?.error, `${target}: ${b?.error}`).toBeUndefined();
      // quick mode: 200 clients, 100 on each node, 30 events each
      expect(b?.counts?.clients).toBe(200);
      expect(b?.counts?.delivered).toBe(200 * 30);
      expect(b?.checks).toEqual({
        connectErrors: 0,
        lost: 0,
        outOfOrder: 0,
        unexpected: 0,
        badFrames: 0,
      });
    }
    for (const target of ["switchboard", "socketio"]) {
      const a = find("cluster-ack", target);
      expect(a?.error, `${target}: ${a?.error}`).toBeUndefined();
      expect(a?.counts?.roundTrips).toBeGreaterThan(0);
      expect(a?.checks).toEqual({ connectErrors: 0, ackMismatches: 0, lostAcks: 0 });
      const f = find("cluster-fetch", target);
      expect(f?.error, `${target}: ${f?.error}`).toBeUndefined();
      expect(f?.counts?.calls).toBeGreaterThan(0);
      expect(f?.checks).toEqual({ connectErrors: 0, wrongAnswers: 0, failedCalls: 0 });
    }
    // raw ws has no request/response over plain pub/sub: no ack or fetch run for it
    expect(find("cluster-ack", "raw-ws")).toBeUndefined();
    expect(find("cluster-fetch", "raw-ws")).toBeUndefined();
  }, 120_000);
});

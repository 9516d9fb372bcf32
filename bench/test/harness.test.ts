// Smoke test of the bench harness: one tiny scenario end to end (orchestrator, pinned
// server and generator processes, lean protocol client) against all three servers.
// Asserts counts and ordering only, never timings.
import { afterAll, describe, expect, it } from "vitest";
import { benchRunner } from "./run-bench.js";

const bench = benchRunner("sb-bench-");
const runBench = bench.run;
afterAll(() => bench.cleanup());

describe("bench harness", () => {
  it("delivers every room broadcast and poll answer in order, and every ack, on all three servers", async () => {
    const { records } = await runBench([
      "--quick",
      "--only",
      "broadcast-room,ack-echo,long-polling",
      "--rounds",
      "1",
    ]);
    for (const target of ["switchboard", "socketio", "raw-ws"]) {
      const room = records.find((r) => r.variant === "broadcast-room" && r.target === target);
      expect(room, `${target} ran the room broadcast`).toBeDefined();
      expect(room?.error, `${target}: ${room?.error}`).toBeUndefined();
      expect(room?.counts?.delivered).toBeGreaterThan(0);
      expect(room?.counts?.delivered).toBe(room?.counts?.expected);
      expect(room?.checks).toEqual({
        connectErrors: 0,
        lost: 0,
        outOfOrder: 0,
        unexpected: 0,
        badFrames: 0,
      });
      const echo = records.find((r) => r.variant === "ack-echo" && r.target === target);
      expect(echo?.error, `${target}: ${echo?.error}`).toBeUndefined();
      expect(echo?.counts?.roundTrips).toBeGreaterThan(0);
      expect(echo?.checks).toEqual({ connectErrors: 0, ackMismatches: 0, lostAcks: 0 });
      const poll = records.find((r) => r.variant === "long-polling" && r.target === target);
      expect(poll?.error, `${target}: ${poll?.error}`).toBeUndefined();
      expect(poll?.checks).toEqual({ connectErrors: 0, lost: 0, outOfOrder: 0, badFrames: 0 });
      // Quick mode: 20 polling clients, 40 events each; every client got at least one
      // answer with events, and no answer is counted without one.
      const clients = poll?.counts?.clients ?? 0;
      expect(clients).toBe(20);
      expect(poll?.counts?.delivered).toBe(clients * 40);
      expect(poll?.counts?.answers).toBeGreaterThanOrEqual(clients);
      expect(poll?.counts?.answers).toBeLessThanOrEqual(clients * 40);
    }
  }, 120_000);
});

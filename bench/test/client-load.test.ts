// Smoke test of the client scenarios (client-load: N instances of a client library in one
// process; browser-decode: the browser bundles in headless Chromium) in quick mode: every
// client library connects all its instances, receives every broadcast in order and gets
// every ack back; every bundle decodes every event of the burst. Counts only, no timings.
import { afterAll, describe, expect, it } from "vitest";
import { benchRunner } from "./run-bench.js";

const bench = benchRunner("sb-bench-client-");
afterAll(() => bench.cleanup());

describe("bench client scenarios", () => {
  it("runs N client instances of each library against the Switchboard server, losing nothing", async () => {
    const { records } = await bench.run(["--quick", "--only", "client-100", "--rounds", "1"]);
    for (const target of ["switchboard", "socketio", "raw-ws"]) {
      const r = records.find((x) => x.variant === "client-100" && x.target === target);
      expect(r, `${target} ran client-100`).toBeDefined();
      expect(r?.error, `${target}: ${r?.error}`).toBeUndefined();
      expect(r?.counts?.clients).toBe(100);
      // quick mode: 20,000 deliveries over 100 instances
      expect(r?.counts?.delivered).toBe(20_000);
      expect(r?.counts?.roundTrips).toBeGreaterThan(0);
      expect(r?.checks).toEqual({
        connectErrors: 0,
        notConnected: 0,
        lost: 0,
        outOfOrder: 0,
        badPayloads: 0,
        ackMismatches: 0,
        lostAcks: 0,
      });
    }
  }, 120_000);

  it("decodes every event of a burst with both browser bundles, replayed and over a socket", async () => {
    const { records } = await bench.run([
      "--quick",
      "--only",
      "browser-replay-binary,browser-decode",
      "--rounds",
      "1",
    ]);
    for (const target of ["switchboard", "socketio"]) {
      for (const [variant, events] of [
        ["browser-replay-binary", 2500],
        ["browser-decode", 2000],
      ] as const) {
        const r = records.find((x) => x.variant === variant && x.target === target);
        expect(r?.error, `${variant} ${target}: ${r?.error}`).toBeUndefined();
        expect(r?.counts?.events).toBe(events);
        expect(r?.checks).toEqual({ lost: 0, outOfOrder: 0, badAttachments: 0, pageErrors: 0 });
      }
    }
  }, 120_000);
});

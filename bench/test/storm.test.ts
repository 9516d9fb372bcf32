// Smoke test of the reconnect storm (scenarios/cluster-storm.js) in quick mode: 1000
// socket.io-client clients over 3 server processes + Redis, the third node SIGKILLed. The
// harness must hold for both targets (every client connected, every affected one back, no
// tick lost or doubled for a client that was not on the killed node); with Switchboard's
// cluster-wide recovery every affected client must recover with no tick lost, doubled or
// reordered. socket.io's figures are reported, not asserted. Counts only, never timings.
// Needs Redis on 127.0.0.1:6379 (with CI=true a missing Redis fails run.js).
import { afterAll, describe, expect, it } from "vitest";
import { benchRunner } from "./run-bench.js";

const bench = benchRunner("sb-bench-storm-");
afterAll(() => bench.cleanup());

describe("bench reconnect storm (3 nodes + Redis, one killed)", () => {
  it("brings every client of the killed node back; Switchboard recovers each without loss", async () => {
    const { records } = await bench.run(["--quick", "--only", "reconnect-storm"]);
    for (const target of ["switchboard", "socketio"]) {
      const r = records.find((x) => x.variant === "reconnect-storm" && x.target === target);
      expect(r, `${target} ran the storm (Redis on 127.0.0.1:6379?)`).toBeDefined();
      expect(r?.error, `${target}: ${r?.error}`).toBeUndefined();
      // quick mode: 1000 clients, client i first on node i mod 3: 333 on the killed node
      expect(r?.counts?.clients).toBe(1000);
      expect(r?.counts?.onVictim).toBe(333);
      expect(r?.counts?.affected).toBe(333);
      expect(r?.counts?.ticks).toBeGreaterThan(0);
      expect(r?.checks).toEqual({
        connectErrors: 0,
        notReconnected: 0,
        unaffectedLost: 0,
        unaffectedDuplicated: 0,
        unaffectedDisconnected: 0,
        badPayloads: 0,
        noWelcome: 0,
      });
    }
    const sb = records.find((x) => x.variant === "reconnect-storm" && x.target === "switchboard");
    expect(sb?.counts?.recovered).toBe(333);
    expect(sb?.counts?.nodeRecovered).toBe(333);
    expect(sb?.counts?.lost).toBe(0);
    expect(sb?.counts?.duplicated).toBe(0);
    expect(sb?.counts?.reordered).toBe(0);
    // the kill came after the first ticks: each recovered client got some replayed
    expect(sb?.counts?.replayed).toBeGreaterThan(0);
    expect(records.find((x) => x.target === "raw-ws")).toBeUndefined();
  }, 120_000);
});

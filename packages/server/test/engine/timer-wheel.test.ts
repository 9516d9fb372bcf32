import { describe, expect, it } from "vitest";
import { grainOf, MAX_GRAIN_MS, TimerEntry, TimerWheel } from "../../src/engine/timer-wheel.js";
import { until } from "./helpers.js";

function liveTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

describe("shared timer wheel", () => {
  it("fires entries in deadline order, skips disarmed ones, re-arms, and drops its timer when empty", async () => {
    const fired: string[] = [];
    const wheel = new TimerWheel<string>((name) => fired.push(name));
    const before = liveTimeouts();
    const a = new TimerEntry("a");
    const b = new TimerEntry("b");
    const c = new TimerEntry("c");
    wheel.arm(a, 5);
    wheel.arm(b, 5);
    wheel.arm(c, 5);
    expect(liveTimeouts()).toBe(before + 1); // one timer for the whole list
    wheel.disarm(b);
    wheel.arm(a, 5); // re-armed: moves behind c
    expect(wheel.armed).toBe(2);
    await until(() => fired.length === 2);
    expect(fired).toEqual(["c", "a"]);
    expect(wheel.armed).toBe(0);
    expect(liveTimeouts()).toBe(before);
    wheel.arm(b, 1);
    wheel.disarm(b);
    wheel.disarm(b); // idle: no-op
    expect(liveTimeouts()).toBe(before);
  });

  it("keeps separate lists per duration", async () => {
    const fired: string[] = [];
    const wheel = new TimerWheel<string>((name) => fired.push(name));
    wheel.arm(new TimerEntry("long"), 40);
    wheel.arm(new TimerEntry("short"), 1);
    await until(() => fired.length === 2);
    expect(fired).toEqual(["short", "long"]);
  });

  it("rounds deadlines up to 1% of the duration (at most MAX_GRAIN_MS): never early, at most a grain late", () => {
    expect(grainOf(50)).toBe(1);
    expect(grainOf(250)).toBe(2);
    expect(grainOf(5000)).toBe(50);
    expect(grainOf(25_000)).toBe(MAX_GRAIN_MS);
    expect(grainOf(20_000)).toBe(MAX_GRAIN_MS);
    const wheel = new TimerWheel<number>(() => {});
    const entries: TimerEntry<number>[] = [];
    for (let i = 0; i < 200; i++) {
      const e = new TimerEntry(i);
      const before = performance.now();
      wheel.arm(e, 25_000);
      const after = performance.now();
      expect(e.due).toBeGreaterThanOrEqual(before + 25_000);
      expect(e.due).toBeLessThanOrEqual(after + 25_000 + MAX_GRAIN_MS);
      expect(e.due % MAX_GRAIN_MS).toBe(0);
      entries.push(e);
    }
    // in deadline order still
    for (let i = 1; i < entries.length; i++) {
      expect(entries[i]!.due).toBeGreaterThanOrEqual(entries[i - 1]!.due);
    }
    for (const e of entries) wheel.disarm(e);
    expect(wheel.armed).toBe(0);
  });

  it("fires the entries of one grain in one timer callback, none before its time", async () => {
    const entries = Array.from({ length: 20 }, (_, i) => new TimerEntry(i));
    /** when each entry fired, and in which macrotask (bumped by a 0 ms interval) */
    const firedAt: number[] = [];
    const firedIn: number[] = [];
    let macrotask = 0;
    const bump = setInterval(() => macrotask++, 0);
    const wheel = new TimerWheel<number>((i) => {
      firedAt[i] = performance.now();
      firedIn[i] = macrotask;
    });
    const start = performance.now();
    for (const [i, e] of entries.entries()) {
      wheel.arm(e, 400); // grain 4 ms
      while (performance.now() - start < (i + 1) * 0.1) {
        // ~0.1 ms between two arms: a few entries per grain
      }
    }
    const due = entries.map((e) => e.due);
    await until(() => firedAt.length === 20 && !firedAt.includes(undefined as never));
    clearInterval(bump);
    for (let i = 0; i < 20; i++) {
      // Node's timers may fire up to 1 ms early, which the wheel allows for
      expect(firedAt[i]).toBeGreaterThanOrEqual(due[i]! - 1);
      // the entries of one grain share a deadline, and fire in the same callback
      for (let k = 0; k < i; k++) if (due[k] === due[i]) expect(firedIn[k]).toBe(firedIn[i]);
    }
    expect(new Set(due).size).toBeLessThan(20);
  });
});

import { describe, expect, it } from "vitest";
import { TimerEntry, TimerWheel } from "../../src/engine/timer-wheel.js";
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
});

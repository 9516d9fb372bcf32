import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff.js";

describe("Backoff", () => {
  it("doubles from min up to max without jitter", () => {
    const backoff = new Backoff({
      reconnectionDelay: 100,
      reconnectionDelayMax: 1000,
      randomizationFactor: 0,
    });
    expect([1, 2, 3, 4, 5, 6].map(() => backoff.duration())).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoff.attempts).toBe(6);
    backoff.reset();
    expect(backoff.duration()).toBe(100);
  });

  it("reads its options at each attempt (the Manager's setters change them in place)", () => {
    const opts = { reconnectionDelay: 100, reconnectionDelayMax: 1000, randomizationFactor: 0 };
    const backoff = new Backoff(opts);
    expect(backoff.duration()).toBe(100);
    opts.reconnectionDelay = 300;
    expect(backoff.duration()).toBe(600);
    opts.reconnectionDelayMax = 500;
    expect(backoff.duration()).toBe(500);
  });

  it("keeps each jittered delay within ±factor of the base and under max", () => {
    const backoff = new Backoff({
      reconnectionDelay: 100,
      reconnectionDelayMax: 5000,
      randomizationFactor: 0.5,
    });
    for (let round = 0; round < 200; round++) {
      backoff.reset();
      for (let attempt = 0; attempt < 8; attempt++) {
        const base = 100 * 2 ** attempt;
        const delay = backoff.duration();
        expect(delay).toBeGreaterThanOrEqual(Math.floor(Math.min(base * 0.5, 5000)));
        expect(delay).toBeLessThanOrEqual(Math.min(base * 1.5, 5000));
      }
    }
  });
});

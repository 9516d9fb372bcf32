import { describe, expect, it } from "vitest";
import {
  carriedSessions,
  type Flushable,
  SLICE_CHECK,
  SLICE_MS,
  scheduleFlush,
} from "../../src/engine/flush-rounds.js";
import type { FrameBatch } from "../../src/engine/framing.js";
import { until } from "./helpers.js";

/** Holds the thread for `ms` (a write syscall stands in for this in a real round). */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

class Fake implements Flushable {
  flushes = 0;
  /** Messages queued since the last flush, and the size of each flush's write. */
  queued = 0;
  writes: number[] = [];
  scheduled = false;
  constructor(
    readonly cost: number,
    readonly log: Fake[],
  ) {}
  queue(): void {
    this.queued++;
    if (!this.scheduled) {
      this.scheduled = true;
      scheduleFlush(this, false);
    }
  }
  flushInRound(_batch: FrameBatch): void {
    this.scheduled = false;
    this.flushes++;
    this.writes.push(this.queued);
    this.queued = 0;
    this.log.push(this);
    spin(this.cost);
  }
}

describe("flush rounds", () => {
  it("carry a round that outlasts the slice over to later iterations, letting timers run, each session flushed once", async () => {
    const log: Fake[] = [];
    // each SLICE_CHECK flushes outlast the slice: 8 slices of 1.25 × SLICE_MS
    const perFlush = (1.25 * SLICE_MS) / SLICE_CHECK;
    const sessions = Array.from({ length: 8 * SLICE_CHECK }, () => new Fake(perFlush, log));
    for (const s of sessions) s.queue();
    let timerRanAt = -1;
    setTimeout(() => {
      timerRanAt = log.length;
    }, 0);
    await Promise.resolve();
    await Promise.resolve();
    // the first slice ran in the microtask, not the whole round
    expect(log.length).toBe(SLICE_CHECK);
    expect(carriedSessions()).toBe(sessions.length - log.length);
    await until(() => carriedSessions() === 0);
    expect(log.length).toBe(sessions.length);
    expect(new Set(log).size).toBe(sessions.length); // in order, each once
    expect(log).toEqual(sessions);
    // the timer ran before the round was done
    expect(timerRanAt).toBeGreaterThan(0);
    expect(timerRanAt).toBeLessThan(sessions.length);
  });

  it("a carried session takes what is queued meanwhile in its one write", async () => {
    const log: Fake[] = [];
    const perFlush = (1.25 * SLICE_MS) / SLICE_CHECK;
    const sessions = Array.from({ length: 2 * SLICE_CHECK }, () => new Fake(perFlush, log));
    for (const s of sessions) s.queue();
    await Promise.resolve();
    await Promise.resolve();
    const firstSlice = log.length;
    expect(firstSlice).toBe(SLICE_CHECK);
    // a second "broadcast" while the round is carried
    for (const s of sessions) s.queue();
    await until(() => carriedSessions() === 0 && sessions.every((s) => s.queued === 0));
    for (const [i, s] of sessions.entries()) {
      // every message written once: flushed ones write again, carried ones write both at once
      expect(s.writes.reduce((a, b) => a + b, 0)).toBe(2);
      if (i >= firstSlice) expect(s.writes).toEqual([2]);
      else expect(s.writes).toEqual([1, 1]);
    }
  });

  it("never looks at the clock for a round of up to SLICE_CHECK sessions", async () => {
    const log: Fake[] = [];
    const sessions = Array.from({ length: SLICE_CHECK }, () => new Fake(0.1, log));
    for (const s of sessions) s.queue();
    await Promise.resolve();
    await Promise.resolve();
    // 25 ms past the slice, but in one go
    expect(log.length).toBe(sessions.length);
    expect(carriedSessions()).toBe(0);
  });
});

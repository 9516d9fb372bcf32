import { describe, expect, it } from "vitest";
import { resolveRateLimit, SocketLimiter } from "./rate-limit.js";

/** Token bucket arithmetic on a fake clock (ms); no sockets. */
describe("SocketLimiter", () => {
  it("allows a burst of `points`, then one event per duration/points", () => {
    const limiter = new SocketLimiter(resolveRateLimit({ points: 3, duration: 300 }), 0);
    expect([0, 0, 0].map((t) => limiter.check("a", t))).toEqual([0, 0, 0]);
    expect(limiter.check("a", 0)).toBe(1);
    expect(limiter.retryAfter).toBe(100);
    expect(limiter.check("a", 60)).toBe(1);
    expect(limiter.retryAfter).toBe(40);
    expect(limiter.check("a", 100)).toBe(0);
    // refills up to `points` only
    expect([0, 0, 0, 1].map(() => limiter.check("a", 10_000))).toEqual([0, 0, 0, 1]);
  });

  it("checks an event's own bucket before the socket's", () => {
    const limiter = new SocketLimiter(
      resolveRateLimit({
        points: 10,
        duration: 1000,
        perEvent: { chat: { points: 1, duration: 1000 } },
      }),
      0,
    );
    expect(limiter.check("chat", 0)).toBe(0);
    expect(limiter.check("chat", 0)).toBe(1);
    expect(limiter.retryAfter).toBe(1000);
    expect(limiter.check("other", 0)).toBe(0);
    expect(limiter.check("chat", 1000)).toBe(0);
  });

  it("asks for a disconnect after maxViolations refusals within one duration, counting anew each window", () => {
    const limiter = new SocketLimiter(
      resolveRateLimit({ points: 1, duration: 1_000_000, maxViolations: 2 }),
      0,
    );
    expect(limiter.check("a", 0)).toBe(0);
    expect(limiter.check("a", 1)).toBe(1);
    expect(limiter.check("a", 2)).toBe(1);
    expect(limiter.check("a", 3)).toBe(2);
    const fresh = new SocketLimiter(
      resolveRateLimit({ points: 1, duration: 100, maxViolations: 1 }),
      0,
    );
    expect(fresh.check("a", 0)).toBe(0);
    expect(fresh.check("a", 1)).toBe(1);
    expect(fresh.check("a", 150)).toBe(0); // refilled
    expect(fresh.check("a", 151)).toBe(1); // a new window: first violation again
  });

  it("rejects invalid options with SB_ERR_INVALID_OPTION", () => {
    for (const bad of [
      { points: 0, duration: 1000 },
      { points: 1.5, duration: 1000 },
      { points: 1, duration: 0 },
      { points: 1, duration: 1000, maxViolations: -1 },
      { points: 1, duration: 1000, perEvent: { x: { points: 1, duration: -1 } } },
    ]) {
      expect(() => resolveRateLimit(bad)).toThrow(
        expect.objectContaining({ code: "SB_ERR_INVALID_OPTION" }),
      );
    }
    expect(resolveRateLimit({ points: 5, duration: 1000 })).toMatchObject({
      maxViolations: 5,
      notify: true,
    });
  });
});

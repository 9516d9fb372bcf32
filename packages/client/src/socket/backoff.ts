/**
 * Exponential backoff with jitter: attempt n (from 0) waits `min * 2^n`, moved up or down by
 * up to `jitter * 100` percent at random, capped at `max` (milliseconds).
 */
export class Backoff {
  /** Attempts since the last reset. */
  attempts = 0;
  min: number;
  max: number;
  jitter: number;

  constructor(min: number, max: number, jitter: number) {
    this.min = min;
    this.max = max;
    this.jitter = jitter;
  }

  /** The delay before the next attempt, in milliseconds; counts one attempt. */
  duration(): number {
    const base = this.min * 2 ** this.attempts++;
    const ms = base * (1 + (Math.random() * 2 - 1) * this.jitter);
    return Math.max(0, Math.floor(Math.min(ms, this.max)));
  }

  reset(): void {
    this.attempts = 0;
  }
}

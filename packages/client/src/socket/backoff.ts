/** The options a {@link Backoff} reads (the Manager's own, so its setters need no copy). */
export interface BackoffOptions {
  /** First delay, in milliseconds. */
  readonly reconnectionDelay: number;
  /** Largest delay, in milliseconds. */
  readonly reconnectionDelayMax: number;
  /** Jitter: each delay moves by up to ±this fraction. */
  readonly randomizationFactor: number;
}

/**
 * Exponential backoff with jitter: attempt n (from 0) waits `reconnectionDelay * 2^n`, moved
 * up or down by up to `randomizationFactor * 100` percent at random, capped at
 * `reconnectionDelayMax` (milliseconds). The options are read at each attempt.
 */
export class Backoff {
  /** Attempts since the last reset. */
  attempts = 0;
  readonly #opts: BackoffOptions;

  constructor(opts: BackoffOptions) {
    this.#opts = opts;
  }

  /** The delay before the next attempt, in milliseconds; counts one attempt. */
  duration(): number {
    const { reconnectionDelay, reconnectionDelayMax, randomizationFactor } = this.#opts;
    const base = reconnectionDelay * 2 ** this.attempts++;
    const ms = base * (1 + (Math.random() * 2 - 1) * randomizationFactor);
    return Math.max(0, Math.floor(Math.min(ms, reconnectionDelayMax)));
  }

  reset(): void {
    this.attempts = 0;
  }
}

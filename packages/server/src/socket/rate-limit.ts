import { SocketErrorCode, SocketTypeError } from "./errors.js";

/**
 * Token buckets that limit how many events a client may send (issue 18). Each socket gets
 * its own buckets, made on its first event and dropped with the socket: nothing is shared
 * between nodes and nothing outlives a connection, so memory is bounded by the live sockets
 * (one bucket each, plus one per `perEvent` entry the client used). Checking an event
 * allocates nothing: a bucket is two numbers refilled from the clock when read.
 */

/** The size and refill of one bucket. */
export interface BucketOptions {
  /** Events allowed in a burst, and per `duration`. A positive integer. */
  points: number;
  /** Time in which `points` events are allowed (the bucket refills at `points / duration`), ms. */
  duration: number;
}

/**
 * The `rateLimit` option of the server (every namespace) or of {@link Namespace.rateLimit}.
 *
 * An event over the limit never reaches `socket.use` middlewares, catch-all listeners or
 * handlers. The client hears why: an ack with `{ error: { code: "SB_ERR_RATE_LIMITED",
 * event, retryAfter } }` when it asked for one, else an `error` event with that same
 * object (unless `notify` is false). A socket whose events are refused more than
 * `maxViolations` times within one `duration` is disconnected with reason `"rate limited"`
 * (its client sees `"io server disconnect"`).
 *
 * @example
 * ```ts
 * const io = new Server(httpServer, {
 *   // 20 events per second per socket; "chat" at most 5 per 10 s on top of that.
 *   rateLimit: { points: 20, duration: 1000, perEvent: { chat: { points: 5, duration: 10_000 } } },
 * });
 * ```
 */
export interface RateLimitOptions extends BucketOptions {
  /** Buckets of their own for some events, checked before the socket's bucket. Default none. */
  perEvent?: Record<string, BucketOptions>;
  /**
   * Refused events within one `duration` (of the socket's bucket) after which the socket is
   * disconnected with reason `"rate limited"`. `Infinity` never disconnects. Default
   * `points` (a client sending about twice its allowance).
   */
  maxViolations?: number;
  /** Tell a client without an ack about each refused event (an `error` event). Default true. */
  notify?: boolean;
}

/** A validated {@link RateLimitOptions}, refill rates precomputed (points per ms). */
export interface ResolvedRateLimit {
  readonly points: number;
  readonly rate: number;
  readonly duration: number;
  readonly perEvent: ReadonlyMap<string, { readonly points: number; readonly rate: number }>;
  readonly maxViolations: number;
  readonly notify: boolean;
}

/** Validates `opts` (a {@link SocketTypeError} `SB_ERR_INVALID_OPTION` when wrong). */
export function resolveRateLimit(opts: RateLimitOptions, name = "rateLimit"): ResolvedRateLimit {
  if (typeof opts !== "object" || opts === null) {
    throw invalid(`option ${name} must be an object`);
  }
  checkBucket(opts, name);
  const perEvent = new Map<string, { points: number; rate: number }>();
  for (const [event, bucket] of Object.entries(opts.perEvent ?? {})) {
    checkBucket(bucket, `${name}.perEvent.${event}`);
    perEvent.set(event, { points: bucket.points, rate: bucket.points / bucket.duration });
  }
  const maxViolations = opts.maxViolations ?? opts.points;
  if (typeof maxViolations !== "number" || !(maxViolations >= 0)) {
    throw invalid(`option ${name}.maxViolations must be a number >= 0`);
  }
  return {
    points: opts.points,
    rate: opts.points / opts.duration,
    duration: opts.duration,
    perEvent,
    maxViolations,
    notify: opts.notify ?? true,
  };
}

function checkBucket(bucket: BucketOptions, name: string): void {
  if (typeof bucket !== "object" || bucket === null) throw invalid(`${name} must be an object`);
  if (!Number.isInteger(bucket.points) || !(bucket.points > 0)) {
    throw invalid(`${name}.points must be a positive integer`);
  }
  if (typeof bucket.duration !== "number" || !(bucket.duration > 0)) {
    throw invalid(`${name}.duration must be a positive number (ms)`);
  }
}

function invalid(message: string): SocketTypeError {
  return new SocketTypeError(SocketErrorCode.INVALID_OPTION, message);
}

/** One token bucket: starts full, refills continuously. */
class TokenBucket {
  #tokens: number;
  #updated: number;
  readonly #points: number;
  readonly #rate: number;

  constructor(points: number, rate: number, now: number) {
    this.#tokens = points;
    this.#points = points;
    this.#rate = rate;
    this.#updated = now;
  }

  /** Takes a token: 0 when there was one, else the ms until there is one. */
  take(now: number): number {
    let tokens = this.#tokens + (now - this.#updated) * this.#rate;
    if (tokens > this.#points) tokens = this.#points;
    this.#updated = now;
    if (tokens >= 1) {
      this.#tokens = tokens - 1;
      return 0;
    }
    this.#tokens = tokens;
    return Math.ceil((1 - tokens) / this.#rate);
  }
}

/** What {@link SocketLimiter.check} decided about one event. */
export type LimitVerdict =
  /** Let it through. */
  | 0
  /** Refuse it. */
  | 1
  /** Refuse it and disconnect the socket (`maxViolations` reached). */
  | 2;

/** The buckets of one socket. Owned by the socket; dies with it. */
export class SocketLimiter {
  readonly config: ResolvedRateLimit;
  readonly #bucket: TokenBucket;
  #events: Map<string, TokenBucket> | undefined;
  #violations = 0;
  #windowStart = 0;
  /** After a refusal: ms until the refusing bucket has a token again. */
  retryAfter = 0;

  constructor(config: ResolvedRateLimit, now: number) {
    this.config = config;
    this.#bucket = new TokenBucket(config.points, config.rate, now);
  }

  /** Takes a token for `event` from its own bucket (if it has one) and the socket's. */
  check(event: string, now: number): LimitVerdict {
    const config = this.config;
    let wait = 0;
    if (config.perEvent.size !== 0) {
      const own = config.perEvent.get(event);
      if (own !== undefined) {
        this.#events ??= new Map();
        let bucket = this.#events.get(event);
        if (bucket === undefined) {
          bucket = new TokenBucket(own.points, own.rate, now);
          this.#events.set(event, bucket);
        }
        wait = bucket.take(now);
      }
    }
    if (wait === 0) wait = this.#bucket.take(now);
    if (wait === 0) return 0;
    this.retryAfter = wait;
    if (now - this.#windowStart >= config.duration) {
      this.#windowStart = now;
      this.#violations = 0;
    }
    this.#violations++;
    return this.#violations > config.maxViolations ? 2 : 1;
  }
}

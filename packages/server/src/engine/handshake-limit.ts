import type { IncomingMessage } from "node:http";

/**
 * Per-client limit on new sessions (the `handshakeRateLimit` engine option): a token
 * bucket per key — the peer's IP address unless `key` says otherwise (behind a proxy, the
 * client's address from a header the proxy sets). Requests of live sessions are not counted.
 */
export interface HandshakeRateLimitOptions {
  /** Handshakes in a burst, and per `duration`. */
  points: number;
  /** ms in which a key's bucket refills `points`. */
  duration: number;
  /** The key of a request. Default: `req.socket.remoteAddress`. */
  key?: ((req: IncomingMessage) => string) | undefined;
  /**
   * Most keys tracked at once. When full, the keys whose bucket refilled are forgotten; if
   * none did, a new key is let through untracked (fail open: the limit is per client, and
   * one client cannot fill the table). Default 100000.
   */
  maxKeys?: number | undefined;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** The handshake buckets of one engine server: O(1) per handshake, bounded by `maxKeys`. */
export class HandshakeLimiter {
  readonly #points: number;
  readonly #duration: number;
  readonly #key: (req: IncomingMessage) => string;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: HandshakeRateLimitOptions) {
    this.#points = options.points;
    this.#duration = options.duration;
    this.#key = options.key ?? ((req) => req.socket.remoteAddress ?? "");
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  /** Keys tracked now (for leak checks and monitoring). */
  get size(): number {
    return this.#buckets.size;
  }

  /** Take one handshake for `req`'s key: false when its bucket is empty (refuse). */
  take(req: IncomingMessage, now = Date.now()): boolean {
    let key: string;
    try {
      key = this.#key(req);
    } catch {
      key = req.socket.remoteAddress ?? "";
    }
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys && !this.#sweep(now)) return true;
      bucket = { tokens: this.#points, at: now };
      this.#buckets.set(key, bucket);
    } else {
      const refill = ((now - bucket.at) * this.#points) / this.#duration;
      bucket.tokens = Math.min(this.#points, bucket.tokens + refill);
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** ms until `req`'s key has a token again (0 when it has one). */
  retryAfter(req: IncomingMessage, now = Date.now()): number {
    const bucket = this.#buckets.get(this.#key(req));
    if (bucket === undefined || bucket.tokens >= 1) return 0;
    return Math.ceil(((1 - bucket.tokens) * this.#duration) / this.#points - (now - bucket.at));
  }

  /** Forget the keys whose bucket refilled; true when room was made. */
  #sweep(now: number): boolean {
    for (const [key, bucket] of this.#buckets) {
      if (now - bucket.at >= this.#duration) this.#buckets.delete(key);
    }
    return this.#buckets.size < this.#maxKeys;
  }

  /** Drop every key whose bucket refilled (called on a timer). */
  sweep(now = Date.now()): void {
    this.#sweep(now);
  }
}

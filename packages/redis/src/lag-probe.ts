import { randomBytes } from "node:crypto";
import debugModule from "debug";
import type { MessageListener, RedisClient } from "./redis-client.js";

const debug = debugModule("switchboard:redis:lag");

/** How a {@link LagProbe} publishes and subscribes. */
export interface LagProbeOptions {
  /** Time between two probes, ms (> 0). */
  interval: number;
  /** Prefix of the probe's channel; the probe's random id and `#` follow. */
  channelPrefix: string;
  /** SPUBLISH / SSUBSCRIBE (the sharded adapter) instead of PUBLISH / SUBSCRIBE. */
  sharded: boolean;
}

/**
 * The publish lag of one Redis connection pair: every `interval` ms the publisher sends a
 * small probe on a channel of its own (`<channelPrefix><random id>#`), which only this
 * probe's subscriber listens to, and the time until it comes back through the subscriber
 * is the lag — the same path, and the same queues, as the adapter's broadcasts.
 *
 * One probe per `createAdapter` / `createShardedAdapter` call, shared by the adapters of
 * every namespace (probing per namespace would multiply the traffic without measuring
 * anything else): each adapter {@link acquire}s it in `init` and releases it in `close`;
 * the timer and the subscription live while one adapter holds it.
 *
 * No other node listens on the channel: socket.io's @socket.io/redis-adapter subscribes
 * `<key>#<nsp>#*`, `<key>-request#…` and `<key>-response#…`, other Switchboard nodes their
 * own probe channels, and `PUBSUB NUMSUB` / `SHARDNUMSUB` (the node counts) is read on the
 * request and namespace channels only.
 *
 * At most one probe is in flight. One not back by the next tick is lost: the lag is then
 * that bound (the interval), as it is while Redis is down (no probe is sent then).
 */
export class LagProbe {
  readonly #pub: RedisClient;
  readonly #sub: RedisClient;
  readonly #interval: number;
  readonly #sharded: boolean;
  readonly #channel: string;
  #holders = 0;
  #timer: NodeJS.Timeout | undefined;
  #seq = 0;
  /** The probe in flight: its sequence number and `performance.now()` at sending; 0: none. */
  #pendingSeq = 0;
  #sentAt = 0;
  /** Seconds; undefined until a probe came back (or was lost). */
  #lag: number | undefined;
  #lost = 0;
  readonly #listener: MessageListener = (_channel, message) => this.#onMessage(message);

  constructor(pub: RedisClient, sub: RedisClient, options: LagProbeOptions) {
    this.#pub = pub;
    this.#sub = sub;
    this.#interval = options.interval;
    this.#sharded = options.sharded;
    this.#channel = `${options.channelPrefix}${randomBytes(8).toString("hex")}#`;
  }

  /** The probe's channel (tests, `redis-cli monitor`). */
  get channel(): string {
    return this.#channel;
  }

  /**
   * The publish lag, seconds: the round trip of the last probe, or, while the probe in
   * flight has waited longer than that, the time it has waited (at most the interval).
   * `undefined` before the first probe came back.
   */
  get lag(): number | undefined {
    if (this.#pendingSeq === 0 || this.#lag === undefined) return this.#lag;
    const waited = Math.min(this.#interval, performance.now() - this.#sentAt) / 1000;
    return Math.max(waited, this.#lag);
  }

  /** Probes that did not come back within the interval (or could not be sent). */
  get lost(): number {
    return this.#lost;
  }

  /** Whether the timer runs (leak checks). */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Takes a hold of the probe (started by the first); returns the function that lets go. */
  acquire(): () => void {
    if (this.#holders++ === 0) this.#start();
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (--this.#holders === 0) this.#stop();
    };
  }

  #start(): void {
    const subscribed = this.#sharded
      ? this.#sub.ssubscribe(this.#channel, this.#listener)
      : this.#sub.subscribe(this.#channel, this.#listener);
    subscribed.then(
      () => {
        // The first probe right away: a lag to read from the start.
        if (this.#timer !== undefined) this.#tick();
      },
      (err: unknown) => debug("subscribe %s failed: %s", this.#channel, err),
    );
    this.#timer = setInterval(() => this.#tick(), this.#interval);
    this.#timer.unref();
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#pendingSeq = 0;
    const undone = this.#sharded
      ? this.#sub.sunsubscribe(this.#channel, this.#listener)
      : this.#sub.unsubscribe(this.#channel, this.#listener);
    undone.catch((err: unknown) => debug("unsubscribe %s failed: %s", this.#channel, err));
  }

  #tick(): void {
    if (this.#pendingSeq !== 0) {
      // Not back within the interval: lost, counted as a lag of the interval.
      this.#pendingSeq = 0;
      this.#lost++;
      this.#lag = this.#interval / 1000;
      debug("probe %s lost", this.#channel);
    }
    if (this.#pub.state !== "ready" || this.#sub.state !== "ready") {
      // A probe queued by the client while disconnected would measure the outage's length.
      this.#lost++;
      this.#lag = this.#interval / 1000;
      return;
    }
    this.#seq = (this.#seq % 0x7fffffff) + 1;
    this.#pendingSeq = this.#seq;
    this.#sentAt = performance.now();
    // The payload: sequence number and monotonic send time (ms), for `redis-cli monitor`.
    const payload = `${this.#seq}:${this.#sentAt.toFixed(3)}`;
    const sent = this.#sharded
      ? this.#pub.spublish(this.#channel, payload)
      : this.#pub.publish(this.#channel, payload);
    sent.catch((err: unknown) => debug("probe publish failed: %s", err));
  }

  #onMessage(message: Buffer): void {
    const colon = message.indexOf(0x3a);
    const seq = Number(message.toString("latin1", 0, colon < 0 ? message.length : colon));
    // Only the probe in flight counts (a late one was counted lost already).
    if (this.#pendingSeq === 0 || seq !== this.#pendingSeq) return;
    this.#pendingSeq = 0;
    this.#lag = (performance.now() - this.#sentAt) / 1000;
  }
}

import debugModule from "debug";
import { RedisAdapterError, RedisAdapterErrorCode } from "./errors.js";
import type { RedisClient, RedisState } from "./redis-client.js";

const debug = debugModule("switchboard:redis:health");

/** What {@link ClientsHealth} tells its adapter. */
export interface HealthHandlers {
  /**
   * A client went down: what waits for answers may never get them (even when the other
   * client went first). `err` has the code `SB_ERR_REDIS_CONNECTION_LOST`.
   */
  onLost(err: RedisAdapterError): void;
  /** The combined state changed (the adapter emits its `"health"` event). */
  onChange(state: RedisState, err?: Error): void;
}

/**
 * The health of an adapter's two Redis clients: `"ready"` when both are connected, `"down"`
 * otherwise. Both adapters of the package (classic and sharded) keep one.
 */
export class ClientsHealth {
  readonly #pub: RedisClient;
  readonly #sub: RedisClient;
  readonly #handlers: HealthHandlers;
  readonly #label: string;
  #state: RedisState;
  /** Rejects of the promises {@link guard} follows. */
  readonly #guarded = new Set<(err: Error) => void>();

  constructor(pub: RedisClient, sub: RedisClient, label: string, handlers: HealthHandlers) {
    this.#pub = pub;
    this.#sub = sub;
    this.#label = label;
    this.#handlers = handlers;
    this.#state = this.#compute();
  }

  /** The current combined state. */
  get state(): RedisState {
    return this.#state;
  }

  /** Starts following both clients; returns the function that stops it. */
  watch(): () => void {
    const onState = (state: RedisState, err?: Error) => this.#onState(state, err);
    const stops = [this.#pub.onState(onState), this.#sub.onState(onState)];
    return () => {
      for (const stop of stops) stop();
    };
  }

  /**
   * Settles as `promise`, or fails with `SB_ERR_REDIS_CONNECTION_LOST` as soon as a client
   * goes down first: an ioredis command in flight when the connection drops is kept and
   * sent again after the reconnection, so a node count would wait for Redis to be back.
   */
  guard<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#guarded.add(reject);
      promise.then(resolve, reject).finally(() => this.#guarded.delete(reject));
    });
  }

  #compute(): RedisState {
    return this.#pub.state === "ready" && this.#sub.state === "ready" ? "ready" : "down";
  }

  #onState(state: RedisState, err?: Error): void {
    if (state === "down") {
      const lost = new RedisAdapterError(
        RedisAdapterErrorCode.REDIS_CONNECTION_LOST,
        "the Redis connection was lost while waiting for answers",
        { cause: err },
      );
      for (const reject of this.#guarded) reject(lost);
      this.#guarded.clear();
      this.#handlers.onLost(lost);
    }
    const next = this.#compute();
    if (next === this.#state) return;
    this.#state = next;
    debug("%s: Redis %s", this.#label, next);
    this.#handlers.onChange(next, err);
  }
}

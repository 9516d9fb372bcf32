import debugModule from "debug";
import { RedisAdapterError, RedisAdapterErrorCode } from "./errors.js";
import type { RedisClient } from "./redis-client.js";

const debug = debugModule("switchboard:redis:unsent");

/** Most answers one adapter keeps for sending once its publisher is back. */
export const MAX_UNSENT_ANSWERS = 100;

/** Options of {@link UnsentAnswers}. */
export interface UnsentAnswersOptions {
  /** Sends an answer (PUBLISH or SPUBLISH on the publisher). */
  send(channel: string, payload: Buffer | string): Promise<void>;
  /** An answer older than this (ms) is dropped: its requester stopped waiting. */
  maxAge: number;
  /** Most answers kept; beyond, the oldest is dropped. Default {@link MAX_UNSENT_ANSWERS}. */
  max?: number;
}

interface Unsent {
  channel: string;
  payload: Buffer | string;
  at: number;
}

/**
 * Answers to other nodes' requests that this node's publisher could not send: after a
 * Redis restart a subscriber may be back, and hear requests, before its publisher is, and
 * the requester (counting this node, whose subscription is back) would wait its whole
 * `requestsTimeout` for the lost answer (issue 16: about 1 fetchSockets in 10 through a
 * restart). Kept, bounded, and sent once the publisher is ready again.
 *
 * Only answers that never left this node are kept (`SB_ERR_REDIS_UNAVAILABLE`): one that
 * failed on the way (the connection broke under it) may have reached Redis, and sent twice
 * it would count as another node's answer.
 */
export class UnsentAnswers {
  readonly #pub: RedisClient;
  readonly #opts: Required<UnsentAnswersOptions>;
  readonly #answers: Unsent[] = [];

  constructor(pub: RedisClient, opts: UnsentAnswersOptions) {
    this.#pub = pub;
    this.#opts = { max: MAX_UNSENT_ANSWERS, ...opts };
  }

  /** Answers waiting for the publisher (for leak checks). */
  get size(): number {
    return this.#answers.length;
  }

  /** Starts sending the kept answers whenever the publisher is ready; returns the stop function. */
  watch(): () => void {
    return this.#pub.onState((state) => {
      if (state === "ready") this.#flush();
    });
  }

  /**
   * Sends an answer; if the publisher is down, keeps it for later. Never rejects: a failed
   * answer is logged (the requester ends at its timeout, or fails with its own connection).
   */
  send(channel: string, payload: Buffer | string): void {
    this.#attempt({ channel, payload, at: Date.now() });
  }

  /** Forgets every kept answer (the adapter closed). */
  clear(): void {
    this.#answers.length = 0;
  }

  #attempt(answer: Unsent): void {
    this.#opts.send(answer.channel, answer.payload).catch((err: unknown) => {
      if (!this.#keep(answer, err)) debug("answer on %s not sent: %s", answer.channel, err);
    });
  }

  #keep(answer: Unsent, err: unknown): boolean {
    const neverSent =
      err instanceof RedisAdapterError && err.code === RedisAdapterErrorCode.REDIS_UNAVAILABLE;
    if (!neverSent) return false;
    debug("answer on %s kept until the publisher is back", answer.channel);
    // Full: the oldest goes (its requester is the likeliest to have given up; under traffic
    // the answers to ack broadcasts sent while down filled it before a fetch's came).
    if (this.#answers.length >= this.#opts.max) this.#answers.shift();
    this.#answers.push(answer);
    // Back already (it came back between the attempt and now): no ready event will come.
    if (this.#pub.state === "ready") queueMicrotask(() => this.#flush());
    return true;
  }

  #flush(): void {
    const oldest = Date.now() - this.#opts.maxAge;
    for (const answer of this.#answers.splice(0)) {
      if (answer.at >= oldest) this.#attempt(answer);
    }
  }
}

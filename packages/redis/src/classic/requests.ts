import { AdapterError, AdapterErrorCode } from "@switchboard/server";
import debugModule from "debug";
import { RedisAdapterError, RedisAdapterErrorCode } from "../errors.js";

const debug = debugModule("switchboard:redis:adapter");

/** A request waiting for one answer per other node. */
interface Pending {
  /** Other nodes expected to answer; undefined until the node count is known. */
  expected: number | undefined;
  received: number;
  timer: NodeJS.Timeout;
  onResponse(message: Record<string, unknown>): void;
  done(err?: Error): void;
}

/** A broadcast with acks waiting for each other node's client count (then the acks). */
interface PendingAck {
  expected: number | undefined;
  counted: number;
  /** No more client counts are taken (synthesized for nodes that left). */
  closed: boolean;
  /** Acks announced by the client counts, and acks received. */
  acksExpected: number;
  acksReceived: number;
  timer: NodeJS.Timeout;
  clientCount(n: number): void;
  ack(arg: unknown): void;
}

/** Options of {@link PendingRequests}. Times in ms. */
export interface PendingRequestsOptions {
  /** Most requests waiting at once (requests and ack broadcasts each). */
  max: number;
  /** How long a request waits for every node. */
  timeout: number;
  /** While requests wait, how often the node count is checked again. */
  nodeCheckInterval: number;
  /** The current number of nodes (this one included). */
  countNodes(): Promise<number>;
}

/**
 * The requests of one namespace adapter that await answers from other nodes, keyed by
 * request id: bounded (`max`), each removed on its last answer, its timeout, a lost Redis
 * connection or close. While any waits, the node count is checked every
 * `nodeCheckInterval`, so a node that left is not waited for until the timeout: a request
 * that has every answer of the nodes still there completes then.
 */
export class PendingRequests {
  readonly #opts: PendingRequestsOptions;
  readonly #requests = new Map<string, Pending>();
  readonly #acks = new Map<string, PendingAck>();
  #checker: NodeJS.Timeout | undefined;
  /** Requests that timed out so far (monitoring: the adapter's `requestTimeouts`). */
  timeouts = 0;

  constructor(opts: PendingRequestsOptions) {
    this.#opts = opts;
  }

  /** Waiting requests plus waiting ack broadcasts (for leak checks). */
  get size(): number {
    return this.#requests.size + this.#acks.size;
  }

  #checkRoom(map: Map<string, unknown>): void {
    if (map.size >= this.#opts.max) {
      throw new RedisAdapterError(
        RedisAdapterErrorCode.TOO_MANY_REQUESTS,
        `${map.size} requests already wait for answers (maxPendingRequests)`,
      );
    }
  }

  /**
   * Registers request `id`; `done` is called once: without error when every expected answer
   * came, with `SB_ERR_ADAPTER_REQUEST_TIMEOUT` after the timeout.
   *
   * @throws RedisAdapterError `SB_ERR_REDIS_TOO_MANY_REQUESTS`
   */
  start(
    id: string,
    onResponse: (message: Record<string, unknown>) => void,
    done: (err?: Error) => void,
  ): void {
    this.#checkRoom(this.#requests);
    const timer = setTimeout(() => {
      if (this.#requests.delete(id)) {
        this.timeouts++;
        debug("request %s timed out", id);
        done(
          new AdapterError(
            AdapterErrorCode.REQUEST_TIMEOUT,
            "timeout reached while waiting for responses from other nodes",
          ),
        );
      }
      this.#idle();
    }, this.#opts.timeout);
    this.#requests.set(id, { expected: undefined, received: 0, timer, onResponse, done });
    this.#watch();
  }

  /** Whether request or ack broadcast `id` waits for answers here. */
  waits(id: string): boolean {
    return this.#requests.has(id) || this.#acks.has(id);
  }

  /** Request `id` expects answers from `n` other nodes (known once NUMSUB answered). */
  expect(id: string, n: number): void {
    const request = this.#requests.get(id);
    if (request === undefined) return;
    request.expected = n;
    if (request.received >= n) this.#finish(id, request);
  }

  /** An answer to request `id`; false when no such request waits (late, or not ours). */
  respond(id: string, message: Record<string, unknown>): boolean {
    const request = this.#requests.get(id);
    if (request === undefined) return false;
    request.onResponse(message);
    request.received++;
    if (request.expected !== undefined && request.received >= request.expected) {
      this.#finish(id, request);
    }
    return true;
  }

  /** Ends request `id` now, with or without an error. */
  cancel(id: string, err?: Error): void {
    const request = this.#requests.get(id);
    if (request !== undefined) this.#finish(id, request, err);
  }

  #finish(id: string, request: Pending, err?: Error): void {
    clearTimeout(request.timer);
    this.#requests.delete(id);
    this.#idle();
    request.done(err);
  }

  /**
   * Registers ack broadcast `id`, forgotten after `timeout` ms; nodes that never sent
   * their client count by then are counted as 0 recipients, so no ack collection hangs.
   *
   * @throws RedisAdapterError `SB_ERR_REDIS_TOO_MANY_REQUESTS`
   */
  startAck(
    id: string,
    timeout: number,
    clientCount: (n: number) => void,
    ack: (arg: unknown) => void,
  ): void {
    this.#checkRoom(this.#acks);
    const timer = setTimeout(() => {
      const entry = this.#acks.get(id);
      if (entry === undefined) return;
      this.#acks.delete(id);
      this.#closeAck(entry);
      this.#idle();
    }, timeout);
    this.#acks.set(id, {
      expected: undefined,
      counted: 0,
      closed: false,
      acksExpected: 0,
      acksReceived: 0,
      timer,
      clientCount,
      ack,
    });
    this.#watch();
  }

  /** Ack broadcast `id` expects client counts from `n` other nodes. */
  expectAck(id: string, n: number): void {
    const entry = this.#acks.get(id);
    if (entry === undefined) return;
    entry.expected = n;
    this.#ackDone(id, entry);
  }

  /** A node's client count for ack broadcast `id`. */
  ackCount(id: string, n: number): boolean {
    const entry = this.#acks.get(id);
    if (entry === undefined) return false;
    if (!entry.closed) {
      entry.counted++;
      entry.acksExpected += n;
      entry.clientCount(n);
      this.#ackDone(id, entry);
    }
    return true;
  }

  /** A client's ack for ack broadcast `id`. */
  ackAnswer(id: string, arg: unknown): boolean {
    const entry = this.#acks.get(id);
    if (entry === undefined) return false;
    entry.acksReceived++;
    entry.ack(arg);
    this.#ackDone(id, entry);
    return true;
  }

  /** Forgets ack broadcast `id` once every node counted and every announced ack came. */
  #ackDone(id: string, entry: PendingAck): void {
    const counted =
      entry.closed || (entry.expected !== undefined && entry.counted >= entry.expected);
    if (!counted || entry.acksReceived < entry.acksExpected) return;
    clearTimeout(entry.timer);
    this.#acks.delete(id);
    this.#idle();
  }

  /** Counts the nodes that did not send their client count yet as 0 recipients. */
  #closeAck(entry: PendingAck): void {
    if (entry.closed || entry.expected === undefined) return;
    entry.closed = true;
    for (let i = entry.counted; i < entry.expected; i++) entry.clientCount(0);
  }

  /**
   * The Redis connection is gone: every request fails now with `err`, and every ack
   * broadcast counts the nodes that did not answer yet as 0 recipients.
   */
  failAll(err: Error): void {
    for (const [id, request] of [...this.#requests]) this.#finish(id, request, err);
    for (const [id, entry] of [...this.#acks]) {
      this.#closeAck(entry);
      this.#ackDone(id, entry);
    }
  }

  /** Adapter closed: everything waiting ends (requests with `err`), nothing is kept. */
  clear(err: Error): void {
    this.failAll(err);
    for (const entry of this.#acks.values()) clearTimeout(entry.timer);
    this.#acks.clear();
    this.#idle();
  }

  #watch(): void {
    if (this.#checker !== undefined) return;
    this.#checker = setInterval(() => void this.#check(), this.#opts.nodeCheckInterval);
    this.#checker.unref();
  }

  #idle(): void {
    if (this.size > 0 || this.#checker === undefined) return;
    clearInterval(this.#checker);
    this.#checker = undefined;
  }

  async #check(): Promise<void> {
    let remote: number;
    try {
      remote = (await this.#opts.countNodes()) - 1;
    } catch {
      return; // the connection watcher fails the requests when Redis is down
    }
    for (const [id, request] of [...this.#requests]) {
      if (
        request.expected !== undefined &&
        request.received >= Math.min(request.expected, remote)
      ) {
        this.#finish(id, request);
      }
    }
    for (const [id, entry] of [...this.#acks]) {
      if (
        entry.expected !== undefined &&
        entry.counted < entry.expected &&
        entry.counted >= remote
      ) {
        this.#closeAck(entry);
        this.#ackDone(id, entry);
      }
    }
  }
}

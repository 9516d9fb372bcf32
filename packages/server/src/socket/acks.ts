import type { EventPacket, SocketPacket } from "@switchboard/protocol";
import type { AckCallback, Adapter, BroadcastOptions } from "../adapter/types.js";
import { SocketError, SocketErrorCode } from "./errors.js";
import { assertNotReserved } from "./reasons.js";

/**
 * The one emit recipe and the acknowledgement plumbing shared by Socket, BroadcastOperator,
 * RemoteSocket and Namespace: build the EVENT packet, take a trailing ack off it, wait for
 * one answer (with a timeout) or collect the answers of a broadcast, and wrap any of these
 * in a promise (`emitWithAck`). Nothing here allocates more than the callers did inline.
 */

/** An acknowledgement callback as the user passes it. */
export type Ack = (...args: unknown[]) => void;

/**
 * The EVENT packet of `emit(ev, ...args)`: `data` is `[ev, ...args]`. Throws a
 * `SB_ERR_RESERVED_EVENT` SocketError for a reserved event name.
 */
export function eventPacket(nsp: string, ev: unknown, args: readonly unknown[]): EventPacket {
  assertNotReserved(ev);
  return { type: 2, nsp, data: [ev, ...args] };
}

/** Takes the trailing function (the ack) off an EVENT packet's data, if there is one. */
export function takeAck(packet: EventPacket): Ack | undefined {
  const data = packet.data;
  const last = data[data.length - 1];
  if (typeof last !== "function") return undefined;
  data.pop();
  return last as Ack;
}

/**
 * `emitWithAck`: calls `emit` on `target` with `args` plus an ack, and resolves with the
 * answer. `errorFirst`: the ack is called `(err, answer)` (with a timeout, broadcasts,
 * server-side emits) and an error rejects.
 */
export function ackPromise<T>(
  target: unknown,
  emit: (...args: never[]) => unknown,
  args: unknown[],
  errorFirst: boolean,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    args.push(
      errorFirst
        ? (err: unknown, value: unknown) => (err ? reject(err) : resolve(value as T))
        : (value: unknown) => resolve(value as T),
    );
    (emit as (...a: unknown[]) => unknown).apply(target, args);
  });
}

/**
 * The acks a socket awaits from its client, by packet id. A Map itself (no wrapper object),
 * made on a socket's first emit with an ack.
 */
export class AckRegistry extends Map<number, AckCallback> {
  /**
   * Await the answer to packet `id`. With `timeout` (ms) the ack is error-first: it gets a
   * `SB_ERR_ACK_TIMEOUT` SocketError when the timer fires first (and is forgotten), or
   * `SB_ERR_ACK_DISCONNECTED` when the socket goes first; only these acks get a timer.
   */
  add(id: number, fn: Ack, timeout: number | undefined, self: unknown): void {
    if (timeout === undefined) {
      this.set(id, fn);
      return;
    }
    const timer = setTimeout(() => {
      this.delete(id);
      fn.call(self, new SocketError(SocketErrorCode.ACK_TIMEOUT, "operation has timed out"));
    }, timeout);
    const ack: AckCallback = (...args: unknown[]) => {
      clearTimeout(timer);
      fn.call(self, null, ...args);
    };
    ack.onDisconnect = () => {
      clearTimeout(timer);
      const err = new SocketError(SocketErrorCode.ACK_DISCONNECTED, "socket has been disconnected");
      fn.call(self, err);
    };
    this.set(id, ack);
  }

  /** The client answered packet `id`: call its ack once. False when no ack awaits `id`. */
  answer(id: number, args: unknown[], self: unknown): boolean {
    const ack = this.get(id);
    if (ack === undefined) return false;
    this.delete(id);
    ack.apply(self, args);
    return true;
  }

  /** The socket is gone: every ack still waiting hears it (`onDisconnect`). */
  disconnected(): void {
    for (const ack of this.values()) ack.onDisconnect?.();
  }
}

/**
 * `opts` with the server's `ackTimeout` as its timeout when it has none of its own
 * (`timeout()` wins); the same object when there is nothing to add.
 */
export function withAckTimeout(
  opts: BroadcastOptions,
  ackTimeout: number | undefined,
): BroadcastOptions {
  if (ackTimeout === undefined || opts.flags?.timeout !== undefined) return opts;
  return { ...opts, flags: { ...opts.flags, timeout: ackTimeout } };
}

/**
 * Broadcast with acks: calls `ack(err, responses)` once every recipient (on every node)
 * answered, or when `flags.timeout` expires (`SB_ERR_ACK_TIMEOUT`). A recipient that
 * disconnects stops being waited for. With `flags.expectSingleResponse` (a remote socket's
 * emit) the second argument is the one answer instead of an array.
 */
export function collectAcks(
  adapter: Adapter,
  packet: SocketPacket,
  opts: BroadcastOptions,
  ack: Ack,
): void {
  const single = opts.flags?.expectSingleResponse === true;
  const responses: unknown[] = [];
  let expectedServers = -1;
  let countedServers = 0;
  let expectedClients = 0;
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const finish = (err: Error | null) => {
    if (done) return;
    done = true;
    if (timer !== undefined) clearTimeout(timer);
    ack(err, single ? (responses[0] ?? null) : responses);
  };
  const check = () => {
    if (expectedServers === countedServers && responses.length >= expectedClients) finish(null);
  };
  const timeout = opts.flags?.timeout;
  if (timeout !== undefined) {
    timer = setTimeout(
      () => finish(new SocketError(SocketErrorCode.ACK_TIMEOUT, "operation has timed out")),
      timeout,
    );
  }
  const onResponse: AckCallback = (...args: unknown[]) => {
    if (done) return;
    responses.push(args[0]);
    check();
  };
  onResponse.onDisconnect = () => {
    if (done) return;
    expectedClients--;
    check();
  };
  adapter.broadcastWithAck(
    packet,
    opts,
    (clientCount) => {
      expectedClients += clientCount;
      countedServers++;
      check();
    },
    onResponse,
  );
  adapter.serverCount().then(
    (count) => {
      expectedServers = count;
      check();
    },
    (err: unknown) =>
      finish(
        err instanceof Error
          ? err
          : new SocketError(SocketErrorCode.ACK_COLLECTION_FAILED, String(err), { cause: err }),
      ),
  );
}

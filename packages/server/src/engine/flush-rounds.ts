import { FrameBatch } from "./framing.js";

/**
 * When sessions write: rounds of flushes, never a write per message.
 *
 * - One microtask flushes every session written to in this tick; it is scheduled by the
 *   first session queued in the tick.
 * - Sessions written to while one of their reads was handled (the direct WebSocket
 *   transport's read start/end) are flushed together once every socket readable in this
 *   event-loop iteration has been read (setImmediate: the check phase, right after the poll
 *   phase), so the replies leave in one burst of writes.
 *
 * Each round owns a {@link FrameBatch}: the sessions that flush the same prepared messages
 * in the same order (a broadcast) share one concatenation of their frames, and the round
 * clears it when it is done, so no bytes outlive it.
 */

/** A session as a flush round sees it. */
export interface Flushable {
  /** Writes what is queued, sharing `batch` (called once per round the session joined). */
  flushInRound(batch: FrameBatch): void;
}

let pendingFlush: Flushable[] = [];
let afterReads: Flushable[] = [];
const roundBatch = new FrameBatch();

/**
 * Flushes are scheduled with `then` on a settled promise: the same microtask queue as
 * `queueMicrotask`, without the AsyncResource and bound function Node's `queueMicrotask`
 * makes for every call (measured on the connect path, one flush per new connection).
 */
const settled = Promise.resolve();

function rethrow(err: unknown): never {
  throw err;
}

function flushAll(list: readonly Flushable[]): void {
  for (let i = 0; i < list.length; i++) {
    try {
      list[i]!.flushInRound(roundBatch);
    } catch (err) {
      // A throwing "drain" listener: the other sessions still flush, and the error is an
      // uncaught exception as from any event listener (not a rejected flush promise).
      process.nextTick(rethrow, err);
    }
  }
  roundBatch.clear();
}

function runFlushes(): void {
  const list = pendingFlush;
  pendingFlush = [];
  flushAll(list);
}

function runAfterReads(): void {
  const list = afterReads;
  afterReads = [];
  flushAll(list);
}

/**
 * Puts `session` in the next round: the end of this tick, or after this event-loop
 * iteration's reads when `afterRead`. Called once per round by the session (it keeps a flag).
 */
export function scheduleFlush(session: Flushable, afterRead: boolean): void {
  if (afterRead) {
    if (afterReads.push(session) === 1) setImmediate(runAfterReads);
  } else if (pendingFlush.push(session) === 1) {
    void settled.then(runFlushes);
  }
}

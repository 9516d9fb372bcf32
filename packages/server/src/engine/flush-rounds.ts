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
 *
 * A round never holds the event loop longer than {@link SLICE_MS}: past it (checked every
 * {@link SLICE_CHECK} sessions, so rounds of fewer sessions never look at the clock), the
 * rest of the round is carried over to the next event-loop iteration (setImmediate), slice
 * by slice. A broadcast to tens of thousands of WebSockets is that many write syscalls
 * (~5–10 µs each on loopback): written in one go it would stall timers, reads and
 * heartbeats for hundreds of milliseconds. A carried session stays scheduled, so what is
 * queued for it meanwhile (the next broadcasts) leaves in the same write.
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

/** Longest a round writes before carrying the rest over to the next iteration, ms. */
export const SLICE_MS = 10;
/** Sessions flushed between two looks at the clock (a power of two). */
export const SLICE_CHECK = 256;

/** Rounds cut short, oldest first: each one's sessions from `at` on are still to flush. */
const carried: { list: readonly Flushable[]; at: number }[] = [];

/**
 * Flushes `list` from `from` on; returns where it stopped (the list's length when done, less
 * when the slice ran out of time).
 */
function flushSlice(list: readonly Flushable[], from: number): number {
  const n = list.length;
  const timed = n - from > SLICE_CHECK;
  const deadline = timed ? performance.now() + SLICE_MS : 0;
  let i = from;
  while (i < n) {
    try {
      list[i]!.flushInRound(roundBatch);
    } catch (err) {
      // A throwing "drain" listener: the other sessions still flush, and the error is an
      // uncaught exception as from any event listener (not a rejected flush promise).
      process.nextTick(rethrow, err);
    }
    i++;
    if (timed && ((i - from) & (SLICE_CHECK - 1)) === 0 && i < n && performance.now() > deadline)
      break;
  }
  roundBatch.clear();
  return i;
}

function flushAll(list: readonly Flushable[]): void {
  const at = flushSlice(list, 0);
  if (at < list.length && carried.push({ list, at }) === 1) setImmediate(runCarried);
}

/** One slice of the oldest carried round; again next iteration while any is left. */
function runCarried(): void {
  const c = carried[0]!;
  c.at = flushSlice(c.list, c.at);
  if (c.at >= c.list.length) carried.shift();
  if (carried.length > 0) setImmediate(runCarried);
}

/** Sessions of rounds cut short that are still to flush (for the tests). */
export function carriedSessions(): number {
  let n = 0;
  for (const c of carried) n += c.list.length - c.at;
  return n;
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

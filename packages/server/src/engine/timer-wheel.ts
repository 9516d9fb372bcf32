/**
 * Shared timers for many sessions: one `setTimeout` per distinct duration instead of one
 * Timeout object (plus an arguments array) per session. Every entry of a list has the
 * same duration, so deadlines are in insertion order: arming appends at the tail,
 * disarming unlinks, both O(1), and only the head's deadline needs a real timer.
 *
 * Deadlines are rounded up to a grain of 1% of the duration (at most {@link MAX_GRAIN_MS}):
 * the entries due within one grain fire in one timer callback. With many sessions the
 * pings then leave in bursts and their pongs come back in bursts, read many per event-loop
 * iteration, instead of one wake-up of the process per session (measured in
 * bench/README.md, "Many connections"). A deadline is never early, and at most a grain late.
 */

/** Largest rounding of a deadline, ms. */
export const MAX_GRAIN_MS = 100;

/** The rounding of deadlines `ms` from now: 1% of it, at most {@link MAX_GRAIN_MS}. */
export function grainOf(ms: number): number {
  return Math.min(MAX_GRAIN_MS, Math.max(1, Math.floor(ms / 100)));
}

/** One armed (or idle) entry; allocated once per owner and re-armed, never re-created. */
export class TimerEntry<T> {
  readonly owner: T;
  prev: TimerEntry<T> | null = null;
  next: TimerEntry<T> | null = null;
  list: TimerList<T> | null = null;
  due = 0;

  constructor(owner: T) {
    this.owner = owner;
  }
}

class TimerList<T> {
  readonly ms: number;
  readonly grain: number;
  readonly wheel: TimerWheel<T>;
  head: TimerEntry<T> | null = null;
  tail: TimerEntry<T> | null = null;
  timer: NodeJS.Timeout | null = null;

  constructor(wheel: TimerWheel<T>, ms: number) {
    this.wheel = wheel;
    this.ms = ms;
    this.grain = grainOf(ms);
  }
}

function run<T>(list: TimerList<T>): void {
  list.timer = null;
  const wheel = list.wheel;
  // Node's timers may fire up to a millisecond before performance.now() reaches the due time.
  const now = performance.now() + 1;
  let e = list.head;
  while (e !== null && e.due <= now) {
    wheel.disarm(e);
    wheel.fire(e.owner);
    e = list.head;
  }
  if (list.head !== null && list.timer === null) {
    list.timer = setTimeout(run, Math.max(1, list.head.due - performance.now()), list);
  }
}

/** A set of timer lists (one per duration) calling `fire(owner)` when an entry is due. */
export class TimerWheel<T> {
  readonly fire: (owner: T) => void;
  readonly #lists = new Map<number, TimerList<T>>();
  /** Entries armed now (for the leak tests). */
  armed = 0;

  constructor(fire: (owner: T) => void) {
    this.fire = fire;
  }

  /** (Re-)arms `e` to fire `ms` from now. */
  arm(e: TimerEntry<T>, ms: number): void {
    if (e.list !== null) this.disarm(e);
    let list = this.#lists.get(ms);
    if (list === undefined) {
      list = new TimerList(this, ms);
      this.#lists.set(ms, list);
    }
    const now = performance.now();
    const grain = list.grain;
    // rounded up: later entries never get an earlier deadline, so the list stays in order
    e.due = grain === 1 ? now + ms : Math.ceil((now + ms) / grain) * grain;
    e.list = list;
    e.prev = list.tail;
    if (list.tail !== null) list.tail.next = e;
    else list.head = e;
    list.tail = e;
    this.armed++;
    if (list.timer === null) list.timer = setTimeout(run, Math.max(1, e.due - now), list);
  }

  /** Disarms `e` (no-op when idle); the list's timer goes once the list is empty. */
  disarm(e: TimerEntry<T>): void {
    const list = e.list;
    if (list === null) return;
    if (e.prev !== null) e.prev.next = e.next;
    else list.head = e.next;
    if (e.next !== null) e.next.prev = e.prev;
    else list.tail = e.prev;
    e.prev = null;
    e.next = null;
    e.list = null;
    this.armed--;
    if (list.head === null && list.timer !== null) {
      clearTimeout(list.timer);
      list.timer = null;
    }
  }
}

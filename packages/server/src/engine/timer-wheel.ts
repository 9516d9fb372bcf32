/**
 * Shared timers for many sessions: one `setTimeout` per distinct duration instead of one
 * Timeout object (plus an arguments array) per session. Every entry of a list has the
 * same duration, so deadlines are in insertion order: arming appends at the tail,
 * disarming unlinks, both O(1), and only the head's deadline needs a real timer.
 */

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
  readonly wheel: TimerWheel<T>;
  head: TimerEntry<T> | null = null;
  tail: TimerEntry<T> | null = null;
  timer: NodeJS.Timeout | null = null;

  constructor(wheel: TimerWheel<T>, ms: number) {
    this.wheel = wheel;
    this.ms = ms;
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
    e.due = performance.now() + ms;
    e.list = list;
    e.prev = list.tail;
    if (list.tail !== null) list.tail.next = e;
    else list.head = e;
    list.tail = e;
    this.armed++;
    if (list.timer === null) list.timer = setTimeout(run, ms, list);
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

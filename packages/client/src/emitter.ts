// biome-ignore lint/suspicious/noExplicitAny: listeners of any event shape are stored together
export type AnyListener = (...args: any[]) => void;

/** One event's listeners: the listener itself when there is one, else an array. */
type Slot = AnyListener | readonly AnyListener[];

/**
 * The listener table of an emitter: one property per event name. An object, not a Map:
 * every emitter that registers the same events in the same order shares one hidden class,
 * and the table costs a few words per event, where a Map's hash table alone took 152 bytes
 * (four emitters per client connection: ~0.6 KB of a Node.js client's heap). Its prototype
 * has no properties and no prototype, so any event name, `__proto__` or `constructor`
 * included, is an own property or absent. (A constructor function: `Object.create(null)`
 * objects start in dictionary mode.)
 */
function ListenerTable() {}
ListenerTable.prototype = Object.create(null);

/**
 * A minimal event emitter that runs in browsers and Node.js (the client cannot use
 * `node:events`). Listeners are called synchronously in registration order; an exception
 * thrown by a listener propagates to the caller, as in Node. A listener added or removed
 * while an event is emitted takes effect from the next emit of that event.
 */
export class Emitter {
  // Created on the first listener. One listener is stored as itself, several as an array
  // that is replaced, never changed in place (emit iterates it without a copy), as Node's
  // EventEmitter stores them; a removed event's property is set to undefined, not deleted,
  // which would turn the table into a dictionary.
  #events: Record<string, Slot | undefined> | undefined;

  /** Registers `listener` for `event`. */
  on(event: string, listener: AnyListener): this {
    this.#events ??= new (ListenerTable as unknown as new () => Record<string, Slot | undefined>)();
    const events = this.#events;
    const slot = events[event];
    events[event] = slot ? ([] as AnyListener[]).concat(slot, listener) : listener;
    return this;
  }

  /** Registers `listener` for the next `event` only. */
  once(event: string, listener: AnyListener): this {
    const wrapper: AnyListener & { listener?: AnyListener } = (...args) => {
      this.off(event, wrapper);
      listener.apply(this, args);
    };
    wrapper.listener = listener;
    return this.on(event, wrapper);
  }

  /** Alias of {@link Emitter.on}. */
  addEventListener(event: string, listener: AnyListener): this {
    return this.on(event, listener);
  }

  /** Removes one listener, every listener of `event`, or every listener. */
  off(event?: string, listener?: AnyListener): this {
    const events = this.#events;
    if (event === undefined) this.#events = undefined;
    else if (events?.[event]) {
      // a new list: an emit in progress goes on with the old one
      const rest = listener ? this.listeners(event) : [];
      const i = rest.findIndex(
        (l) => l === listener || (l as { listener?: AnyListener }).listener === listener,
      );
      if (i !== -1) rest.splice(i, 1);
      events[event] = rest.length > 1 ? rest : rest[0];
    }
    return this;
  }

  /** Alias of {@link Emitter.off}. */
  removeListener(event?: string, listener?: AnyListener): this {
    return this.off(event, listener);
  }

  /** Alias of {@link Emitter.off}. */
  removeAllListeners(event?: string): this {
    return this.off(event);
  }

  /** Calls every listener of `event` with `args`. */
  emit(event: string, ...args: unknown[]): this {
    return this.emitReserved(event, ...args);
  }

  /**
   * Calls every listener of `event` with `args`. Unlike `emit`, never overridden: the
   * Socket's `emit` sends to the server, and local events go through this method.
   */
  emitReserved(event: string, ...args: unknown[]): this {
    const slot = this.#events?.[event];
    if (typeof slot === "function") slot.apply(this, args);
    else if (slot) for (const l of slot) l.apply(this, args);
    return this;
  }

  /** The listeners registered for `event`. */
  listeners(event: string): AnyListener[] {
    return ([] as AnyListener[]).concat(this.#events?.[event] ?? []);
  }

  /** Whether `event` has any listener. */
  hasListeners(event: string): boolean {
    return !!this.#events?.[event];
  }
}

/** Adds each listener of `handlers` (event → listener) to `target`; returns what removes them. */
export function subscribe(target: Emitter, handlers: Record<string, AnyListener>): () => void {
  for (const event in handlers) target.on(event, handlers[event]!);
  return () => {
    for (const event in handlers) target.off(event, handlers[event]);
  };
}

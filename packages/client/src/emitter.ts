// biome-ignore lint/suspicious/noExplicitAny: listeners of any event shape are stored together
export type AnyListener = (...args: any[]) => void;

/**
 * A minimal event emitter that runs in browsers and Node.js (the client cannot use
 * `node:events`). Listeners are called synchronously in registration order; an exception
 * thrown by a listener propagates to the caller, as in Node.
 */
export class Emitter {
  #listeners = new Map<string, AnyListener[]>();

  /** Registers `listener` for `event`. */
  on(event: string, listener: AnyListener): this {
    const list = this.#listeners.get(event);
    if (list) list.push(listener);
    else this.#listeners.set(event, [listener]);
    return this;
  }

  /** Alias of {@link Emitter.on}. */
  addEventListener(event: string, listener: AnyListener): this {
    return this.on(event, listener);
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

  /** Removes one listener, every listener of `event`, or every listener. */
  off(event?: string, listener?: AnyListener): this {
    if (event === undefined) {
      this.#listeners.clear();
      return this;
    }
    if (listener === undefined) {
      this.#listeners.delete(event);
      return this;
    }
    const list = this.#listeners.get(event);
    if (list) {
      const i = list.findIndex(
        (l) => l === listener || (l as { listener?: AnyListener }).listener === listener,
      );
      if (i !== -1) list.splice(i, 1);
      if (list.length === 0) this.#listeners.delete(event);
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
    const list = this.#listeners.get(event);
    if (list) for (const l of list.slice()) l.apply(this, args);
    return this;
  }

  /** The listeners registered for `event`. */
  listeners(event: string): AnyListener[] {
    return this.#listeners.get(event)?.slice() ?? [];
  }

  /** Whether `event` has any listener. */
  hasListeners(event: string): boolean {
    return (this.#listeners.get(event)?.length ?? 0) > 0;
  }
}

/** Adds each listener of `handlers` (event → listener) to `target`; returns what removes them. */
export function subscribe(target: Emitter, handlers: Record<string, AnyListener>): () => void {
  for (const event in handlers) target.on(event, handlers[event]!);
  return () => {
    for (const event in handlers) target.off(event, handlers[event]);
  };
}

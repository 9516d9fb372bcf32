import type { EventsMap } from "@switchboard/protocol";
import { StrictEventEmitter } from "./typed-emitter.js";

/** A packet as `socket.use` and `onAny` listeners see it: `[event, ...args]`. */
export type Event = [string, ...unknown[]];

/** Per-packet middleware (`socket.use`). Call `next(err)` to reject the packet. */
export type SocketMiddleware = (event: Event, next: (err?: Error) => void) => void;

/** A catch-all listener, as stored. */
export type AnyListener = (...args: unknown[]) => void;

/**
 * What few sockets use, kept out of the Socket object itself so that an idle socket stays
 * small (one slot instead of six).
 */
export interface SocketExtras {
  pid: string | undefined;
  recovered: boolean;
  fns: SocketMiddleware[] | undefined;
  anyListeners: AnyListener[] | undefined;
  anyOutgoingListeners: AnyListener[] | undefined;
  missedPackets: unknown[][] | undefined;
}

/**
 * The part of a Socket that few sockets use: per-packet middlewares (`use`), catch-all
 * listeners (`onAny`, `onAnyOutgoing`) and connection state recovery fields, all in one
 * object made on first use. Socket extends it; nothing else does.
 */
export abstract class SocketHooks<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ReservedEvents extends EventsMap,
> extends StrictEventEmitter<ListenEvents, EmitEvents, ReservedEvents> {
  #extra: SocketExtras | undefined;

  /** Register a per-packet middleware for incoming events. */
  use(fn: SocketMiddleware): this {
    const extra = this.extras();
    extra.fns ??= [];
    extra.fns.push(fn);
    return this;
  }

  /** Listen to every incoming event. */
  onAny(listener: (event: string, ...args: unknown[]) => void): this {
    const extra = this.extras();
    extra.anyListeners ??= [];
    extra.anyListeners.push(listener as AnyListener);
    return this;
  }

  /** Like {@link onAny}, first in line. */
  prependAny(listener: (event: string, ...args: unknown[]) => void): this {
    const extra = this.extras();
    extra.anyListeners ??= [];
    extra.anyListeners.unshift(listener as AnyListener);
    return this;
  }

  /** Remove one catch-all listener, or all of them. */
  offAny(listener?: (event: string, ...args: unknown[]) => void): this {
    const extra = this.extra;
    if (extra !== undefined) {
      extra.anyListeners = removeListener(extra.anyListeners, listener as AnyListener | undefined);
    }
    return this;
  }

  /** The catch-all listeners. */
  listenersAny(): ((event: string, ...args: unknown[]) => void)[] {
    return [...(this.extra?.anyListeners ?? [])];
  }

  /** Listen to every outgoing event (emits and broadcasts reaching this socket). */
  onAnyOutgoing(listener: (event: string, ...args: unknown[]) => void): this {
    const extra = this.extras();
    extra.anyOutgoingListeners ??= [];
    extra.anyOutgoingListeners.push(listener as AnyListener);
    return this;
  }

  /** Like {@link onAnyOutgoing}, first in line. */
  prependAnyOutgoing(listener: (event: string, ...args: unknown[]) => void): this {
    const extra = this.extras();
    extra.anyOutgoingListeners ??= [];
    extra.anyOutgoingListeners.unshift(listener as AnyListener);
    return this;
  }

  /** Remove one outgoing catch-all listener, or all of them. */
  offAnyOutgoing(listener?: (event: string, ...args: unknown[]) => void): this {
    const extra = this.extra;
    if (extra !== undefined) {
      extra.anyOutgoingListeners = removeListener(
        extra.anyOutgoingListeners,
        listener as AnyListener | undefined,
      );
    }
    return this;
  }

  /** The outgoing catch-all listeners. */
  listenersAnyOutgoing(): ((event: string, ...args: unknown[]) => void)[] {
    return [...(this.extra?.anyOutgoingListeners ?? [])];
  }

  /** The rarely used state, if any was made. */
  protected get extra(): SocketExtras | undefined {
    return this.#extra;
  }

  /** The rarely used state, made on first use. */
  protected extras(): SocketExtras {
    this.#extra ??= {
      pid: undefined,
      recovered: false,
      fns: undefined,
      anyListeners: undefined,
      anyOutgoingListeners: undefined,
      missedPackets: undefined,
    };
    return this.#extra;
  }

  /** Tell the outgoing catch-all listeners about `[event, ...args]`. */
  protected notifyOutgoing(data: unknown[]): void {
    const listeners = this.#extra?.anyOutgoingListeners;
    if (listeners === undefined) return;
    for (const listener of [...listeners]) listener.apply(this, data);
  }
}

function removeListener(
  list: AnyListener[] | undefined,
  listener: AnyListener | undefined,
): AnyListener[] | undefined {
  if (list === undefined || listener === undefined) return undefined;
  const index = list.indexOf(listener);
  if (index !== -1) list.splice(index, 1);
  return list.length === 0 ? undefined : list;
}

import { EventEmitter } from "node:events";
import type { EventsMap } from "@switchboard/protocol";
import debugModule from "debug";
import { kReportError } from "./internal.js";
import type { DisconnectReason } from "./reasons.js";
import { StrictEventEmitter } from "./typed-emitter.js";

const debug = debugModule("switchboard:socket");

/** Events a socket raises itself. */
export interface SocketReservedEventsMap {
  /** The socket is about to leave its rooms (they are still readable). */
  disconnecting: (reason: DisconnectReason, description?: unknown) => void;
  /** The socket is gone. */
  disconnect: (reason: DisconnectReason, description?: unknown) => void;
  /**
   * A `socket.use` middleware rejected a packet, an ack answer could not be encoded, or a
   * method of a class handler (`nsp.register`) threw or rejected. Without a listener these
   * are dropped (middleware, ack) or thrown as from a plain listener (class handler).
   */
  error: (err: Error) => void;
}

const emitLocal = EventEmitter.prototype.emit as (
  this: EventEmitter,
  ...args: unknown[]
) => boolean;

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
 * The path of an incoming event from its packet to the socket's listeners: catch-all
 * listeners (`onAny`), per-packet middlewares (`use`), then dispatch; the `error` event;
 * and outgoing catch-all listeners (`onAnyOutgoing`). What few sockets use (these and the
 * connection state recovery fields) lives in one object made on first use. Socket extends
 * it; nothing else does.
 */
export abstract class SocketHooks<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
> extends StrictEventEmitter<ListenEvents, EmitEvents, SocketReservedEventsMap> {
  /** Whether the socket is connected (Socket's public field). */
  abstract connected: boolean;
  #extra: SocketExtras | undefined;

  /** The private session id, sent to the client when connection state recovery is on. */
  get pid(): string | undefined {
    return this.#extra?.pid;
  }

  /** Whether this socket resumed a previous session (connection state recovery). */
  get recovered(): boolean {
    return this.#extra?.recovered === true;
  }

  /** Register a per-packet middleware for incoming events. */
  use(fn: SocketMiddleware): this {
    const extra = this.ensureExtras();
    extra.fns ??= [];
    extra.fns.push(fn);
    return this;
  }

  /** Listen to every incoming event. */
  onAny(listener: (event: string, ...args: unknown[]) => void): this {
    const extra = this.ensureExtras();
    extra.anyListeners ??= [];
    extra.anyListeners.push(listener as AnyListener);
    return this;
  }

  /** Like {@link onAny}, first in line. */
  prependAny(listener: (event: string, ...args: unknown[]) => void): this {
    const extra = this.ensureExtras();
    extra.anyListeners ??= [];
    extra.anyListeners.unshift(listener as AnyListener);
    return this;
  }

  /** Remove one catch-all listener, or all of them. */
  offAny(listener?: (event: string, ...args: unknown[]) => void): this {
    const extra = this.#extra;
    if (extra !== undefined) {
      extra.anyListeners = removeListener(extra.anyListeners, listener as AnyListener | undefined);
    }
    return this;
  }

  /** The catch-all listeners. */
  listenersAny(): ((event: string, ...args: unknown[]) => void)[] {
    return [...(this.#extra?.anyListeners ?? [])];
  }

  /** Listen to every outgoing event (emits and broadcasts reaching this socket). */
  onAnyOutgoing(listener: (event: string, ...args: unknown[]) => void): this {
    const extra = this.ensureExtras();
    extra.anyOutgoingListeners ??= [];
    extra.anyOutgoingListeners.push(listener as AnyListener);
    return this;
  }

  /** Like {@link onAnyOutgoing}, first in line. */
  prependAnyOutgoing(listener: (event: string, ...args: unknown[]) => void): this {
    const extra = this.ensureExtras();
    extra.anyOutgoingListeners ??= [];
    extra.anyOutgoingListeners.unshift(listener as AnyListener);
    return this;
  }

  /** Remove one outgoing catch-all listener, or all of them. */
  offAnyOutgoing(listener?: (event: string, ...args: unknown[]) => void): this {
    const extra = this.#extra;
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
    return [...(this.#extra?.anyOutgoingListeners ?? [])];
  }

  /**
   * Deliver an incoming event, `data` = `[event, ...args]` (the ack function last): catch-all
   * listeners, then middlewares, then the listeners of `event`.
   */
  protected receive(data: unknown[]): void {
    const extra = this.#extra;
    if (extra === undefined) {
      this.#dispatch(data);
      return;
    }
    if (extra.anyListeners !== undefined) {
      for (const listener of [...extra.anyListeners]) listener.apply(this, data);
    }
    if (extra.fns === undefined) this.#dispatch(data);
    else this.#runMiddlewares(data as Event, 0);
  }

  #runMiddlewares(event: Event, index: number): void {
    const fn = this.#extra?.fns?.[index];
    if (fn === undefined) {
      if (this.connected) this.#dispatch(event);
      return;
    }
    fn(event, (err) => {
      if (!this.connected) return;
      if (err) {
        if (!this[kReportError](err)) debug("packet rejected by middleware: %s", err.message);
        return;
      }
      this.#runMiddlewares(event, index + 1);
    });
  }

  #dispatch(data: unknown[]): void {
    // EventEmitter throws on an unhandled "error" event; a client must not crash the server.
    if (data[0] === "error" && this.listenerCount("error") === 0) return;
    // `data` is [event, ...args] already: no copy of the arguments.
    emitLocal.apply(this, data);
  }

  [kReportError](err: Error): boolean {
    if (this.listenerCount("error") === 0) return false;
    this.emitReserved("error", err);
    return true;
  }

  /** The rarely used state, if any was made. */
  protected get extra(): SocketExtras | undefined {
    return this.#extra;
  }

  /** The rarely used state, made on first use. */
  protected ensureExtras(): SocketExtras {
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

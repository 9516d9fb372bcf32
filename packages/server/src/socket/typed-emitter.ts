import { EventEmitter } from "node:events";
import type {
  EventNames,
  EventParams,
  EventsMap,
  ReservedOrUserEventNames,
  ReservedOrUserListener,
} from "@switchboard/protocol";

/**
 * An EventEmitter whose `on`/`once`/`off` are typed by a listen map plus reserved events,
 * and whose `emit` is typed by an emit map. Subclasses decide what `emit` does (send to a
 * client, broadcast); reserved events are raised with {@link emitReserved}.
 */
export abstract class StrictEventEmitter<
  ListenEvents extends EventsMap,
  EmitEvents extends EventsMap,
  ReservedEvents extends EventsMap = {},
> extends EventEmitter {
  override on<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.on(ev, listener);
  }

  override addListener<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.addListener(ev, listener);
  }

  override once<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.once(ev, listener);
  }

  override off<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.off(ev, listener);
  }

  override removeListener<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.removeListener(ev, listener);
  }

  override listeners<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
  ): ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>[] {
    return super.listeners(ev) as ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>[];
  }

  /** Send (or broadcast) an event; what that means is up to the subclass. */
  abstract override emit<Ev extends EventNames<EmitEvents>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): boolean;

  /** Raise a reserved event (connection, disconnect, …) on local listeners. */
  protected emitReserved<Ev extends EventNames<ReservedEvents>>(
    ev: Ev,
    ...args: EventParams<ReservedEvents, Ev>
  ): boolean {
    return super.emit(ev, ...args);
  }

  /** Add a listener without typing (a wrapper made by a subclass). */
  protected onUntyped(ev: string, listener: (...args: unknown[]) => void): this {
    return super.on(ev, listener);
  }

  /** Raise any event on local listeners, without typing (incoming client events). */
  protected emitUntyped(ev: string, ...args: unknown[]): boolean {
    return super.emit(ev, ...args);
  }
}

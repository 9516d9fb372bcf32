import type {
  AllButLast,
  DecorateAcknowledgements,
  DecorateAcknowledgementsWithMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventNamesWithError,
  EventParams,
  EventsMap,
  FirstNonErrorArg,
  Last,
} from "@switchboard/protocol";
import type { Adapter, BroadcastFlags, BroadcastOptions } from "../adapter/types.js";
import { ackPromise, collectAcks, eventPacket, takeAck, withAckTimeout } from "./acks.js";
import { RemoteSocket } from "./remote-socket.js";
import type { Room } from "./types.js";

/** The operator type the namespace, server and socket hand out (acks collect responses). */
export type Operator<EmitEvents extends EventsMap, SocketData> = BroadcastOperator<
  DecorateAcknowledgementsWithMultipleResponses<EmitEvents>,
  SocketData
>;

/**
 * Selects recipients (rooms, exclusions, flags) and sends them an event. Immutable: each
 * modifier returns a new operator, so operators can be kept and reused.
 *
 * @example
 * ```ts
 * io.to("room1").except("room2").emit("news", payload);
 * const answers = await io.timeout(5000).emitWithAck("ping");
 * ```
 */
export class BroadcastOperator<
  EmitEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's default, so untyped apps can use data freely
  SocketData = any,
> {
  readonly #adapter: Adapter;
  readonly #rooms: ReadonlySet<Room>;
  readonly #except: ReadonlySet<Room>;
  readonly #flags: Readonly<BroadcastFlags>;
  readonly #ackTimeout: number | undefined;

  /** `ackTimeout`: the server's `ackTimeout` option, the timeout of acks without `timeout()`. */
  constructor(
    adapter: Adapter,
    rooms: ReadonlySet<Room> = new Set(),
    except: ReadonlySet<Room> = new Set(),
    flags: Readonly<BroadcastFlags> = {},
    ackTimeout?: number,
  ) {
    this.#adapter = adapter;
    this.#rooms = rooms;
    this.#except = except;
    this.#flags = flags;
    this.#ackTimeout = ackTimeout;
  }

  /** Target a room (or rooms); cumulative. */
  to(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    const rooms = new Set(this.#rooms);
    if (typeof room === "string") rooms.add(room);
    else for (const r of room) rooms.add(r);
    return new BroadcastOperator(this.#adapter, rooms, this.#except, this.#flags, this.#ackTimeout);
  }

  /** Alias of {@link to}. */
  in(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  /** Exclude a room (or rooms); cumulative. */
  except(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    const except = new Set(this.#except);
    if (typeof room === "string") except.add(room);
    else for (const r of room) except.add(r);
    return new BroadcastOperator(this.#adapter, this.#rooms, except, this.#flags, this.#ackTimeout);
  }

  /** Whether to compress the packets. */
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.#withFlags({ compress });
  }

  /** Drop the packet for clients that cannot receive it right now. */
  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.#withFlags({ volatile: true });
  }

  /** Only sockets of this node. */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.#withFlags({ local: true });
  }

  /** Acks get `(err, responses)`, with an error if some client did not answer in time. */
  timeout(timeout: number): BroadcastOperator<DecorateAcknowledgements<EmitEvents>, SocketData> {
    return new BroadcastOperator<DecorateAcknowledgements<EmitEvents>, SocketData>(
      this.#adapter,
      this.#rooms,
      this.#except,
      { ...this.#flags, timeout },
      this.#ackTimeout,
    );
  }

  /**
   * Send an event to every selected socket. The packet is encoded once. A function as last
   * argument collects every answer: `(err, responses)`.
   */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    const packet = eventPacket(this.#adapter.nsp.name, ev, args);
    const ack = takeAck(packet);
    const opts: BroadcastOptions = { rooms: this.#rooms, except: this.#except, flags: this.#flags };
    if (ack === undefined) this.#adapter.broadcast(packet, opts);
    else collectAcks(this.#adapter, packet, withAckTimeout(opts, this.#ackTimeout), ack);
    return true;
  }

  /** Emit and wait for every answer (rejects when the timeout expires first). */
  emitWithAck<Ev extends EventNamesWithError<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<FirstNonErrorArg<Last<EventParams<EmitEvents, Ev>>>> {
    return ackPromise(this, this.emit, [ev, ...args], true);
  }

  /** The selected sockets, local or on other nodes. */
  async fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    const details = await this.#adapter.fetchSockets(this.#options());
    return details.map(
      (d) => new RemoteSocket<EmitEvents, SocketData>(this.#adapter, d, {}, this.#ackTimeout),
    );
  }

  /** Make the selected sockets join rooms. */
  socketsJoin(room: Room | readonly Room[]): void {
    this.#adapter.addSockets(this.#options(), typeof room === "string" ? [room] : [...room]);
  }

  /** Make the selected sockets leave rooms. */
  socketsLeave(room: Room | readonly Room[]): void {
    this.#adapter.delSockets(this.#options(), typeof room === "string" ? [room] : [...room]);
  }

  /** Disconnect the selected sockets; with `close`, close their whole connections. */
  disconnectSockets(close = false): void {
    this.#adapter.disconnectSockets(this.#options(), close);
  }

  /** Ids of the selected sockets (deprecated in socket.io; use fetchSockets). */
  allSockets(): Promise<Set<string>> {
    return this.#adapter.sockets(this.#rooms);
  }

  #options(): BroadcastOptions {
    return { rooms: this.#rooms, except: this.#except, flags: this.#flags };
  }

  #withFlags(flags: BroadcastFlags): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator(
      this.#adapter,
      this.#rooms,
      this.#except,
      { ...this.#flags, ...flags },
      this.#ackTimeout,
    );
  }
}

import type {
  DecorateAcknowledgements,
  DefaultEventsMap,
  EventNames,
  EventParams,
  EventsMap,
} from "@switchboard/protocol";
import type { Adapter, BroadcastFlags, SocketDetails } from "../adapter/types.js";
import { collectAcks, eventPacket, takeAck, withAckTimeout } from "./acks.js";
import type { Handshake, Room, SocketId } from "./types.js";

/**
 * A socket as `fetchSockets()` returns it: on this node or another one. Its methods go
 * through the adapter, so they work the same wherever the socket lives.
 *
 * @example
 * ```ts
 * for (const socket of await io.in("room1").fetchSockets()) {
 *   socket.emit("hello");
 *   socket.join("room2");
 * }
 * ```
 */
export class RemoteSocket<
  EmitEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's default, so untyped apps can use data freely
  SocketData = any,
> {
  readonly id: SocketId;
  readonly handshake: Handshake;
  readonly rooms: Set<Room>;
  readonly data: SocketData;
  readonly #adapter: Adapter;
  readonly #flags: BroadcastFlags;
  readonly #ackTimeout: number | undefined;

  /** `ackTimeout`: the server's `ackTimeout` option, the timeout of acks without `timeout()`. */
  constructor(
    adapter: Adapter,
    details: SocketDetails,
    flags: BroadcastFlags = {},
    ackTimeout?: number,
  ) {
    this.id = details.id;
    this.handshake = details.handshake;
    this.rooms = details.rooms;
    this.data = details.data as SocketData;
    this.#adapter = adapter;
    this.#flags = flags;
    this.#ackTimeout = ackTimeout;
  }

  /** The ack of the next emit gets `(err, answer)`, with an error after `timeout` ms. */
  timeout(timeout: number): RemoteSocket<DecorateAcknowledgements<EmitEvents>, SocketData> {
    return new RemoteSocket(this.#adapter, this, { ...this.#flags, timeout }, this.#ackTimeout);
  }

  /** Send an event to this socket. */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    const packet = eventPacket(this.#adapter.nsp.name, ev, args);
    const ack = takeAck(packet);
    const rooms = new Set([this.id]);
    if (ack === undefined) this.#adapter.broadcast(packet, { rooms, flags: this.#flags });
    else {
      const flags = { ...this.#flags, expectSingleResponse: true };
      collectAcks(this.#adapter, packet, withAckTimeout({ rooms, flags }, this.#ackTimeout), ack);
    }
    return true;
  }

  /** Join rooms. */
  join(room: Room | readonly Room[]): void {
    this.#adapter.addSockets(
      { rooms: new Set([this.id]) },
      typeof room === "string" ? [room] : [...room],
    );
  }

  /** Leave rooms. */
  leave(room: Room | readonly Room[]): void {
    this.#adapter.delSockets(
      { rooms: new Set([this.id]) },
      typeof room === "string" ? [room] : [...room],
    );
  }

  /** Disconnect this socket; with `close`, its whole connection. */
  disconnect(close = false): this {
    this.#adapter.disconnectSockets({ rooms: new Set([this.id]) }, close);
    return this;
  }
}

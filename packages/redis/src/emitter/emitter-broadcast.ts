import {
  type DefaultEventsMap,
  type EventNames,
  type EventParams,
  type EventsMap,
  RESERVED_EVENTS,
  type RemoveAcknowledgements,
} from "@switchboard/protocol";
import { type Room, SocketError, SocketErrorCode } from "@switchboard/server";
import debugModule from "debug";
import { RequestType } from "../classic/format.js";
import { RedisAdapterError, RedisAdapterErrorCode } from "../errors.js";
import type { RedisClient } from "../redis-client.js";

const debug = debugModule("switchboard:redis:emitter");

/** What an emitter publishes with: `parser.encode` turns a broadcast into a payload. */
export interface EmitterParser {
  encode(message: unknown): Buffer | string;
}

/** The flags a broadcast of the emitter carries (only those set travel). */
export interface EmitterFlags {
  volatile?: boolean;
  compress?: boolean;
}

/** Where an emitter publishes: one client, key and namespace (internal to the package). */
export interface EmitterTarget {
  /** Publishes on the user's client as given (it queues while connecting, as ioredis does). */
  publish(channel: string, payload: Buffer | string): void;
  readonly key: string;
  readonly nsp: string;
  readonly parser: EmitterParser;
}

/** The id @socket.io/redis-emitter writes as the sender of its messages (every node accepts it). */
export const EMITTER_UID = "emitter";

/**
 * How the emitter publishes: through the client layer once the client is ready (on a Redis
 * Cluster it keeps one emitter's messages in order across channels, as the adapter's), and
 * straight on the user's client before (ioredis queues commands while it connects, so an
 * emitter used right after `new Redis()` loses nothing, as with @socket.io/redis-emitter).
 * A failure is debug-logged: an emitter has nobody to report it to.
 */
export function publisher(
  client: object,
  wrapped: RedisClient,
): (channel: string, payload: Buffer | string) => void {
  const raw = (client as { publish?: unknown }).publish;
  if (typeof raw !== "function") throw new TypeError("the Redis client has no publish()");
  const failed = (channel: string) => (err: unknown) =>
    debug("publish on %s failed: %s", channel, err);
  return (channel, payload) => {
    if (wrapped.state === "ready") {
      wrapped.publish(channel, payload).catch(failed(channel));
      return;
    }
    try {
      const sent: unknown = raw.call(client, channel, payload);
      if (sent instanceof Promise) sent.catch(failed(channel));
    } catch (err) {
      failed(channel)(err);
    }
  };
}

/** Publishes a JSON request (join, leave, disconnect, server-side emit) on the namespace's request channel. */
export function publishRequest(target: EmitterTarget, message: Record<string, unknown>): void {
  target.publish(`${target.key}-request#${target.nsp}#`, JSON.stringify(message));
}

/** Throws for an ack callback among the arguments: nobody could answer it. */
export function refuseAck(args: readonly unknown[]): void {
  if (typeof args[args.length - 1] === "function") {
    throw new RedisAdapterError(
      RedisAdapterErrorCode.ACKS_UNSUPPORTED,
      "Acknowledgements are not supported by the emitter",
    );
  }
}

/** Event names a client never receives: the life-cycle events of both sides. */
export const RESERVED: ReadonlySet<string> = new Set(RESERVED_EVENTS);

/** Throws `SB_ERR_RESERVED_EVENT` (as the server's `emit` does) for a name in `reserved`. */
export function refuseReserved(ev: unknown, reserved: ReadonlySet<string>): void {
  if (typeof ev === "string" && reserved.has(ev)) {
    throw new SocketError(SocketErrorCode.RESERVED_EVENT, `"${ev}" is a reserved event name`);
  }
}

/**
 * A selection of sockets in one namespace of the cluster, as seen from an emitter: rooms,
 * excepted rooms and flags, each call returning a new selection (so one can be reused).
 * Built by `Emitter#to`, `in`, `except`, `volatile` and `compress`.
 *
 * @example
 * ```ts
 * emitter.to("room1").except("room2").volatile.emit("tick", Date.now());
 * ```
 */
export class EmitterBroadcast<EmitEvents extends EventsMap = DefaultEventsMap> {
  readonly #target: EmitterTarget;
  readonly #rooms: ReadonlySet<Room>;
  readonly #except: ReadonlySet<Room>;
  readonly #flags: Readonly<EmitterFlags>;

  /** @internal Use `Emitter#to` and the like. */
  constructor(
    target: EmitterTarget,
    rooms: ReadonlySet<Room> = new Set(),
    except: ReadonlySet<Room> = new Set(),
    flags: Readonly<EmitterFlags> = {},
  ) {
    this.#target = target;
    this.#rooms = rooms;
    this.#except = except;
    this.#flags = flags;
  }

  /** Targets a room (or rooms), added to those already targeted. */
  to(room: Room | readonly Room[]): EmitterBroadcast<EmitEvents> {
    return new EmitterBroadcast(this.#target, add(this.#rooms, room), this.#except, this.#flags);
  }

  /** Alias of {@link to}. */
  in(room: Room | readonly Room[]): EmitterBroadcast<EmitEvents> {
    return this.to(room);
  }

  /** Leaves out the sockets in a room (or rooms). */
  except(room: Room | readonly Room[]): EmitterBroadcast<EmitEvents> {
    return new EmitterBroadcast(this.#target, this.#rooms, add(this.#except, room), this.#flags);
  }

  /** Whether the packets are compressed (WebSocket permessage-deflate). Default: as the server decides. */
  compress(compress: boolean): EmitterBroadcast<EmitEvents> {
    return this.#with({ compress });
  }

  /** The event may be lost for clients that cannot receive it right now. */
  get volatile(): EmitterBroadcast<EmitEvents> {
    return this.#with({ volatile: true });
  }

  /**
   * Publishes the event to every selected socket of every node. Arguments may hold Buffers.
   *
   * @throws SocketError `SB_ERR_RESERVED_EVENT` for a reserved name (`connect`, …)
   * @throws RedisAdapterError `SB_ERR_REDIS_ACKS_UNSUPPORTED` with an ack callback, and
   *   `SB_ERR_REDIS_UNENCODABLE` for arguments msgpack cannot carry
   */
  emit<Ev extends EventNames<RemoveAcknowledgements<EmitEvents>>>(
    ev: Ev,
    ...args: EventParams<RemoveAcknowledgements<EmitEvents>, Ev>
  ): true {
    refuseReserved(ev, RESERVED);
    refuseAck(args);
    const { key, nsp, parser } = this.#target;
    let channel = `${key}#${nsp}#`;
    if (this.#rooms.size === 1) for (const room of this.#rooms) channel += `${room}#`;
    // Field order as @socket.io/redis-emitter writes it: rooms, flags, except.
    const payload = parser.encode([
      EMITTER_UID,
      { type: 2, data: [ev, ...args], nsp },
      { rooms: [...this.#rooms], flags: { ...this.#flags }, except: [...this.#except] },
    ]);
    this.#target.publish(channel, payload);
    return true;
  }

  /** Makes the selected sockets join a room (or rooms), on every node. */
  socketsJoin(room: Room | readonly Room[]): void {
    this.#request({ type: RequestType.REMOTE_JOIN, opts: this.#opts(), rooms: list(room) });
  }

  /** Makes the selected sockets leave a room (or rooms), on every node. */
  socketsLeave(room: Room | readonly Room[]): void {
    this.#request({ type: RequestType.REMOTE_LEAVE, opts: this.#opts(), rooms: list(room) });
  }

  /**
   * Disconnects the selected sockets, on every node.
   *
   * @param close also close their underlying connections (other namespaces too). Default false.
   */
  disconnectSockets(close = false): void {
    this.#request({ type: RequestType.REMOTE_DISCONNECT, opts: this.#opts(), close });
  }

  #opts(): { rooms: Room[]; except: Room[] } {
    return { rooms: [...this.#rooms], except: [...this.#except] };
  }

  #request(message: Record<string, unknown>): void {
    publishRequest(this.#target, message);
  }

  #with(flags: EmitterFlags): EmitterBroadcast<EmitEvents> {
    return new EmitterBroadcast(this.#target, this.#rooms, this.#except, {
      ...this.#flags,
      ...flags,
    });
  }
}

function add(set: ReadonlySet<Room>, room: Room | readonly Room[]): Set<Room> {
  const next = new Set(set);
  if (typeof room === "string") next.add(room);
  else for (const r of room) next.add(r);
  return next;
}

function list(room: Room | readonly Room[]): Room[] {
  return typeof room === "string" ? [room] : [...room];
}

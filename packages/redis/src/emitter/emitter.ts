import type {
  DefaultEventsMap,
  EventNames,
  EventParams,
  EventsMap,
  RemoveAcknowledgements,
} from "@switchboard/protocol";
import type { Room } from "@switchboard/server";
import { RequestType } from "../classic/format.js";
import { msgpackParser } from "../msgpack/index.js";
import { type AnyRedisClient, wrapRedisClient } from "../redis-client.js";
import {
  EMITTER_UID,
  EmitterBroadcast,
  type EmitterParser,
  type EmitterTarget,
  publisher,
  publishRequest,
  RESERVED,
  refuseAck,
  refuseReserved,
} from "./emitter-broadcast.js";

/*
 * What @socket.io/redis-emitter 5.1 publishes (observed with PSUBSCRIBE, and what this
 * emitter publishes byte for byte; test/emitter-bytes.test.ts), for key K and namespace N:
 * - emit: `K#N#` (`K#N#<room>#` for exactly one room), msgpack
 *   `["emitter", {type: 2, data: [ev, ...args], nsp: N}, {rooms, flags, except}]` in that
 *   key order, `flags` holding only what was set (`volatile`, `compress`), type 2 with binary too;
 * - socketsJoin / socketsLeave: `K-request#N#`, JSON `{"type":2|3,"opts":{"rooms","except"},"rooms"}`;
 * - disconnectSockets: the same channel, `{"type":4,"opts":{…},"close":bool}`;
 * - serverSideEmit: the same channel, `{"uid":"emitter","type":6,"data":[ev, ...args]}`.
 */

/** Options of {@link Emitter}, as @socket.io/redis-emitter's. */
export interface EmitterOptions {
  /** Prefix of the channel names; the `key` of the nodes' `createAdapter`. Default `"socket.io"`. */
  key: string;
  /** Encodes broadcasts; the nodes' `parser`. Default {@link msgpackParser} (notepack.io's bytes). */
  parser: EmitterParser;
}

/** Server-side event names the nodes keep for themselves. */
const RESERVED_SERVER_SIDE: ReadonlySet<string> = new Set([
  ...RESERVED,
  "connection",
  "new_namespace",
]);

/**
 * Sends events to the clients of a cluster from any Node.js process that has a Redis client
 * (a job worker, a cron script), without being a server: a drop-in for
 * @socket.io/redis-emitter, publishing the same bytes on the same channels, so it reaches
 * Switchboard nodes on `createAdapter` and socket.io nodes on @socket.io/redis-adapter alike.
 *
 * `redisClient` is an ioredis `Redis`/`Cluster` or a node-redis (v4+) client; messages
 * published while it connects are queued by the client as it queues any command (node-redis
 * needs `connect()` first). Fire and forget: a failed publish is debug-logged
 * (`DEBUG=switchboard:redis:emitter`). Acks are not supported (there is nobody to answer).
 *
 * @throws TypeError for a client that is neither library's, or an invalid option
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { Emitter } from "@switchboard/redis";
 *
 * const emitter = new Emitter(new Redis());
 * emitter.to("room1").emit("news", { title: "hello" });
 * emitter.of("/admin").except("muted").emit("alert", Buffer.from([1, 2, 3]));
 * emitter.in("room1").socketsJoin("room2");
 * emitter.serverSideEmit("reload-config");
 * ```
 */
export class Emitter<
  EmitEvents extends EventsMap = DefaultEventsMap,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
> {
  readonly #client: AnyRedisClient;
  readonly #opts: EmitterOptions;
  readonly #target: EmitterTarget;

  /**
   * @param redisClient an ioredis or node-redis client (publishes only)
   * @param opts `key` and `parser`, as the nodes' adapter has them
   * @param nsp the namespace this emitter sends to. Default `"/"`.
   */
  constructor(redisClient: AnyRedisClient, opts: Partial<EmitterOptions> = {}, nsp = "/") {
    // Validates the client (TypeError for anything else); the wrapper's "error" listener also
    // keeps a node-redis connection error from crashing an emitter-only process.
    const wrapped = wrapRedisClient(redisClient);
    const key = opts.key ?? "socket.io";
    const parser = opts.parser ?? msgpackParser;
    if (typeof key !== "string" || key === "") {
      throw new TypeError("key must be a non-empty string");
    }
    if (typeof parser?.encode !== "function") throw new TypeError("parser must have encode()");
    this.#client = redisClient;
    this.#opts = { key, parser };
    this.#target = { publish: publisher(redisClient, wrapped), key, nsp, parser };
  }

  /** An emitter for another namespace (`"/"` is prepended when missing), same client and options. */
  of(nsp: string): Emitter<EmitEvents, ServerSideEvents> {
    return new Emitter(this.#client, this.#opts, nsp.startsWith("/") ? nsp : `/${nsp}`);
  }

  /** Publishes an event to every client of the namespace. See {@link EmitterBroadcast.emit}. */
  emit<Ev extends EventNames<RemoveAcknowledgements<EmitEvents>>>(
    ev: Ev,
    ...args: EventParams<RemoveAcknowledgements<EmitEvents>, Ev>
  ): true {
    return this.#all().emit(ev, ...args);
  }

  /** Targets a room (or rooms). */
  to(room: Room | readonly Room[]): EmitterBroadcast<EmitEvents> {
    return this.#all().to(room);
  }

  /** Alias of {@link to}. */
  in(room: Room | readonly Room[]): EmitterBroadcast<EmitEvents> {
    return this.#all().to(room);
  }

  /** Leaves out the sockets in a room (or rooms). */
  except(room: Room | readonly Room[]): EmitterBroadcast<EmitEvents> {
    return this.#all().except(room);
  }

  /** The event may be lost for clients that cannot receive it right now. */
  get volatile(): EmitterBroadcast<EmitEvents> {
    return this.#all().volatile;
  }

  /** Whether the packets are compressed. */
  compress(compress: boolean): EmitterBroadcast<EmitEvents> {
    return this.#all().compress(compress);
  }

  /** Makes every socket of the namespace join a room (or rooms). */
  socketsJoin(room: Room | readonly Room[]): void {
    this.#all().socketsJoin(room);
  }

  /** Makes every socket of the namespace leave a room (or rooms). */
  socketsLeave(room: Room | readonly Room[]): void {
    this.#all().socketsLeave(room);
  }

  /** Disconnects every socket of the namespace (`close`: their connections too). Default false. */
  disconnectSockets(close = false): void {
    this.#all().disconnectSockets(close);
  }

  /**
   * Sends an event to the namespace's instance on every node (its `serverSideEmit`
   * listeners: `io.on(ev, ...)`). Arguments travel as JSON. No acks.
   *
   * @throws SocketError `SB_ERR_RESERVED_EVENT` for a reserved name (`connect`, `connection`, …)
   * @throws RedisAdapterError `SB_ERR_REDIS_ACKS_UNSUPPORTED` with an ack callback
   */
  serverSideEmit<Ev extends EventNames<RemoveAcknowledgements<ServerSideEvents>>>(
    ev: Ev,
    ...args: EventParams<RemoveAcknowledgements<ServerSideEvents>, Ev>
  ): true {
    refuseReserved(ev, RESERVED_SERVER_SIDE);
    refuseAck(args);
    publishRequest(this.#target, {
      uid: EMITTER_UID,
      type: RequestType.SERVER_SIDE_EMIT,
      data: [ev, ...args],
    });
    return true;
  }

  #all(): EmitterBroadcast<EmitEvents> {
    return new EmitterBroadcast<EmitEvents>(this.#target);
  }
}

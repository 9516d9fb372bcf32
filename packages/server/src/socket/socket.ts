import type { IncomingMessage } from "node:http";
import type {
  AllButLast,
  DecorateAcknowledgements,
  DefaultEventsMap,
  EventNames,
  EventNamesWithAck,
  EventParams,
  EventsMap,
  FirstNonErrorArg,
  InferSchemaOutput,
  Last,
  ReservedOrUserEventNames,
  ReservedOrUserListener,
  SocketPacket,
  StandardSchemaV1,
} from "@switchboard/protocol";
import { isStandardSchema } from "@switchboard/protocol";
import debugModule from "debug";
import type {
  AckCallback,
  Adapter,
  AdapterSocket,
  BroadcastFlags,
  EncodedPacket,
} from "../adapter/types.js";
import type { EngineConnection, SendOptions } from "../engine/index.js";
import { SocketPresence } from "../presence/presence.js";
import { type Ack, AckRegistry, ackPromise, eventPacket, takeAck } from "./acks.js";
import { BroadcastOperator, type Operator } from "./broadcast-operator.js";
import type { Client } from "./client.js";
import { SocketError, SocketErrorCode, SocketTypeError } from "./errors.js";
import { createHandshake } from "./handshake.js";
import {
  type ClientSocket,
  kEncode,
  kGuards,
  kOnClose,
  kOnConnect,
  kOnPacket,
  kOptions,
  kPersisting,
  kPresence,
  kPresenceIfAny,
  kRefuse,
  kRemove,
  kReportError,
  kSocketObserver,
  type NamespaceOf,
  type ServerOf,
} from "./internal.js";
import { PreparedPacket } from "./prepared-packet.js";
import { SocketLimiter } from "./rate-limit.js";
import { type DisconnectReason, RECOVERABLE_REASONS, RESERVED_EVENTS } from "./reasons.js";
import { SocketHooks, type SocketReservedEventsMap } from "./socket-hooks.js";
import type { Handshake, RestoredSession, Room, SocketId } from "./types.js";
import { checkPayload, type GuardError, type ResolvedSchema, validatedAck } from "./validation.js";

export type { Event, SocketMiddleware, SocketReservedEventsMap } from "./socket-hooks.js";

const debug = debugModule("switchboard:socket");

interface EmitFlags extends BroadcastFlags {}

/** Prototype of every socket's listener table: an object with nothing on its chain. */
const EMPTY_EVENTS: object = Object.freeze(Object.create(null));

/**
 * The CONNECT answer leaves in a write of its own, before anything the "connection"
 * handlers send (they go with the usual flush, in a later write), as engine.io writes them.
 * A reader that takes one message and then listens for the next (the official Socket.IO v5
 * test suite over `ws` >= 8.17, which emits every message of one read synchronously) would
 * otherwise lose what shared the answer's read.
 */
const CONNECT_ANSWER: SendOptions = Object.freeze({ flush: true });

/**
 * One client connected to one namespace. Created by the server; get it from the
 * `connection` event.
 *
 * @example
 * ```ts
 * io.on("connection", (socket) => {
 *   socket.join("lobby");
 *   socket.on("chat", (text, ack) => {
 *     socket.to("lobby").emit("chat", socket.id, text);
 *     ack("ok");
 *   });
 *   socket.on("disconnect", (reason) => console.log(socket.id, reason));
 * });
 * ```
 */
export class Socket<
    ListenEvents extends EventsMap = DefaultEventsMap,
    EmitEvents extends EventsMap = ListenEvents,
    ServerSideEvents extends EventsMap = DefaultEventsMap,
    // biome-ignore lint/suspicious/noExplicitAny: socket.io's default, so untyped apps can use data freely
    SocketData = any,
  >
  extends SocketHooks<ListenEvents, EmitEvents>
  implements AdapterSocket, ClientSocket
{
  /** The socket id (the `sid` the client gets), distinct from the engine session id. */
  readonly id: SocketId;
  readonly nsp: NamespaceOf<ListenEvents, EmitEvents, ServerSideEvents, SocketData>;
  readonly client: Client;
  /** Whether the socket is currently connected. */
  override connected = false;

  // Every socket pays for each slot here: rarely used state lives in SocketHooks, `data` and
  // the ack map are created on first use, and the handshake reads the request on demand.
  readonly #handshake: Handshake;
  #data: SocketData | undefined;
  #acks: AckRegistry | undefined;
  #flags: EmitFlags | undefined;
  #limiter: SocketLimiter | undefined;

  constructor(
    nsp: NamespaceOf<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
    client: Client,
    auth: Record<string, unknown>,
    previous?: RestoredSession,
  ) {
    super();
    // EventEmitter starts from `{ __proto__: null }`, which V8 keeps as a hash table
    // (~160 bytes per socket). An empty object whose prototype chain is empty behaves the
    // same for EventEmitter's lookups and stays a fast object that shares one hidden class
    // across sockets with the same listeners.
    (this as unknown as { _events: object })._events = Object.create(EMPTY_EVENTS);
    this.nsp = nsp;
    this.client = client;
    this.#handshake = createHandshake(client.conn, auth, Date.now());
    if (previous !== undefined) {
      this.id = previous.sid;
      this.#data = previous.data as SocketData;
      this.ensureExtras().pid = previous.pid;
      this.ensureExtras().recovered = true;
      this.nsp.adapter.addAll(this.id, previous.rooms);
      this.ensureExtras().missedPackets = previous.missedPackets;
    } else if (client.conn.protocol === 3) {
      // socket.io 2.x clients compute their socket's id themselves: the engine session id
      // for "/", "<nsp>#<session id>" for other namespaces. The server uses the same one,
      // so that an id a client reports is the id its socket has here. No connection state
      // recovery for them (no pid: their CONNECT answer has no payload).
      this.id = nsp.name === "/" ? client.conn.id : `${nsp.name}#${client.conn.id}`;
    } else {
      this.id = nsp.server.generateSocketId();
      if (nsp.connectionStateRecovery) this.ensureExtras().pid = nsp.server.generateSocketId();
    }
  }

  /** Free storage for the app; shared with other nodes by `fetchSockets()`. */
  get data(): SocketData {
    if (this.#data === undefined) this.#data = {} as SocketData;
    return this.#data;
  }

  set data(value: SocketData) {
    this.#data = value;
    if (this.connected && this.pid !== undefined) this.nsp.adapter.sessionChanged?.(this.id);
  }

  /** The server this socket belongs to. */
  get server(): ServerOf<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    return this.nsp.server;
  }

  /** The namespace's adapter. */
  get adapter(): Adapter {
    return this.nsp.adapter;
  }

  /** The engine connection (shared by every namespace of this client). */
  get conn(): EngineConnection {
    return this.client.conn;
  }

  /** The handshake request (the `ws` / polling request that opened the session). */
  get request(): IncomingMessage {
    return this.client.conn.request;
  }

  /** The handshake details (each field read from the request on first access). */
  get handshake(): Handshake {
    return this.#handshake;
  }

  /** The rooms this socket is in (a snapshot). */
  get rooms(): Set<Room> {
    return new Set(this.nsp.adapter.socketRooms(this.id));
  }

  /**
   * This socket's presence: track it in rooms' presence sets under an identity (see
   * `io.presence(room)`).
   *
   * @example
   * ```ts
   * socket.presence.track("lobby", { id: socket.data.userId, meta: { name: "Ada" } });
   * ```
   */
  get presence(): SocketPresence {
    return new SocketPresence(this, this.nsp[kPresence]);
  }

  /** Whether the socket is disconnected. */
  get disconnected(): boolean {
    return !this.connected;
  }

  /**
   * Send an event to this client. A function as last argument asks for an
   * acknowledgement; with {@link timeout} it is called as `(err, ...answer)`.
   *
   * @example
   * ```ts
   * socket.emit("hello", "world");
   * socket.emit("question", 42, (answer) => console.log(answer));
   * socket.timeout(5000).emit("question", 42, (err, answer) => {});
   * ```
   */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    const packet = eventPacket(this.nsp.name, ev, args);
    const flags = this.#flags;
    this.#flags = undefined;
    let ack = takeAck(packet);
    if (ack !== undefined) {
      const id = this.nsp.nextAckId();
      packet.id = id;
      this.#acks ??= new AckRegistry();
      const timeout = flags?.timeout ?? this.nsp.server[kOptions].ackTimeout;
      const observer = this.nsp.server[kSocketObserver];
      if (observer !== undefined) ack = observer.ack(ack, timeout !== undefined);
      this.#acks.add(id, ack, timeout, this);
    } else if (this.nsp.connectionStateRecovery !== undefined && flags?.volatile !== true) {
      // Through the adapter, so the packet gets an offset and is kept for recovery.
      this.nsp.adapter.broadcast(packet, {
        rooms: new Set([this.id]),
        flags: flags ?? {},
      });
      return true;
    }
    this.notifyOutgoing(packet.data);
    this.#write(packet, flags);
    return true;
  }

  /**
   * Emit and wait for the acknowledgement. With {@link timeout}, rejects when it expires.
   *
   * @example
   * ```ts
   * const answer = await socket.timeout(5000).emitWithAck("question", 42);
   * ```
   */
  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<FirstNonErrorArg<Last<EventParams<EmitEvents, Ev>>>> {
    const errorFirst =
      this.#flags?.timeout !== undefined || this.nsp.server[kOptions].ackTimeout !== undefined;
    return ackPromise(this, this.emit, [ev, ...args], errorFirst);
  }

  /**
   * Listen to an event; with a Standard Schema (zod, valibot, arktype, …) before the
   * handler, the event's first argument is validated first: the handler gets the schema's
   * output, and an invalid payload never reaches it (the client gets an ack `{ error: {
   * code: "SB_ERR_VALIDATION", event, issues } }`, or an `error` event with that object when
   * it asked for no ack). `off(ev, handler)` removes a validated handler too. For a table
   * of schemas (checked before middlewares, with ack answers), see `nsp.validate`.
   *
   * @example
   * ```ts
   * import * as v from "valibot";
   * socket.on("move", v.object({ x: v.number(), y: v.number() }), ({ x, y }, ack) => {
   *   ack?.(board.move(x, y));
   * });
   * ```
   */
  override on<Ev extends ReservedOrUserEventNames<SocketReservedEventsMap, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<SocketReservedEventsMap, ListenEvents, Ev>,
  ): this;
  override on<S extends StandardSchemaV1>(
    ev: string,
    schema: S,
    // biome-ignore lint/suspicious/noExplicitAny: the ack answers whatever the client expects
    handler: (value: InferSchemaOutput<S>, ack: (...answer: any[]) => void) => void,
  ): this;
  override on(
    ev: string,
    listener: ((...args: never[]) => void) | StandardSchemaV1,
    handler?: (...args: never[]) => void,
  ): this {
    if (handler === undefined) return this.onUntyped(ev, listener as (...args: unknown[]) => void);
    if (!isStandardSchema(listener)) {
      throw new SocketTypeError(
        SocketErrorCode.INVALID_OPTION,
        `schema of "${ev}" is not a Standard Schema`,
      );
    }
    const run = handler as (...args: unknown[]) => void;
    const validated = (...args: unknown[]): void => {
      const last = args[args.length - 1];
      const ack = typeof last === "function" ? (last as Ack) : undefined;
      checkPayload(this, ev, listener, args[0], ack, (value) => {
        args[0] = value;
        run.apply(this, args);
      });
    };
    // EventEmitter's `off` also matches a wrapper's `listener` (as it does for `once`).
    validated.listener = run;
    return this.onUntyped(ev, validated);
  }

  /** Emit a `message` event (`socket.send("hi")`). */
  send(...args: EventParams<EmitEvents, "message">): this {
    (this.emit as (ev: string, ...a: unknown[]) => boolean)("message", ...args);
    return this;
  }

  /** Alias of {@link send}. */
  write(...args: EventParams<EmitEvents, "message">): this {
    return this.send(...args);
  }

  /** Join one or more rooms. */
  join(rooms: Room | readonly Room[]): void | Promise<void> {
    return this.nsp.adapter.addAll(this.id, typeof rooms === "string" ? [rooms] : rooms);
  }

  /** Leave a room. */
  leave(room: Room): void | Promise<void> {
    return this.nsp.adapter.del(this.id, room);
  }

  /** Broadcast to a room, excluding this socket. */
  to(room: Room | readonly Room[]): Operator<EmitEvents, SocketData> {
    return this.#operator().to(room);
  }

  /** Alias of {@link to}. */
  in(room: Room | readonly Room[]): Operator<EmitEvents, SocketData> {
    return this.to(room);
  }

  /** Broadcast to everyone but these rooms and this socket. */
  except(room: Room | readonly Room[]): Operator<EmitEvents, SocketData> {
    return this.#operator().except(room);
  }

  /** Broadcast to every other socket of the namespace. */
  get broadcast(): Operator<EmitEvents, SocketData> {
    return this.#operator();
  }

  /** The next emit may be dropped if the client cannot receive it right now. */
  get volatile(): this {
    this.#setFlag("volatile", true);
    return this;
  }

  /** Broadcast flag: only this node (the next `to()`/`broadcast` operator). */
  get local(): Operator<EmitEvents, SocketData> {
    return this.#operator().local;
  }

  /** Whether the next emit may be compressed. */
  compress(compress: boolean): this {
    this.#setFlag("compress", compress);
    return this;
  }

  /**
   * The ack of the next emit gets an error as first argument if the client does not
   * answer within `timeout` ms.
   */
  timeout(
    timeout: number,
  ): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>, ServerSideEvents, SocketData> {
    this.#setFlag("timeout", timeout);
    // The same object, typed with error-first acks: a view TypeScript cannot derive from `this`.
    return this as never;
  }

  /**
   * Disconnect this socket. With `close`, close the whole connection (every namespace).
   */
  disconnect(close = false): this {
    if (!this.connected) return this;
    if (close) {
      this.client.disconnect();
    } else {
      this.#write({ type: 1, nsp: this.nsp.name }, undefined);
      this[kOnClose]("server namespace disconnect");
    }
    return this;
  }

  /** Number of acknowledgements awaited from this client. */
  get pendingAcks(): number {
    return this.#acks?.size ?? 0;
  }

  // ---- AdapterSocket ----

  /** Write an encoded (broadcast) packet. Used by adapters. */
  deliver(encoded: EncodedPacket, flags: BroadcastFlags): void {
    if (!(encoded instanceof PreparedPacket)) {
      throw new SocketTypeError(SocketErrorCode.FOREIGN_ENCODED_PACKET, "foreign encoded packet");
    }
    if (this.extra?.anyOutgoingListeners !== undefined && encoded.packet.type === 2) {
      this.notifyOutgoing(encoded.packet.data);
    }
    this.client.send(encoded.messages, flags);
  }

  /** Register an ack callback under `id`. Used by adapters and `emit`. */
  registerAck(id: number, ack: AckCallback): void {
    this.#acks ??= new AckRegistry();
    this.#acks.set(id, ack);
  }

  // ---- internal ----

  [kOnConnect](): void {
    this.connected = true;
    this.nsp.adapter.addAll(this.id, [this.id]);
    // Socket.IO v4 protocol (socket.io 2.x clients, Engine.IO v3): a bare CONNECT, no sid.
    const packet: SocketPacket =
      this.client.conn.protocol === 3
        ? { type: 0, nsp: this.nsp.name }
        : {
            type: 0,
            nsp: this.nsp.name,
            data: this.pid === undefined ? { sid: this.id } : { sid: this.id, pid: this.pid },
          };
    this.client.send(this.client[kEncode](packet), CONNECT_ANSWER);
    const missed = this.extra?.missedPackets;
    if (missed !== undefined) {
      this.ensureExtras().missedPackets = undefined;
      for (const data of missed) this.#write({ type: 2, nsp: this.nsp.name, data }, undefined);
    }
    const pid = this.pid;
    if (pid !== undefined) this.nsp.adapter.trackSession?.({ id: this.id, pid });
    // Made here if need be: the session may have tracked presence on another node, and
    // this node adopts it from that node's records (which it learns by joining presence).
    if (this.recovered) this.nsp[kPresence].onRecovered(this);
    this.nsp.server[kSocketObserver]?.connected(this);
  }

  [kOnPacket](packet: SocketPacket): void {
    if (!this.connected) return;
    switch (packet.type) {
      case 2:
      case 5:
        this.#onEvent(packet.data, packet.id);
        return;
      case 3:
      case 6:
        this.#onAck(packet.id, packet.data);
        return;
      case 1:
        this[kOnClose]("client namespace disconnect");
        return;
      default:
        // CONNECT for a connected namespace, or CONNECT_ERROR from a client: not valid.
        debug("unexpected packet type %d from %s", packet.type, this.id);
        this.client.onParseError(
          new SocketError(
            SocketErrorCode.UNEXPECTED_PACKET,
            `unexpected packet type ${packet.type}`,
          ),
        );
    }
  }

  [kOnClose](reason: DisconnectReason, description?: unknown): void {
    if (!this.connected) return;
    debug("socket %s closing: %s", this.id, reason);
    this.emitReserved("disconnecting", reason, description);
    const recovery = this.nsp.connectionStateRecovery;
    if (recovery !== undefined && this.pid !== undefined && RECOVERABLE_REASONS.has(reason)) {
      const persisted = this.nsp.adapter.persistSession({
        sid: this.id,
        pid: this.pid,
        rooms: [...(this.nsp.adapter.socketRooms(this.id) ?? [])],
        data: this.#data ?? {},
      });
      // An asynchronous store (Redis): the server's close waits for it before closing the
      // adapters, and reports its failure.
      if (persisted !== undefined) this.nsp.server[kPersisting](persisted, this);
    }
    this.nsp.adapter.delAll(this.id);
    this.nsp[kPresenceIfAny]?.onClose(this.id, RECOVERABLE_REASONS.has(reason));
    this.nsp[kRemove](this);
    this.client.remove(this);
    this.connected = false;
    const acks = this.#acks;
    this.#acks = undefined;
    acks?.disconnected();
    this.nsp.server[kSocketObserver]?.disconnected(this, reason);
    this.emitReserved("disconnect", reason, description);
  }

  #onEvent(data: unknown[], id: number | undefined): void {
    const event = data[0];
    if (typeof event !== "string") {
      this.client.onParseError(
        new SocketError(SocketErrorCode.INVALID_EVENT_NAME, "event name is not a string"),
      );
      return;
    }
    if (RESERVED_EVENTS.has(event)) {
      // socket.io's parser rejects these as an invalid payload: the connection closes.
      this.client.onParseError(
        new SocketError(
          SocketErrorCode.RESERVED_CLIENT_EVENT,
          `reserved event name "${event}" from client`,
        ),
      );
      return;
    }
    const observer = this.nsp.server[kSocketObserver];
    if (observer !== undefined) observer.event(event, this.nsp.name);
    const guards = this.nsp[kGuards];
    const limit = guards.rateLimit;
    if (limit !== undefined) {
      const now = Date.now();
      let limiter = this.#limiter;
      if (limiter?.config !== limit) limiter = this.#limiter = new SocketLimiter(limit, now);
      const verdict = limiter.check(event, now);
      if (verdict !== 0) {
        this[kRefuse](
          { code: SocketErrorCode.RATE_LIMITED, event, retryAfter: limiter.retryAfter },
          id === undefined ? undefined : this.#ackFor(id),
          limit.notify,
        );
        if (verdict === 2) {
          this.#write({ type: 1, nsp: this.nsp.name }, undefined);
          this[kOnClose]("rate limited");
        }
        return;
      }
    }
    const schema = guards.schemas?.get(event);
    if (schema !== undefined) {
      this.#onValidatedEvent(event, schema, data, id);
      return;
    }
    if (id !== undefined) data.push(this.#ackFor(id));
    this.receive(data);
  }

  #onValidatedEvent(event: string, schema: ResolvedSchema, data: unknown[], id?: number): void {
    const ack = id === undefined ? undefined : this.#ackFor(id);
    checkPayload(this, event, schema.payload, data[1], ack, (value) => {
      data[1] = value;
      if (ack !== undefined) {
        data.push(schema.ack === undefined ? ack : validatedAck(this, event, schema.ack, ack));
      }
      this.receive(data);
    });
  }

  /** Tell the client an event was refused: in its ack, or an `error` event when `notify`. */
  [kRefuse](error: GuardError, ack: Ack | undefined, notify: boolean): void {
    if (ack !== undefined) ack({ error });
    else if (notify)
      this.#write({ type: 2, nsp: this.nsp.name, data: ["error", error] }, undefined);
  }

  #onAck(id: number, data: unknown[]): void {
    if (this.#acks?.answer(id, data, this) !== true) {
      debug("ack %d for unknown id from %s", id, this.id);
    }
  }

  #ackFor(id: number): (...args: unknown[]) => void {
    let sent = false;
    return (...args: unknown[]) => {
      if (sent || !this.connected) return;
      sent = true;
      try {
        this.#write({ type: 3, nsp: this.nsp.name, id, data: args }, undefined);
      } catch (err) {
        // Unencodable answer, e.g. a handler echoing a client's JSON nested past
        // MAX_ENCODE_DEPTH (the decoder accepts it): drop the ack, never throw into the
        // handler of untrusted input (it would crash the process).
        debug("ack %d of %s not sent: %s", id, this.id, err);
        this[kReportError](err as Error);
      }
    };
  }

  #write(packet: SocketPacket, flags: BroadcastFlags | undefined): void {
    this.client.send(this.client[kEncode](packet), flags);
  }

  #setFlag<K extends keyof EmitFlags>(key: K, value: EmitFlags[K]): void {
    this.#flags ??= {};
    this.#flags[key] = value;
  }

  #operator(): Operator<EmitEvents, SocketData> {
    const flags = this.#flags ?? {};
    this.#flags = undefined;
    return new BroadcastOperator(
      this.nsp.adapter,
      new Set(),
      new Set([this.id]),
      flags,
      this.nsp.server[kOptions].ackTimeout,
    ) as Operator<EmitEvents, SocketData>;
  }
}

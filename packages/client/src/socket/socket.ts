import type {
  AllButLast,
  DecorateAcknowledgements,
  DefaultEventsMap,
  EventNames,
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
import { RESERVED_EVENTS } from "@switchboard/protocol";
import { type AnyListener, Emitter, subscribe } from "../emitter.js";
import { ClientErrorCode, SocketError, TransportError } from "../engine/errors.js";
import type { ManagerLink, SocketManager } from "./manager-link.js";
import type {
  DisconnectDescription,
  DisconnectReason,
  SocketOptions,
  SocketReservedEvents,
} from "./socket-types.js";
import { validatedListener } from "./validated-listener.js";

/** Defined (true) only when scripts/bundle.mjs builds the IIFE bundles; undeclared elsewhere. */
declare const SWITCHBOARD_IIFE: true | undefined;

interface Flags {
  compress?: boolean;
  volatile?: boolean;
  timeout?: number;
  fromQueue?: boolean;
}

/** An ack callback; `withError` callbacks take an error (or null) first. */
type AckCallback = AnyListener & { withError?: boolean };

/**
 * The flags of an emit without flags, shared by every Socket and never written: `timeout()`,
 * `volatile` and `compress()` give the Socket an object of its own until the next emit.
 */
const NO_FLAGS: Flags = {};

interface QueuedPacket {
  tryCount: number;
  pending: boolean;
  args: unknown[];
  flags: Flags;
}

// Typed signatures of the inherited Emitter methods (type-only: no wrapper methods in the bundle).
export interface Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/correctness/noUnusedVariables: merged declarations need the class's type parameters
  EmitEvents extends EventsMap = ListenEvents,
> {
  /** Listens to a server event or a reserved event (`connect`, `connect_error`, `disconnect`). */
  on<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>,
  ): this;
  /**
   * Listens to a server event whose first argument a Standard Schema (zod, valibot,
   * arktype, …) checks first: the handler gets the schema's output; an invalid payload
   * never reaches it, and when the server asked for an ack it gets `{ error: { code:
   * "SB_ERR_VALIDATION", event, issues } }`. `off(ev, handler)` removes it.
   *
   * @example
   * ```ts
   * socket.on("price", z.object({ symbol: z.string(), value: z.number() }), ({ symbol, value }) => {});
   * ```
   */
  on<S extends StandardSchemaV1>(
    ev: string,
    schema: S,
    // biome-ignore lint/suspicious/noExplicitAny: the ack answers whatever the server expects
    handler: (value: InferSchemaOutput<S>, ack: (...answer: any[]) => void) => void,
  ): this;
  /** Listens once. */
  once<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>,
  ): this;
  /** Removes a listener, all listeners of an event, or all listeners. */
  off<Ev extends ReservedOrUserEventNames<SocketReservedEvents, ListenEvents>>(
    ev?: Ev,
    listener?: ReservedOrUserListener<SocketReservedEvents, ListenEvents, Ev>,
  ): this;
}

/**
 * A connection to one namespace over a {@link Manager}'s connection. `emit` sends events
 * (buffered while disconnected, sent in order on connect), `on` listens.
 *
 * Events: `connect`, `connect_error` (err, with `err.data` from the server),
 * `disconnect` (reason, description), and the server's events.
 *
 * Events a server sends before its CONNECT answer (python-socketio 5.7 and Flask-SocketIO
 * 5.3 write what a connect handler emits before it) are held and delivered right after
 * `connect`, in the order received, so they come in the same order as from a server that
 * answers first; socket.io-client 4.8 delivers them before `connect` instead. At most
 * `maxBufferedPackets` are held: one more refuses the connection as a CONNECT_ERROR would
 * (`connect_error` with a {@link TransportError} of code `SB_ERR_TOO_MANY_EARLY_PACKETS`,
 * a DISCONNECT sent for the namespace, `active` false). Events held when the connection
 * closes or is refused before its CONNECT answer are dropped with it.
 *
 * @example
 * ```ts
 * const socket = io("https://example.com", { auth: { token: "abc" } });
 * socket.on("connect", () => console.log(socket.id));
 * socket.emit("hello", "world", (reply) => console.log(reply));
 * const reply = await socket.timeout(5000).emitWithAck("question");
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface above only narrows inherited methods' types
export class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
> extends Emitter {
  /** The Manager this Socket uses. */
  readonly io: SocketManager<ListenEvents, EmitEvents>;
  /** The namespace. */
  readonly nsp: string;
  /** Session id given by the server on connect; undefined while disconnected. */
  id: string | undefined;
  /** Whether the Socket is connected to the namespace. */
  connected = false;
  /** Whether the last connection recovered the previous session (connection state recovery). */
  recovered = false;
  /** The `auth` option; may be changed before reconnecting. */
  auth: SocketOptions["auth"] | undefined;
  /**
   * Events received before the namespace's CONNECT answer (servers that write them first,
   * such as python-socketio 5.7), delivered right after `connect`.
   */
  receiveBuffer: unknown[][] = [];
  /** Packets emitted while disconnected, sent on connect. */
  sendBuffer: SocketPacket[] = [];
  #opts: Partial<SocketOptions>;
  #ids = 0;
  // Per-instance state is created when first needed: a Node.js process may hold thousands
  // of Sockets, most of which never use acks with timeouts, catch-all listeners or retries.
  #acks: Map<number, AckCallback> | undefined;
  #flags: Flags = NO_FLAGS;
  #subs: (() => void) | undefined;
  #anyListeners: AnyListener[] = [];
  #anyOutgoingListeners: AnyListener[] = [];
  #queue: QueuedPacket[] | undefined;
  #pid: string | undefined;
  #lastOffset: string | undefined;
  readonly #link: ManagerLink;

  /**
   * Sockets are created by `Manager.socket()` (or `io()`), which hands them its link and
   * connects them unless `autoConnect` is false.
   */
  constructor(
    io: SocketManager<ListenEvents, EmitEvents>,
    nsp: string,
    opts: Partial<SocketOptions>,
    link: ManagerLink,
  ) {
    super();
    this.io = io;
    this.#link = link;
    this.nsp = nsp;
    this.#opts = opts;
    this.auth = opts.auth;
  }

  /** Whether the Socket is not connected. */
  get disconnected(): boolean {
    return !this.connected;
  }

  /** Whether the Socket will (re)connect: true from `connect()` until `disconnect()` or a refusal. */
  get active(): boolean {
    return this.#subs !== undefined;
  }

  /** Connects (or reconnects after `disconnect()`); no-op when connected. */
  connect(): this {
    if (this.connected) return this;
    this.#subEvents();
    if (this.#link.linkOpen(this.io)) this.#onOpen();
    return this;
  }

  /** Alias of {@link Socket.connect}. */
  open(): this {
    return this.connect();
  }

  /** Emits a `"message"` event. */
  send(...args: unknown[]): this {
    return this.emit(
      "message" as EventNames<EmitEvents>,
      ...(args as EventParams<EmitEvents, never>),
    );
  }

  /**
   * Emits an event to the server. A function as last argument is the acknowledgement
   * callback. Emits while disconnected are buffered and sent, in order, on connect.
   *
   * @example
   * ```ts
   * socket.emit("hello", "world", new Uint8Array([1, 2]));
   * socket.emit("question", (answer) => console.log(answer));
   * ```
   */
  override emit<Ev extends EventNames<EmitEvents>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): this;
  override emit(ev: string, ...args: unknown[]): this {
    if (RESERVED_EVENTS.includes(ev)) {
      throw new SocketError(`"${ev}" is a reserved event name`, ClientErrorCode.RESERVED_EVENT);
    }
    args.unshift(ev);
    const flags = this.#flags;
    this.#flags = NO_FLAGS;
    if (this.#opts.retries && !flags.fromQueue && !flags.volatile) {
      this.#addToQueue(args, flags);
      return this;
    }
    const packet: SocketPacket & { type: 2 } = { type: 2, nsp: this.nsp, data: args };
    const last = args[args.length - 1];
    if (!this.connected && !flags.volatile && this.#full(this.sendBuffer)) {
      const ack = typeof last === "function" ? (last as AckCallback) : undefined;
      if (ack?.withError || (flags.timeout ?? this.#opts.ackTimeout) !== undefined) {
        ack?.call(this, new SocketError("send buffer full", ClientErrorCode.SEND_BUFFER_FULL));
      }
      return this;
    }
    if (typeof last === "function") {
      const id = this.#ids++;
      args.pop();
      this.#registerAck(id, last as AckCallback, flags);
      packet.id = id;
    }
    if (flags.volatile && !(this.connected && this.#link.linkWritable(this.io))) return this;
    if (this.connected) {
      this.#packet(packet, flags.compress);
    } else {
      this.sendBuffer.push(packet);
    }
    return this;
  }

  /**
   * Emits and resolves with the acknowledgement (rejects on timeout or disconnection).
   *
   * @example
   * ```ts
   * const answer = await socket.timeout(1000).emitWithAck("question", 42);
   * ```
   */
  emitWithAck<Ev extends EventNames<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<FirstNonErrorArg<Last<EventParams<EmitEvents, Ev>>>> {
    return new Promise((resolve, reject) => {
      const callback: AckCallback = (err: unknown, value: unknown) =>
        err ? reject(err) : resolve(value as never);
      callback.withError = true;
      (this.emit as (ev: string, ...a: unknown[]) => this)(ev as string, ...args, callback);
    });
  }

  /**
   * Sets a timeout for the next emit's acknowledgement: the callback then takes an error
   * first (`Error("operation has timed out")`).
   *
   * @example
   * ```ts
   * socket.timeout(5000).emit("hello", (err, reply) => {});
   * ```
   */
  timeout(ms: number): Socket<ListenEvents, DecorateAcknowledgements<EmitEvents>> {
    this.#flags = { ...this.#flags, timeout: ms };
    return this as never;
  }

  /** The next emit is dropped if it cannot be sent right now. */
  get volatile(): this {
    this.#flags = { ...this.#flags, volatile: true };
    return this;
  }

  /** Sets the compress flag of the next emit. */
  compress(compress: boolean): this {
    this.#flags = { ...this.#flags, compress };
    return this;
  }

  /** Disconnects from the namespace (closing the connection when no other namespace uses it). */
  disconnect(): this {
    if (this.connected) this.#packet({ type: 1, nsp: this.nsp });
    this.#destroy();
    if (this.connected) this.#onClose("io client disconnect");
    return this;
  }

  /** Alias of {@link Socket.disconnect}. */
  close(): this {
    return this.disconnect();
  }

  /** Adds a listener called with (event, ...args) for every incoming event. */
  onAny(listener: AnyListener): this {
    this.#anyListeners.push(listener);
    return this;
  }

  /** Like {@link Socket.onAny}, but first in line. */
  prependAny(listener: AnyListener): this {
    this.#anyListeners.unshift(listener);
    return this;
  }

  /** Removes one catch-all listener, or all of them. */
  offAny(listener?: AnyListener): this {
    this.#anyListeners = listener ? this.#anyListeners.filter((l) => l !== listener) : [];
    return this;
  }

  /** The catch-all listeners. */
  listenersAny(): AnyListener[] {
    return this.#anyListeners.slice();
  }

  /** Adds a listener called with (event, ...args) for every outgoing event. */
  onAnyOutgoing(listener: AnyListener): this {
    this.#anyOutgoingListeners.push(listener);
    return this;
  }

  /** Like {@link Socket.onAnyOutgoing}, but first in line. */
  prependAnyOutgoing(listener: AnyListener): this {
    this.#anyOutgoingListeners.unshift(listener);
    return this;
  }

  /** Removes one outgoing catch-all listener, or all of them. */
  offAnyOutgoing(listener?: AnyListener): this {
    this.#anyOutgoingListeners = listener
      ? this.#anyOutgoingListeners.filter((l) => l !== listener)
      : [];
    return this;
  }

  /** The outgoing catch-all listeners. */
  listenersAnyOutgoing(): AnyListener[] {
    return this.#anyOutgoingListeners.slice();
  }

  #subEvents(): void {
    this.#subs ??= subscribe(this.io, {
      open: () => this.#onOpen(),
      packet: (packet: SocketPacket) => this.#onPacket(packet),
      error: (err: Error) => {
        if (!this.connected) this.emitReserved("connect_error", err);
      },
      close: (reason: DisconnectReason, description?: DisconnectDescription) =>
        this.#onClose(reason, description),
    });
  }

  #onOpen(): void {
    const auth = this.auth;
    if (typeof auth === "function") auth((data) => this.#sendConnectPacket(data));
    else this.#sendConnectPacket(auth);
  }

  #sendConnectPacket(data: Record<string, unknown> | undefined): void {
    // Connection state recovery: present the previous session (Socket.IO v5, CONNECT).
    const payload = this.#pid ? { pid: this.#pid, offset: this.#lastOffset, ...data } : data;
    this.#packet(
      payload === undefined
        ? { type: 0, nsp: this.nsp }
        : { type: 0, nsp: this.nsp, data: payload },
    );
  }

  #onPacket(packet: SocketPacket): void {
    if (packet.nsp !== this.nsp) return;
    switch (packet.type) {
      case 0: {
        const data = packet.data as { sid?: unknown; pid?: unknown } | undefined;
        if (data && typeof data.sid === "string") {
          this.#onConnect(data.sid, typeof data.pid === "string" ? data.pid : undefined);
        } else {
          this.emitReserved(
            "connect_error",
            new SocketError(
              "no session id in CONNECT (Socket.IO v2 server?)",
              ClientErrorCode.NO_SESSION_ID,
            ),
          );
        }
        return;
      }
      case 2:
      case 5:
        this.#onEvent(packet.data, packet.id);
        return;
      case 3:
      case 6:
        this.#onAck(packet.id, packet.data);
        return;
      case 1:
        this.#destroy();
        this.#onClose("io server disconnect");
        return;
      case 4: {
        this.receiveBuffer = [];
        this.#destroy();
        const data = packet.data as { message?: unknown; data?: unknown } | string;
        const err = new SocketError(
          typeof data === "string" ? data : String(data.message ?? "connection refused"),
          ClientErrorCode.CONNECT_REFUSED,
        );
        if (typeof data === "object") err.data = data.data;
        this.emitReserved("connect_error", err);
        return;
      }
    }
  }

  override on(
    event: string,
    listener: AnyListener | StandardSchemaV1,
    handler?: AnyListener,
  ): this {
    if (handler === undefined) return super.on(event, listener as AnyListener);
    // The IIFE bundles define SWITCHBOARD_IIFE (scripts/bundle.mjs): esbuild folds this to
    // the throw and drops validated-listener.ts, keeping them within their 10 KB budget.
    if (typeof SWITCHBOARD_IIFE === "undefined") {
      return super.on(event, validatedListener(this, event, listener, handler));
    }
    throw new TypeError("schemas need the ESM build");
  }

  #onEvent(args: unknown[], id: number | undefined): void {
    if (id !== undefined) args.push(this.#ack(id));
    if (this.connected) this.#emitEvent(args);
    else if (!this.#full(this.receiveBuffer)) this.receiveBuffer.push(args);
    else this.#onTooManyEarlyPackets();
  }

  /** More events before the CONNECT answer than `maxBufferedPackets`: refuse, as a CONNECT_ERROR would. */
  #onTooManyEarlyPackets(): void {
    const max = this.receiveBuffer.length;
    this.receiveBuffer = [];
    // The server has already accepted the namespace (it is sending events): tell it we leave.
    this.#packet({ type: 1, nsp: this.nsp });
    this.#destroy();
    this.emitReserved(
      "connect_error",
      // description: how many events were held (the bound)
      new TransportError(
        "too many packets before CONNECT",
        max,
        undefined,
        ClientErrorCode.TOO_MANY_EARLY_PACKETS,
      ),
    );
  }

  #emitEvent(args: unknown[]): void {
    for (const listener of this.#anyListeners.slice()) listener.apply(this, args);
    this.emitReserved(...(args as [string, ...unknown[]]));
    // Connection state recovery: the server appends the offset to each broadcast event.
    const last = args[args.length - 1];
    if (this.#pid && typeof last === "string") this.#lastOffset = last;
  }

  #ack(id: number): AnyListener {
    let sent = false;
    return (...args: unknown[]) => {
      if (sent) return;
      sent = true;
      this.#packet({ type: 3, nsp: this.nsp, id, data: args });
    };
  }

  #onAck(id: number, args: unknown[]): void {
    const ack = this.#acks?.get(id);
    if (ack === undefined) return;
    this.#acks!.delete(id);
    if (ack.withError) args.unshift(null);
    ack.apply(this, args);
  }

  #registerAck(id: number, ack: AckCallback, flags: Flags): void {
    this.#acks ??= new Map();
    const acks = this.#acks;
    const timeout = flags.timeout ?? this.#opts.ackTimeout;
    if (timeout === undefined) {
      acks.set(id, ack);
      return;
    }
    const timer = setTimeout(() => {
      acks.delete(id);
      this.sendBuffer = this.sendBuffer.filter((p) => !("id" in p && p.id === id));
      ack.call(this, new SocketError("operation has timed out", ClientErrorCode.ACK_TIMEOUT));
    }, timeout);
    const wrapped: AckCallback = (...args: unknown[]) => {
      clearTimeout(timer);
      ack.apply(this, args);
    };
    wrapped.withError = true;
    acks.set(id, wrapped);
  }

  /** `retries`: one packet in flight at a time, resent until acknowledged or out of tries. */
  #addToQueue(args: unknown[], flags: Flags): void {
    const last = args[args.length - 1];
    const ack = typeof last === "function" ? (args.pop() as AnyListener) : undefined;
    this.#queue ??= [];
    const queue = this.#queue;
    if (this.#full(queue)) {
      ack?.(new SocketError("send buffer full", ClientErrorCode.SEND_BUFFER_FULL));
      return;
    }
    const queued: QueuedPacket = {
      tryCount: 0,
      pending: false,
      args,
      flags: { ...flags, fromQueue: true },
    };
    const onResult: AckCallback = (err: unknown, ...response: unknown[]) => {
      if (queued !== queue[0]) return; // already acknowledged
      if (err) {
        if (queued.tryCount > (this.#opts.retries ?? 0)) {
          queue.shift();
          ack?.(err);
        }
      } else {
        queue.shift();
        ack?.(null, ...response);
      }
      queued.pending = false;
      this.#drainQueue();
    };
    onResult.withError = true;
    args.push(onResult);
    queue.push(queued);
    this.#drainQueue();
  }

  #full(buffer: readonly unknown[]): boolean {
    return buffer.length >= (this.#opts.maxBufferedPackets ?? 10_000);
  }

  #drainQueue(force = false): void {
    const queued = this.#queue?.[0];
    if (!this.connected || queued === undefined || (queued.pending && !force)) return;
    queued.pending = true;
    queued.tryCount++;
    this.#flags = queued.flags;
    (this.emit as (...a: unknown[]) => this)(...queued.args);
  }

  #onConnect(id: string, pid: string | undefined): void {
    this.id = id;
    this.recovered = pid !== undefined && this.#pid === pid;
    this.#pid = pid;
    this.connected = true;
    for (const packet of this.sendBuffer) this.#packet(packet);
    this.sendBuffer = [];
    this.emitReserved("connect");
    // Events sent before the CONNECT answer come after `connect`, as they would from a
    // server that answers first (see the class comment); a `connect` listener that
    // disconnects drops them.
    const early = this.receiveBuffer;
    this.receiveBuffer = [];
    for (const args of early) {
      if (!this.connected) break;
      this.#emitEvent(args);
    }
    this.#drainQueue(true);
  }

  #onClose(reason: DisconnectReason, description?: DisconnectDescription): void {
    this.connected = false;
    this.id = undefined;
    // Events held for a CONNECT answer that never came belong to the closed session.
    this.receiveBuffer = [];
    this.emitReserved("disconnect", reason, description);
    // Acks with an error path learn about the disconnection, unless their packet is still buffered.
    const acks = this.#acks;
    if (acks === undefined) return;
    for (const [id, ack] of acks) {
      if (this.sendBuffer.some((p) => "id" in p && p.id === id)) continue;
      acks.delete(id);
      if (ack.withError) {
        ack.call(
          this,
          new SocketError("socket has been disconnected", ClientErrorCode.DISCONNECTED),
        );
      }
    }
  }

  /** Sends a packet; the outgoing catch-all listeners see events first. */
  #packet(packet: SocketPacket, compress?: boolean): void {
    if (packet.type === 2) {
      for (const listener of this.#anyOutgoingListeners.slice()) listener.apply(this, packet.data);
    }
    this.#link.linkPacket(this.io, packet, compress);
  }

  #destroy(): void {
    this.#subs?.();
    this.#subs = undefined;
    this.#link.linkDestroy(this.io, this);
  }
}

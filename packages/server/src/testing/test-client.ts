import { EventEmitter } from "node:events";
import type {
  BinaryData,
  DefaultEventsMap,
  EventNames,
  EventParams,
  EventsMap,
  RawData,
  SocketPacket,
  SocketParser,
} from "@switchboard/protocol";
import {
  CustomPacketDecoder,
  customEncoder,
  encodeSocketPacket,
  SocketPacketDecoder,
} from "@switchboard/protocol";
import type { Server } from "../socket/server.js";
import {
  InProcessConnection,
  type InProcessPeer,
  type InProcessRequestOptions,
} from "./in-process-connection.js";

/** Default wait of {@link TestSocket.waitFor} and friends, ms. */
export const DEFAULT_WAIT_MS = 2000;

/** Error of a refused connection: `message` and `data` from the server's CONNECT_ERROR. */
export class TestConnectError extends Error {
  readonly data: unknown;
  constructor(message: string, data: unknown) {
    super(message);
    this.name = "TestConnectError";
    this.data = data;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: any server shape
type AnyServer = Server<any, any, any, any>;

/**
 * One in-process connection to a {@link Server}, without any port: the engine connection
 * lives in memory, packets go through the real Socket.IO codec. Several namespaces share
 * it, as with a real client.
 *
 * @example
 * ```ts
 * const client = new TestClient(io, { headers: { cookie: "sid=1" } });
 * const chat = await client.connect("/chat", { auth: { token: "t" } });
 * chat.emit("message", "hi");
 * const [from, text] = await chat.waitFor("message");
 * client.close();
 * ```
 */
export class TestClient implements InProcessPeer {
  readonly connection: InProcessConnection;
  readonly #decoder: SocketPacketDecoder | CustomPacketDecoder;
  readonly #encode: (packet: SocketPacket) => (string | BinaryData)[];
  readonly #sockets = new Map<string, TestSocket>();
  #closeReason: string | undefined;

  /**
   * @param options - the handshake request (headers, query, address), and `parser`: the
   *   server's `parser` option when it has one (the test client then speaks that parser)
   */
  constructor(io: AnyServer, options: InProcessRequestOptions & { parser?: SocketParser } = {}) {
    const { parser, ...request } = options;
    if (parser === undefined) {
      this.#decoder = new SocketPacketDecoder({ maxAttachments: Number.POSITIVE_INFINITY });
      this.#encode = encodeSocketPacket;
    } else {
      this.#decoder = new CustomPacketDecoder(
        parser,
        { maxAttachments: Number.POSITIVE_INFINITY },
        {
          onPacket: (packet) => this.#sockets.get(packet.nsp)?.onPacket(packet),
          onError: (err) => this.close(`test client could not decode: ${String(err)}`),
        },
      );
      this.#encode = customEncoder(parser);
    }
    this.connection = new InProcessConnection(this, request);
    io.acceptConnection(this.connection);
  }

  /** Why the connection closed, once it did. */
  get closeReason(): string | undefined {
    return this.#closeReason;
  }

  /**
   * Connect to a namespace; resolves with the connected socket, rejects with a
   * {@link TestConnectError} on CONNECT_ERROR or when `timeout` ms pass.
   */
  connect<EmitEvents extends EventsMap = DefaultEventsMap>(
    nsp = "/",
    options: { auth?: Record<string, unknown>; timeout?: number } = {},
  ): Promise<TestSocket<EmitEvents>> {
    const socket = new TestSocket<EmitEvents>(this, nsp);
    this.#sockets.set(nsp, socket as never);
    const result = new Promise<TestSocket<EmitEvents>>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`connect to ${nsp} timed out`));
      }, options.timeout ?? DEFAULT_WAIT_MS);
      const onConnect = () => {
        cleanup();
        resolve(socket);
      };
      const onError = (err: Error) => {
        cleanup();
        reject(err);
      };
      const cleanup = () => {
        clearTimeout(timer);
        socket.off("connect", onConnect);
        socket.off("connect_error", onError);
      };
      socket.on("connect", onConnect);
      socket.on("connect_error", onError);
    });
    this.send({ type: 0, nsp, data: options.auth });
    return result;
  }

  /** Send a packet through the real encoder (the `parser`'s, when given). */
  send(packet: SocketPacket): void {
    for (const part of this.#encode(packet)) this.connection.deliver(part);
  }

  /** Send one raw engine message (to test bad input). */
  sendRaw(data: RawData): void {
    this.connection.deliver(data);
  }

  /** Close the connection from the client side (the server sees "transport close"). */
  close(reason = "transport close"): void {
    this.connection.terminate(reason);
  }

  /** Resolves with the close reason once the connection is closed. */
  waitForClose(timeout = DEFAULT_WAIT_MS): Promise<string> {
    if (this.#closeReason !== undefined) return Promise.resolve(this.#closeReason);
    return withTimeout(
      new Promise<string>((resolve) => this.connection.once("close", resolve)),
      timeout,
      "connection close",
    );
  }

  onServerMessage(data: RawData): void {
    const decoder = this.#decoder;
    if (decoder instanceof CustomPacketDecoder) {
      decoder.add(data);
      return;
    }
    let packet: SocketPacket | null;
    try {
      packet = decoder.add(data);
    } catch (err) {
      this.close(`test client could not decode: ${String(err)}`);
      return;
    }
    if (packet === null) return;
    this.#sockets.get(packet.nsp)?.onPacket(packet);
  }

  onServerClose(reason: string): void {
    this.#closeReason = reason;
    for (const socket of this.#sockets.values()) socket.onTransportClose(reason);
    this.#sockets.clear();
  }

  /** @returns whether the socket was still registered. */
  forget(socket: TestSocket<EventsMap>): void {
    if (this.#sockets.get(socket.nsp) === socket) this.#sockets.delete(socket.nsp);
  }
}

type Received = [string, ...unknown[]];

/**
 * A test socket connected to one namespace. Server events are EventEmitter events on it,
 * are recorded in {@link received}, and can be awaited with {@link waitFor}.
 */
export class TestSocket<EmitEvents extends EventsMap = DefaultEventsMap> extends EventEmitter {
  readonly nsp: string;
  readonly client: TestClient;
  /** The socket id the server assigned. */
  id: string | undefined;
  /** The private session id (connection state recovery). */
  pid: string | undefined;
  connected = false;
  /** Every event received from the server, in order: `[event, ...args]`. */
  readonly received: Received[] = [];
  readonly #unread: Received[] = [];
  readonly #acks = new Map<number, (...args: unknown[]) => void>();
  #ackId = 0;
  #disconnectReason: string | undefined;

  constructor(client: TestClient, nsp: string) {
    super();
    this.client = client;
    this.nsp = nsp;
  }

  /** Why the socket disconnected, once it did. */
  get disconnectReason(): string | undefined {
    return this.#disconnectReason;
  }

  /** Send an event; a function as last argument asks for an acknowledgement. */
  override emit<Ev extends EventNames<EmitEvents>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): boolean {
    const data: unknown[] = [ev, ...args];
    const last = data[data.length - 1];
    if (typeof last === "function") {
      data.pop();
      const id = this.#ackId++;
      this.#acks.set(id, last as (...a: unknown[]) => void);
      this.client.send({ type: 2, nsp: this.nsp, data, id });
    } else {
      this.client.send({ type: 2, nsp: this.nsp, data });
    }
    return true;
  }

  /** Send an event and wait for the acknowledgement's arguments. */
  emitWithAck(ev: string, ...args: unknown[]): Promise<unknown[]> {
    return this.timeoutEmitWithAck(DEFAULT_WAIT_MS, ev, ...args);
  }

  /** {@link emitWithAck} with an explicit timeout, ms. */
  timeoutEmitWithAck(timeout: number, ev: string, ...args: unknown[]): Promise<unknown[]> {
    const pending = new Promise<unknown[]>((resolve) => {
      (this.emit as (ev: string, ...a: unknown[]) => boolean)(ev, ...args, (...answer: unknown[]) =>
        resolve(answer),
      );
    });
    return withTimeout(pending, timeout, `ack of "${ev}"`);
  }

  /**
   * Resolve with the arguments of the first unread `event` (already received or coming);
   * an ack callback, if the server asked for one, is the last argument.
   */
  waitFor(event: string, timeout = DEFAULT_WAIT_MS): Promise<unknown[]> {
    const index = this.#unread.findIndex((e) => e[0] === event);
    if (index !== -1) {
      const [entry] = this.#unread.splice(index, 1);
      return Promise.resolve(entry!.slice(1));
    }
    const pending = new Promise<unknown[]>((resolve) => {
      const listener = () => {
        const i = this.#unread.findIndex((e) => e[0] === event);
        if (i === -1) return;
        this.off("__received", listener);
        const [entry] = this.#unread.splice(i, 1);
        resolve(entry!.slice(1));
      };
      this.on("__received", listener);
    });
    return withTimeout(pending, timeout, `event "${event}"`);
  }

  /** Resolve with the disconnect reason. */
  waitForDisconnect(timeout = DEFAULT_WAIT_MS): Promise<string> {
    if (this.#disconnectReason !== undefined) return Promise.resolve(this.#disconnectReason);
    return withTimeout(
      new Promise<string>((resolve) => this.once("disconnect", resolve)),
      timeout,
      "disconnect",
    );
  }

  /** Leave the namespace ("io client disconnect" here, "client namespace disconnect" there). */
  disconnect(): this {
    if (this.connected) {
      this.client.send({ type: 1, nsp: this.nsp });
      this.#onDisconnect("io client disconnect");
    }
    return this;
  }

  /** @internal */
  onPacket(packet: SocketPacket): void {
    switch (packet.type) {
      case 0: {
        const data = packet.data as { sid?: string; pid?: string } | undefined;
        this.id = data?.sid;
        this.pid = data?.pid;
        this.connected = true;
        super.emit("connect");
        return;
      }
      case 4: {
        const data = packet.data as { message?: unknown; data?: unknown } | string;
        const err =
          typeof data === "string"
            ? new TestConnectError(data, undefined)
            : new TestConnectError(String(data?.message), data?.data);
        this.client.forget(this as never);
        super.emit("connect_error", err);
        return;
      }
      case 1:
        this.#onDisconnect("io server disconnect");
        return;
      case 2:
      case 5: {
        const data = packet.data.slice() as Received;
        if (packet.id !== undefined) {
          const id = packet.id;
          let sent = false;
          data.push((...args: unknown[]) => {
            if (sent) return;
            sent = true;
            this.client.send({ type: 3, nsp: this.nsp, id, data: args });
          });
        }
        this.received.push(data);
        this.#unread.push(data);
        // An `error` event from the server (a refused event, issue 18) must not throw as
        // EventEmitter does for an unheard "error": it stays readable with waitFor.
        if (data[0] !== "error" || this.listenerCount("error") > 0) {
          super.emit(...(data as [string, ...unknown[]]));
        }
        super.emit("__received");
        return;
      }
      case 3:
      case 6: {
        const ack = this.#acks.get(packet.id);
        this.#acks.delete(packet.id);
        ack?.(...packet.data);
        return;
      }
    }
  }

  /** @internal */
  onTransportClose(reason: string): void {
    this.#onDisconnect(reason);
  }

  #onDisconnect(reason: string): void {
    if (!this.connected) return;
    this.connected = false;
    this.#disconnectReason = reason;
    this.#acks.clear();
    this.client.forget(this as never);
    super.emit("disconnect", reason);
  }
}

/**
 * Connect a fresh in-process client to `nsp` and return its socket.
 *
 * @example
 * ```ts
 * const socket = await connectTestClient(io, "/", { auth: { token: "abc" } });
 * const [answer] = await socket.emitWithAck("add", 1, 2);
 * ```
 */
export function connectTestClient<EmitEvents extends EventsMap = DefaultEventsMap>(
  io: AnyServer,
  nsp = "/",
  options: InProcessRequestOptions & {
    auth?: Record<string, unknown>;
    timeout?: number;
    parser?: SocketParser;
  } = {},
): Promise<TestSocket<EmitEvents>> {
  const client = new TestClient(io, options);
  return client.connect<EmitEvents>(nsp, options).catch((err: unknown) => {
    client.close();
    throw err;
  });
}

function withTimeout<T>(promise: Promise<T>, timeout: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeout);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

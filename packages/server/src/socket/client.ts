import { parse as parseQuery } from "node:querystring";
import type { ProtocolError, RawData, SocketPacket } from "@switchboard/protocol";
import { CustomPacketDecoder, SocketPacketDecoder } from "@switchboard/protocol";
import debugModule from "debug";
import {
  type EngineConnection,
  type EngineConnectionHandler,
  type OutgoingMessage,
  type SendOptions,
  TimerEntry,
  TimerWheel,
} from "../engine/index.js";
import { SocketError, SocketErrorCode } from "./errors.js";
import {
  type AddResult,
  type ClientHost,
  type ClientNamespace,
  type ClientSocket,
  kAccept,
  kAdd,
  kClientClosed,
  kEio3Open,
  kEncode,
  kOnClose,
  kOnPacket,
  kOptions,
  kRemove,
  kResolveNamespace,
} from "./internal.js";
import type { DisconnectReason } from "./reasons.js";

const debug = debugModule("switchboard:client");

/** A connection's other namespaces and its CONNECTs in progress (rare: one object for both). */
interface MoreSockets {
  others: Map<string, ClientSocket> | undefined;
  /** Namespaces with a CONNECT being processed (middlewares, dynamic namespace checks). */
  connecting: Set<string> | undefined;
}

/**
 * Text packets leave no state in a decoder: one per set of limits (one per server) decodes
 * them for every connection. Keyed by the resolved (frozen, shared) limits object.
 */
const sharedDecoders = new WeakMap<object, SocketPacketDecoder>();

/**
 * One engine connection, multiplexed over namespaces: decodes packets, routes them to the
 * socket of their namespace, and closes everything on a protocol error.
 */
export class Client implements EngineConnectionHandler {
  /** `connectTimeout` deadlines of every connection: one Timeout per duration, not per connection. */
  static readonly #connectDeadlines = new TimerWheel<Client>((client) => client.#connectTimedOut());
  readonly conn: EngineConnection;
  readonly server: ClientHost<Client>;
  /**
   * This connection's own decoder, made for its first binary packet (the only kind that
   * leaves state behind between messages); text packets go through a decoder shared by
   * every connection of the server. With the `parser` option, the decoder of that parser,
   * made for the first message (one field for both: no memory per connection for an
   * option most servers do not use).
   */
  #decoder: SocketPacketDecoder | CustomPacketDecoder | undefined;
  /**
   * The connected sockets: most connections join one namespace, so the first socket sits
   * in a field, and the rest (other namespaces, CONNECTs in progress) in an object made
   * when needed.
   */
  #socket: ClientSocket | undefined;
  #more: MoreSockets | undefined;
  #connectDeadline: TimerEntry<Client> | undefined;
  #closed = false;

  constructor(server: ClientHost<Client>, conn: EngineConnection) {
    this.server = server;
    this.conn = conn;
    conn.setHandler(this);
    // A v3 client joins "/" at once (kEio3Open): no CONNECT of its own to wait for.
    if (conn.protocol === 3) return;
    const deadline = new TimerEntry<Client>(this);
    Client.#connectDeadlines.arm(deadline, server[kOptions].connectTimeout);
    this.#connectDeadline = deadline;
  }

  /**
   * Socket.IO protocol v4 (socket.io 2.x clients over Engine.IO v3): every client is in the
   * main namespace from the start. The server connects it to "/" (its middlewares run, and
   * the answer is a bare CONNECT `0`) without the client asking, as socket.io does.
   */
  [kEio3Open](): void {
    this.#connect("/", undefined);
  }

  #connectTimedOut(): void {
    this.#connectDeadline = undefined;
    if (this.#more?.connecting !== undefined && this.#more.connecting.size > 0) {
      // A CONNECT is still being answered (a session restore waiting its turn in a
      // reconnect storm, slow middlewares): not a client that never asked. Wait once more;
      // a client that gives up closes the connection itself.
      const deadline = new TimerEntry<Client>(this);
      Client.#connectDeadlines.arm(deadline, this.server[kOptions].connectTimeout);
      this.#connectDeadline = deadline;
      return;
    }
    if (this.#socket === undefined && this.#more?.others === undefined) {
      debug("no namespace joined within connectTimeout, closing %s", this.conn.id);
      this.conn.close();
    }
  }

  #stopConnectTimer(): void {
    if (this.#connectDeadline !== undefined) {
      Client.#connectDeadlines.disarm(this.#connectDeadline);
      this.#connectDeadline = undefined;
    }
  }

  /** The engine connection's id, as socket.io's `socket.client.id`. */
  get id(): string {
    return this.conn.id;
  }

  /** The connected sockets of this connection, by namespace. */
  get sockets(): ReadonlyMap<string, ClientSocket> {
    return new Map(this.#list().map((socket) => [socket.nsp.name, socket]));
  }

  onMessage(data: RawData): void {
    if (this.#closed) return;
    const parser = this.server[kOptions].parser;
    if (parser !== undefined) {
      // Errors arrive through onError (the connection closes); a handler's exception
      // propagates from here, as it does on the default path.
      let custom = this.#decoder;
      if (!(custom instanceof CustomPacketDecoder)) {
        custom = new CustomPacketDecoder(parser, this.server[kOptions].decoderLimits, {
          onPacket: (packet) => this.#onPacket(packet),
          onError: (err: ProtocolError) => this.onParseError(err),
        });
        this.#decoder = custom;
      }
      custom.add(data);
      return;
    }
    let packet: SocketPacket | null;
    try {
      // without the parser option the field only ever holds the built-in decoder
      let decoder = this.#decoder as SocketPacketDecoder | undefined;
      if (typeof data === "string") {
        // Only BINARY_EVENT (5) and BINARY_ACK (6) wait for attachments.
        const type = data.charCodeAt(0);
        if (decoder === undefined && type !== 53 && type !== 54) decoder = this.#sharedDecoder();
      }
      decoder ??= this.#decoder = new SocketPacketDecoder(this.server[kOptions].decoderLimits);
      packet = decoder.add(data);
    } catch (err) {
      this.onParseError(err);
      return;
    }
    if (packet !== null) this.#onPacket(packet);
  }

  onClose(reason: string, description?: unknown): void {
    if (this.#closed) return;
    debug("connection %s closed: %s", this.conn.id, reason);
    this.#closeAll(reason as DisconnectReason, description);
  }

  /** Write packets (already encoded) to the connection. */
  send(messages: readonly OutgoingMessage[], flags: SendOptions | undefined): void {
    if (this.#closed || this.conn.readyState !== "open") return;
    this.conn.send(messages, flags);
  }

  /** Disconnect every namespace ("server namespace disconnect") and close the connection. */
  disconnect(): void {
    for (const socket of this.#list()) socket.disconnect();
    this.#closeAll("server namespace disconnect");
    this.conn.close();
  }

  /** A socket closed: forget it. */
  remove(socket: ClientSocket): void {
    if (this.#socket === socket) {
      this.#socket = undefined;
    } else {
      const others = this.#more?.others;
      if (others?.get(socket.nsp.name) === socket) {
        others.delete(socket.nsp.name);
        if (others.size === 0) this.#setMore("others", undefined);
      }
    }
  }

  /** Bad input: close every socket with "parse error", then the connection. */
  onParseError(err: unknown): void {
    if (this.#closed) return;
    debug("parse error on %s: %s", this.conn.id, err instanceof Error ? err.message : err);
    this.#closeAll("parse error", err);
    this.conn.close();
  }

  /** Close the connection (sockets see the engine's close reason). */
  close(): void {
    this.conn.close();
  }

  /**
   * Close for a drain: every socket disconnects with "server shutting down" (a recoverable
   * reason: with connection state recovery its session is persisted), then the engine
   * connection closes. No Socket.IO DISCONNECT is sent: the client sees its transport close
   * and reconnects, as it would after a crash, instead of staying disconnected as after
   * `socket.disconnect()` ("io server disconnect").
   */
  shutdown(): void {
    this.#closeAll("server shutting down");
    this.conn.close();
  }

  #onPacket(packet: SocketPacket): void {
    if (packet.type === 0) {
      if (this.conn.protocol === 3) this.#connectEio3(packet.nsp);
      else this.#connect(packet.nsp, packet.data);
      return;
    }
    const socket = this.#find(packet.nsp);
    if (socket === undefined) {
      // Can happen legitimately (a packet crossing our DISCONNECT): ignore it.
      debug("packet for unconnected namespace %s on %s", packet.nsp, this.conn.id);
      return;
    }
    socket[kOnPacket](packet);
  }

  /**
   * A socket.io 2.x client's CONNECT: `0/nsp?query,` carries the namespace's query string,
   * which becomes `socket.handshake.auth` (as socket.io does for these clients); the packet
   * has no payload.
   */
  #connectEio3(nsp: string): void {
    const q = nsp.indexOf("?");
    if (q === -1) {
      this.#connect(nsp, undefined);
      return;
    }
    this.#connect(nsp.slice(0, q), { ...parseQuery(nsp.slice(q + 1)) });
  }

  /** Refuses a CONNECT: `{message, data?}`, or for a v3 client socket.io 2.x's `data ?? message`. */
  #refuse(name: string, error: { message: string; data?: unknown }): void {
    debug(
      "CONNECT to %s refused on %s from %s: %s",
      name,
      this.conn.id,
      this.conn.remoteAddress,
      error.message,
    );
    if (this.conn.protocol !== 3) {
      this.#write({ type: 4, nsp: name, data: error });
      return;
    }
    const data = error.data === undefined || error.data === null ? error.message : error.data;
    try {
      this.#write({ type: 4, nsp: name, data });
    } catch {
      // data the v2 form cannot carry (an array, a number): the message, as a string
      this.#write({ type: 4, nsp: name, data: error.message });
    }
  }

  #connect(name: string, auth: unknown): void {
    if (auth !== undefined && (auth === null || typeof auth !== "object" || Array.isArray(auth))) {
      this.onParseError(
        new SocketError(SocketErrorCode.INVALID_AUTH, "CONNECT auth payload is not an object"),
      );
      return;
    }
    if (this.#find(name) !== undefined || this.#more?.connecting?.has(name)) {
      debug("duplicate CONNECT for %s on %s, ignored", name, this.conn.id);
      return;
    }
    const authObject = (auth ?? {}) as Record<string, unknown>;
    // An existing namespace without middlewares is joined synchronously (no promise, no
    // closure); dynamic namespaces and middlewares take the asynchronous path.
    const existing = this.server.namespaces.get(name);
    if (existing !== undefined) {
      let result: AddResult | Promise<AddResult>;
      try {
        result = existing[kAdd](this, authObject);
      } catch (err) {
        this.#joinFailed(name, err);
        return;
      }
      if (!(result instanceof Promise)) {
        this.#joined(name, existing, result);
        return;
      }
      this.#startConnecting(name);
      result.then(
        (r) => {
          this.#stopConnecting(name);
          this.#joined(name, existing, r);
        },
        (err: unknown) => {
          this.#stopConnecting(name);
          this.#joinFailed(name, err);
        },
      );
      return;
    }
    this.#startConnecting(name);
    this.server[kResolveNamespace](name, authObject)
      .then(async (nsp) => {
        if (this.#closed) {
          // An empty dynamic child namespace made for this CONNECT must not stay behind.
          nsp?.[kRemove]();
          return;
        }
        if (nsp === null) {
          this.#stopConnecting(name);
          this.#refuse(name, { message: "Invalid namespace" });
          return;
        }
        const result = await nsp[kAdd](this, authObject);
        this.#stopConnecting(name);
        this.#joined(name, nsp, result);
      })
      .catch((err: unknown) => {
        this.#stopConnecting(name);
        this.#joinFailed(name, err);
      });
  }

  #joined(name: string, nsp: ClientNamespace<Client>, result: AddResult): void {
    if (this.#closed) {
      // Closed while middlewares ran: undo what a restored session joined, and drop an
      // empty dynamic child namespace made for this CONNECT.
      if (result.ok) nsp.adapter.delAll(result.socket.id);
      nsp[kRemove]();
      return;
    }
    if (!result.ok) {
      this.#refuse(name, result.error);
      nsp[kRemove]();
      return;
    }
    const socket = result.socket;
    if (this.#socket === undefined) this.#socket = socket;
    else {
      let others = this.#more?.others;
      if (others === undefined) {
        others = new Map();
        this.#setMore("others", others);
      }
      others.set(name, socket);
    }
    this.#stopConnectTimer();
    nsp[kAccept](socket);
  }

  #joinFailed(name: string, err: unknown): void {
    debug("joining %s failed: %s", name, err);
    if (!this.#closed) this.#refuse(name, { message: "Invalid namespace" });
  }

  #startConnecting(name: string): void {
    let connecting = this.#more?.connecting;
    if (connecting === undefined) {
      connecting = new Set();
      this.#setMore("connecting", connecting);
    }
    connecting.add(name);
  }

  #stopConnecting(name: string): void {
    const connecting = this.#more?.connecting;
    if (connecting === undefined) return;
    connecting.delete(name);
    if (connecting.size === 0) this.#setMore("connecting", undefined);
  }

  /** Set one of the rarely used collections; the holder goes when both are gone. */
  #setMore<K extends keyof MoreSockets>(key: K, value: MoreSockets[K]): void {
    const more = this.#more ?? { others: undefined, connecting: undefined };
    more[key] = value;
    this.#more = more.others === undefined && more.connecting === undefined ? undefined : more;
  }

  #sharedDecoder(): SocketPacketDecoder {
    const limits = this.server[kOptions].decoderLimits;
    let decoder = sharedDecoders.get(limits);
    if (decoder === undefined) {
      decoder = new SocketPacketDecoder(limits);
      sharedDecoders.set(limits, decoder);
    }
    return decoder;
  }

  /** The connected socket of namespace `name`. */
  #find(name: string): ClientSocket | undefined {
    const first = this.#socket;
    return first?.nsp.name === name ? first : this.#more?.others?.get(name);
  }

  /** The connected sockets (a snapshot). */
  #list(): ClientSocket[] {
    const list: ClientSocket[] = [];
    if (this.#socket !== undefined) list.push(this.#socket);
    const others = this.#more?.others;
    if (others !== undefined) for (const socket of others.values()) list.push(socket);
    return list;
  }

  #write(packet: SocketPacket): void {
    this.send(this[kEncode](packet), undefined);
  }

  /** Encode a packet with the server's parser (module-internal). */
  [kEncode](packet: SocketPacket): (string | Uint8Array | ArrayBuffer)[] {
    return this.server[kOptions].encode(packet);
  }

  #closeAll(reason: DisconnectReason, description?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopConnectTimer();
    for (const socket of this.#list()) socket[kOnClose](reason, description);
    this.#socket = undefined;
    this.#more = undefined;
    const decoder = this.#decoder;
    if (decoder instanceof CustomPacketDecoder) decoder.destroy();
    else decoder?.reset();
    this.server[kClientClosed](this);
  }
}

import type { RawData, SocketPacket } from "@switchboard/protocol";
import { encodeSocketPacket, SocketPacketDecoder } from "@switchboard/protocol";
import debugModule from "debug";
import type { BroadcastFlags } from "../adapter/types.js";
import type {
  EngineConnection,
  EngineConnectionHandler,
  OutgoingMessage,
} from "../engine/index.js";
import {
  kAdd,
  kClientClosed,
  kOnClose,
  kOnPacket,
  kOptions,
  kResolveNamespace,
} from "./internal.js";
import type { DisconnectReason } from "./reasons.js";
import type { Server } from "./server.js";
import type { Socket } from "./socket.js";

const debug = debugModule("switchboard:client");

// biome-ignore lint/suspicious/noExplicitAny: the client multiplexes sockets of any event maps
type AnySocket = Socket<any, any, any, any>;
// biome-ignore lint/suspicious/noExplicitAny: idem, for the server
type AnyServer = Server<any, any, any, any>;

/**
 * One engine connection, multiplexed over namespaces: decodes packets, routes them to the
 * socket of their namespace, and closes everything on a protocol error.
 */
export class Client implements EngineConnectionHandler {
  readonly conn: EngineConnection;
  readonly server: AnyServer;
  readonly #decoder: SocketPacketDecoder;
  readonly #sockets = new Map<string, AnySocket>();
  /** Namespaces with a CONNECT being processed (middlewares, dynamic namespace checks). */
  #connecting: Set<string> | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(server: AnyServer, conn: EngineConnection) {
    this.server = server;
    this.conn = conn;
    const opts = server[kOptions];
    this.#decoder = new SocketPacketDecoder(opts.decoderLimits);
    this.#connectTimer = setTimeout(() => {
      this.#connectTimer = undefined;
      if (this.#sockets.size === 0) {
        debug("no namespace joined within connectTimeout, closing %s", conn.id);
        conn.close();
      }
    }, opts.connectTimeout);
    conn.setHandler(this);
  }

  /** The connected sockets of this connection, by namespace. */
  get sockets(): ReadonlyMap<string, AnySocket> {
    return this.#sockets;
  }

  onMessage(data: RawData): void {
    if (this.#closed) return;
    let packet: SocketPacket | null;
    try {
      packet = this.#decoder.add(data);
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
  send(messages: readonly OutgoingMessage[], flags: BroadcastFlags | undefined): void {
    if (this.#closed || this.conn.readyState !== "open") return;
    this.conn.send(messages, flags);
  }

  /** Disconnect every namespace ("server namespace disconnect") and close the connection. */
  disconnect(): void {
    for (const socket of [...this.#sockets.values()]) socket.disconnect();
    this.#closeAll("server namespace disconnect");
    this.conn.close();
  }

  /** A socket closed: forget it. */
  remove(socket: AnySocket): void {
    if (this.#sockets.get(socket.nsp.name) === socket) this.#sockets.delete(socket.nsp.name);
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

  #onPacket(packet: SocketPacket): void {
    if (packet.type === 0) {
      this.#connect(packet.nsp, packet.data);
      return;
    }
    const socket = this.#sockets.get(packet.nsp);
    if (socket === undefined) {
      // Can happen legitimately (a packet crossing our DISCONNECT): ignore it.
      debug("packet for unconnected namespace %s on %s", packet.nsp, this.conn.id);
      return;
    }
    socket[kOnPacket](packet);
  }

  #connect(name: string, auth: unknown): void {
    if (auth !== undefined && (auth === null || typeof auth !== "object" || Array.isArray(auth))) {
      this.onParseError(new Error("CONNECT auth payload is not an object"));
      return;
    }
    if (this.#sockets.has(name) || this.#connecting?.has(name)) {
      debug("duplicate CONNECT for %s on %s, ignored", name, this.conn.id);
      return;
    }
    const authObject = (auth ?? {}) as Record<string, unknown>;
    this.#connecting ??= new Set();
    this.#connecting.add(name);
    this.server[kResolveNamespace](name, authObject).then(
      async (nsp) => {
        if (this.#closed) return;
        if (nsp === null) {
          this.#connecting?.delete(name);
          this.#write({ type: 4, nsp: name, data: { message: "Invalid namespace" } });
          return;
        }
        const result = await nsp[kAdd](this, authObject);
        this.#connecting?.delete(name);
        if (this.#closed) {
          // Closed while middlewares ran: undo a successful join.
          if (result.ok) result.socket[kOnClose]("transport close");
          return;
        }
        if (!result.ok) {
          this.#write({ type: 4, nsp: name, data: result.error });
          return;
        }
        this.#sockets.set(name, result.socket);
        if (this.#connectTimer !== undefined) {
          clearTimeout(this.#connectTimer);
          this.#connectTimer = undefined;
        }
        result.connected();
      },
      (err: unknown) => {
        this.#connecting?.delete(name);
        debug("namespace resolution failed: %s", err);
        this.#write({ type: 4, nsp: name, data: { message: "Invalid namespace" } });
      },
    );
  }

  #write(packet: SocketPacket): void {
    this.send(encodeSocketPacket(packet), undefined);
  }

  #closeAll(reason: DisconnectReason, description?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#connectTimer !== undefined) {
      clearTimeout(this.#connectTimer);
      this.#connectTimer = undefined;
    }
    for (const socket of [...this.#sockets.values()]) socket[kOnClose](reason, description);
    this.#sockets.clear();
    this.#connecting = undefined;
    this.#decoder.reset();
    this.server[kClientClosed](this);
  }
}

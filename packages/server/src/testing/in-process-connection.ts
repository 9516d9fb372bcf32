import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { IncomingMessage } from "node:http";
import { Socket as NetSocket } from "node:net";
import type { RawData } from "@switchboard/protocol";
import type { OutgoingMessage, SendOptions } from "../engine/index.js";
import {
  type EngineConnection,
  type EngineConnectionHandler,
  type EngineReadyState,
  PreparedMessage,
} from "../engine/index.js";

/** What the test side of an in-process connection receives. */
export interface InProcessPeer {
  onServerMessage(data: RawData): void;
  onServerClose(reason: string): void;
}

/** Options of the simulated handshake request. */
export interface InProcessRequestOptions {
  /** Request headers (lower-case names). Default `{}`. */
  headers?: Record<string, string>;
  /** Query parameters added to the handshake URL. Default `{}`. */
  query?: Record<string, string>;
  /** The remote address. Default `"127.0.0.1"`. */
  address?: string;
}

/**
 * An {@link EngineConnection} living in memory: what the server writes goes to the test
 * peer, what the peer sends reaches the server's handler, both asynchronously (one
 * microtask), in order, as over a real transport.
 */
export class InProcessConnection extends EventEmitter implements EngineConnection {
  readonly id = randomBytes(15).toString("base64url");
  readonly request: IncomingMessage;
  readonly protocol = 4 as const;
  readonly remoteAddress: string;
  readonly transport = { name: "websocket" as const };
  readonly upgraded = false;
  readonly bufferedBytes = 0;
  #readyState: EngineReadyState = "open";
  #handler: EngineConnectionHandler | undefined;
  readonly #peer: InProcessPeer;

  constructor(peer: InProcessPeer, options: InProcessRequestOptions = {}) {
    super();
    this.#peer = peer;
    this.remoteAddress = options.address ?? "127.0.0.1";
    const req = new IncomingMessage(new NetSocket());
    const query = new URLSearchParams({ ...options.query, EIO: "4", transport: "websocket" });
    req.url = `/socket.io/?${query.toString()}`;
    req.method = "GET";
    req.headers = { ...options.headers };
    this.request = req;
  }

  get readyState(): EngineReadyState {
    return this.#readyState;
  }

  setHandler(handler: EngineConnectionHandler): void {
    this.#handler = handler;
  }

  send(messages: readonly OutgoingMessage[], _options?: SendOptions): void {
    if (this.#readyState !== "open") return;
    const copy = messages.map((m) => (m instanceof PreparedMessage ? m.data : m));
    queueMicrotask(() => {
      for (const data of copy) {
        if (this.#readyState === "closed") return;
        this.#peer.onServerMessage(data);
      }
    });
  }

  /** Server side close: flush what is queued (earlier microtasks), then "forced close". */
  close(): void {
    if (this.#readyState !== "open") return;
    this.#readyState = "closing";
    queueMicrotask(() => this.#terminate("forced close"));
  }

  /** The peer sends one engine message to the server. */
  deliver(data: RawData): void {
    if (this.#readyState !== "open") return;
    queueMicrotask(() => {
      if (this.#readyState === "open") this.#handler?.onMessage(data);
    });
  }

  /** The peer's transport goes away (reason as the engine would report it). */
  terminate(reason = "transport close"): void {
    this.#terminate(reason);
  }

  #terminate(reason: string): void {
    if (this.#readyState === "closed") return;
    this.#readyState = "closed";
    this.#handler?.onClose(reason);
    this.emit("close", reason);
    this.#peer.onServerClose(reason);
  }
}

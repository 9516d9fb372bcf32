import type { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import createDebug from "debug";
import { type WebSocket, WebSocketServer } from "ws";
import { serializeCookie } from "./http.js";
import type { EngineHeaders } from "./http-answers.js";
import type { ResolvedEngineOptions } from "./options.js";
import type { Session } from "./session.js";
import { DirectWebSocketTransport } from "./transports/direct-websocket.js";
import type { WebSocketTransport } from "./transports/transport.js";
import {
  abortWebSocketHandshake,
  checkWebSocketHandshake,
  switchingProtocols,
} from "./transports/websocket-handshake.js";
import { WsLibraryTransport } from "./transports/ws-library.js";

const debug = createDebug("switchboard:engine:websocket");

/** Node drops its own socket error handler before "upgrade": errors must not escape. */
export function destroyOnError(this: Duplex): void {
  this.destroy();
}

/**
 * What to do with an accepted WebSocket: the probe of `probeFor` (a polling session), or
 * else the transport of a new session `id`. `v3`: the client speaks Engine.IO v3.
 */
export type WebSocketOpened = (
  req: IncomingMessage,
  transport: WebSocketTransport,
  id: string | undefined,
  probeFor: Session | undefined,
  v3: boolean,
) => void;

/**
 * The two ways a WebSocket handshake is completed, behind one `accept`: without
 * per-message deflate (the default) the engine answers the handshake itself and frames
 * directly ({@link DirectWebSocketTransport}, far less memory per connection); with it,
 * `ws` does ({@link WsLibraryTransport}). Both add the cookie and the `initial_headers` /
 * `headers` listeners' headers to the 101 answer.
 */
export class WebSocketAcceptor {
  readonly #options: ResolvedEngineOptions;
  readonly #events: EventEmitter;
  readonly #opened: WebSocketOpened;
  readonly #wss: WebSocketServer;
  readonly #upgradeIds = new WeakMap<IncomingMessage, string>();

  constructor(options: ResolvedEngineOptions, events: EventEmitter, opened: WebSocketOpened) {
    this.#options = options;
    this.#events = events;
    this.#opened = opened;
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: options.maxHttpBufferSize,
      maxFragments: options.maxMessageFragments,
      perMessageDeflate: options.perMessageDeflate,
    });
    this.#wss.on("headers", (lines: string[], req: IncomingMessage) => {
      this.#headerLines(req, this.#upgradeIds.get(req), lines);
    });
  }

  /** Extra 101 header lines: the cookie on a handshake, then `initial_headers`/`headers`. */
  #headerLines(req: IncomingMessage, id: string | undefined, lines: string[]): void {
    const options = this.#options;
    const events = this.#events;
    const cookie = id !== undefined && options.cookieEnabled;
    if (
      !cookie &&
      events.listenerCount("headers") === 0 &&
      (id === undefined || events.listenerCount("initial_headers") === 0)
    ) {
      return;
    }
    const headers: EngineHeaders = {};
    if (id !== undefined) {
      if (options.cookieEnabled) {
        headers["Set-Cookie"] = [serializeCookie(options.cookieOptions, id)];
      }
      events.emit("initial_headers", headers, req);
    }
    events.emit("headers", headers, req);
    for (const key in headers) {
      const value = headers[key]!;
      if (Array.isArray(value)) for (const v of value) lines.push(`${key}: ${v}`);
      else lines.push(`${key}: ${value}`);
    }
  }

  /** Completes the WebSocket handshake and hands the transport to the `opened` callback. */
  accept(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    id: string | undefined,
    probeFor: Session | undefined,
    v3: boolean,
  ): void {
    const options = this.#options;
    if (options.perMessageDeflate !== false) {
      if (id !== undefined) this.#upgradeIds.set(req, id);
      this.#wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        socket.off("error", destroyOnError);
        if (id !== undefined) this.#upgradeIds.delete(req);
        const transport = new WsLibraryTransport(ws, socket, options.maxControlFrames, v3);
        this.#opened(req, transport, id, probeFor, v3);
      });
      return;
    }
    const check = checkWebSocketHandshake(req);
    if ("status" in check) {
      debug("bad WebSocket handshake: %s", check.message);
      abortWebSocketHandshake(socket, check.status, check.message, check.headers);
      return;
    }
    if (!socket.readable || !socket.writable) {
      socket.destroy();
      return;
    }
    const lines: string[] = [];
    this.#headerLines(req, id, lines);
    // The transport holds the 101 answer and sends it with the open packet (written by
    // the `opened` callback) in one write; corked for the rare case where they go as two.
    socket.cork();
    socket.off("error", destroyOnError);
    const transport = new DirectWebSocketTransport(
      socket,
      head,
      options,
      switchingProtocols(check.accept, check.protocol, lines),
      v3,
    );
    this.#opened(req, transport, id, probeFor, v3);
    transport.releaseAnswer();
    socket.uncork();
    transport.readHead();
  }
}

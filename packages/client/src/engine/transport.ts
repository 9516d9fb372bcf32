import type { EnginePacket } from "@switchboard/protocol";
import { Emitter } from "../emitter.js";
import type { CookieJar, NodeWebSocketOptions, Platform } from "../platform/types.js";
import type { TransportError } from "./errors.js";

/** Defined (true) only when scripts/bundle.mjs builds the browser bundles; undeclared elsewhere. */
declare const SWITCHBOARD_BUNDLE: true | undefined;

/** An engine packet on its way out, with the send options of `EngineSocket.send`. */
export interface OutgoingPacket extends EnginePacket {
  options?: SendOptions | undefined;
}

/** `compress: false` asks a Node.js WebSocket (`ws`) not to deflate the message. */
export interface SendOptions {
  compress?: boolean;
}

/** Transport names, in the order socket.io-client tries them by default. */
export type TransportName = "polling" | "websocket";

/** What a transport needs to know to reach the server. */
export interface TransportOptions {
  /** `http:` or `https:` origin + engine path with trailing slash, e.g. `http://host:3000/socket.io/`. */
  readonly url: string;
  /** Query parameters, `EIO` and `transport` included. */
  readonly query: Record<string, string>;
  readonly extraHeaders: Record<string, string>;
  readonly withCredentials: boolean;
  readonly timestampRequests: boolean | undefined;
  readonly timestampParam: string;
  /** Node.js with `withCredentials`; browsers keep their cookies (no jar). */
  readonly cookieJar?: CookieJar | undefined;
  readonly platform: Platform;
  /** Node.js: the WebSocket choice when not the default (lean, no deflate). */
  readonly webSocket?: NodeWebSocketOptions | undefined;
}

/** Transport life cycle; "paused" only applies to polling while upgrading. */
export type TransportState = "opening" | "open" | "pausing" | "paused" | "closed";

let counter = 0;
/** A short, unique-enough cache-busting value for the `t` query parameter. */
function timestamp(): string {
  return `${Date.now().toString(36)}${(counter++).toString(36)}`;
}

/**
 * One way of carrying Engine.IO packets. Events: `open`, `packet` (EnginePacket),
 * `error` (TransportError), `close` (details), `drain` (the last `send` was written).
 */
export abstract class Transport extends Emitter {
  abstract readonly name: TransportName;
  state: TransportState = "opening";
  /** True when `send` may be called. */
  writable = false;
  readonly opts: TransportOptions;
  /** The session id, once known: sent as `sid` with every request. */
  sid: string | undefined;

  constructor(opts: TransportOptions) {
    super();
    this.opts = opts;
  }

  abstract open(): void;
  abstract send(packets: readonly OutgoingPacket[]): void;
  abstract close(): void;

  /** The request URL for `scheme` (`http`/`ws`), with the query string. */
  uri(scheme: "http" | "ws", timestamped: boolean): string {
    const query: Record<string, string> = { ...this.opts.query, transport: this.name };
    if (this.sid !== undefined) query.sid = this.sid;
    if (timestamped) query[this.opts.timestampParam] = timestamp();
    const url = scheme === "ws" ? this.opts.url.replace(/^http/, "ws") : this.opts.url;
    if (typeof SWITCHBOARD_BUNDLE !== "undefined") return `${url}?${new URLSearchParams(query)}`;
    // Node.js: encodeURIComponent, as engine.io-client's query strings (URLSearchParams took
    // 3.5% of a client's CPU per connection); a space is %20, where URLSearchParams (the
    // browser bundles) writes + (servers decode both to a space).
    let search = "";
    for (const key in query) {
      search += `${search ? "&" : "?"}${encodeURIComponent(key)}=${encodeURIComponent(query[key]!)}`;
    }
    return url + search;
  }

  /** Marks the transport open and writable, and emits `open`. */
  protected onOpen(): void {
    this.state = "open";
    this.writable = true;
    this.emitReserved("open");
  }

  /** Emits a received packet, its binary data as the platform's binary type. */
  protected onPacket(packet: EnginePacket): void {
    if (packet.data instanceof Uint8Array) packet.data = this.opts.platform.toBinary(packet.data);
    this.emitReserved("packet", packet);
  }

  /** Emits `error`, unless the transport is closed. */
  protected onError(err: TransportError): void {
    if (this.state !== "closed") this.emitReserved("error", err);
  }

  /** Marks the transport closed; false when it already was. */
  protected markClosed(): boolean {
    if (this.state === "closed") return false;
    this.state = "closed";
    this.writable = false;
    return true;
  }

  /** Headers for a request: the extra headers, and in Node.js the cookie jar's cookies. */
  headers(): Record<string, string> {
    const headers = { ...this.opts.extraHeaders };
    // Node.js only: browsers send their cookies (the browser bundles fold this away)
    if (typeof SWITCHBOARD_BUNDLE === "undefined") {
      const cookie = this.opts.cookieJar?.header();
      if (cookie !== undefined) headers.cookie = cookie;
    }
    return headers;
  }
}

import {
  type EnginePacket,
  type HandshakeData,
  parseHandshake,
  type RawData,
} from "@switchboard/protocol";
import { Emitter, subscribe } from "../emitter.js";
import type { NodeWebSocketOptions, Platform, WebSocketImpl } from "../platform/types.js";
import { ClientErrorCode, optionError, parseError, TransportError } from "./errors.js";
import { PollingTransport } from "./polling.js";
import type {
  OutgoingPacket,
  SendOptions,
  Transport,
  TransportName,
  TransportOptions,
} from "./transport.js";
import { WebSocketTransport } from "./websocket.js";

/** Engine-level options (a subset of socket.io-client's options; defaults in `resolveEngineOptions`). */
export interface EngineOptions {
  /** Engine.IO endpoint path. Default `"/socket.io"`. */
  path: string;
  /** Extra query parameters sent with every request. Default `{}`. */
  query: Record<string, string>;
  /** Transports to use, in order. Default `["polling", "websocket"]`. */
  transports: TransportName[];
  /** Probe and upgrade from polling to WebSocket. Default `true`. */
  upgrade: boolean;
  /** Start with WebSocket when a previous upgrade succeeded. Default `false`. */
  rememberUpgrade: boolean;
  /** When the first transport fails to open, try the next one. Default `false`. */
  tryAllTransports: boolean;
  /** Send cookies cross-origin (browser) / keep a cookie jar (Node.js). Default `false`. */
  withCredentials: boolean;
  /** Headers added to every request (Node.js; in browsers to polling requests only). Default `{}`. */
  extraHeaders: Record<string, string>;
  /** Cache-busting query parameter: polling unless `false`, WebSocket only when `true`. Default `undefined`. */
  timestampRequests: boolean | undefined;
  /** Name of the cache-busting parameter. Default `"t"`. */
  timestampParam: string;
  /** Add a trailing slash to the path (`/socket.io/`). Default `true`. */
  addTrailingSlash: boolean;
  /** Close the connection silently on `beforeunload` (browsers). Default `false`. */
  closeOnBeforeunload: boolean;
  /** Unref timers so they do not keep a Node.js process alive. Default `false`. */
  autoUnref: boolean;
  /**
   * Node.js: the WebSocket implementation. `"auto"` (default): the client's own lean one,
   * unless `perMessageDeflate` is set; `"lean"`: always the lean one; `"ws"`: the `ws`
   * package. Not in the browser bundles (the browser's WebSocket).
   */
  webSocketImpl: WebSocketImpl;
  /**
   * Node.js: offer per-message deflate (`true`, or `ws`'s perMessageDeflate options); this
   * takes the WebSocket through `ws`. Default `undefined`: not offered with the lean
   * WebSocket, offered (`ws`'s default) with `webSocketImpl: "ws"`.
   */
  perMessageDeflate: boolean | Record<string, unknown> | undefined;
}

/** Engine connection state. */
export type EngineReadyState = "opening" | "open" | "closing" | "closed";

/** Whether a WebSocket worked in this page/process, for `rememberUpgrade` (as in socket.io-client). */
let priorWebsocketSuccess = false;

const utf8 = new TextEncoder();

/** Size of a packet inside a polling payload (separator included). */
function payloadSize(packet: EnginePacket): number {
  const data = packet.data;
  if (data === undefined) return 2;
  if (typeof data === "string") return utf8.encode(data).length + 2;
  const bytes =
    data instanceof ArrayBuffer || ArrayBuffer.isView(data) ? data.byteLength : (data as Blob).size;
  return Math.ceil(bytes / 3) * 4 + 2;
}

declare const SWITCHBOARD_IIFE: true | undefined;
/** Defined (true) only when scripts/bundle.mjs builds the browser bundles; undeclared elsewhere. */
declare const SWITCHBOARD_BUNDLE: true | undefined;

/**
 * The client side of one Engine.IO v4 session: handshake, heartbeat (answers the server's
 * pings, closes with "ping timeout" when none arrives in pingInterval + pingTimeout),
 * upgrade probe, write buffer. Events: `open`, `handshake`, `message` (RawData), `ping`,
 * `packet`, `upgrading`, `upgrade`, `upgradeError`, `drain`, `error`, `close` (reason, details).
 */
export class EngineSocket extends Emitter {
  readyState: EngineReadyState = "opening";
  /** Engine session id, set by the handshake. */
  id: string | undefined;
  transport!: Transport;
  /** Whether the connection moved from polling to WebSocket. */
  upgraded = false;
  readonly opts: EngineOptions;
  #transportOpts: TransportOptions;
  #transports: TransportName[];
  #writeBuffer: OutgoingPacket[] = [];
  #upgrading = false;
  // from the handshake (its object is not kept: `handshake` listeners get it)
  #pingInterval = 0;
  #pingTimeout = 0;
  #maxPayload = 0;
  #pingTimer: ReturnType<typeof setTimeout> | undefined;
  #onUnload: (() => void) | undefined;

  /** @param origin - `http(s)://host:port`, no path. */
  constructor(origin: string, opts: EngineOptions, platform: Platform) {
    super();
    this.opts = opts;
    let path = opts.path.replace(/\/$/, "");
    if (opts.addTrailingSlash) path += "/";
    // Node.js and ESM builds copy the options transports read by name: a spread gave each
    // instance's object a map (hidden class) of its own once the code was optimized (~1.3 KB
    // per instance in a heap snapshot of 1000 clients in one process). The IIFE bundles (a
    // page holds one or two clients) keep the spread, 32 bytes smaller min+gzip.
    this.#transportOpts =
      typeof SWITCHBOARD_IIFE === "undefined"
        ? {
            url: origin + path,
            query: { ...opts.query, EIO: "4" },
            extraHeaders: opts.extraHeaders,
            withCredentials: opts.withCredentials,
            timestampRequests: opts.timestampRequests,
            timestampParam: opts.timestampParam,
            cookieJar: opts.withCredentials ? platform.createCookieJar() : undefined,
            platform,
          }
        : {
            ...opts,
            url: origin + path,
            query: { ...opts.query, EIO: "4" },
            platform,
          };
    // Node.js only (the WebSocket implementation); the browser bundles fold this away.
    if (typeof SWITCHBOARD_BUNDLE === "undefined") {
      const impl = opts.webSocketImpl;
      if (impl !== "auto" && impl !== "lean" && impl !== "ws") {
        throw optionError(`webSocketImpl must be "auto", "lean" or "ws", not ${String(impl)}`);
      }
      if (
        impl === "lean" &&
        opts.perMessageDeflate !== undefined &&
        opts.perMessageDeflate !== false
      ) {
        throw optionError(
          'perMessageDeflate needs webSocketImpl "ws" or "auto" (the lean WebSocket offers no deflate)',
        );
      }
      (this.#transportOpts as { webSocket?: NodeWebSocketOptions }).webSocket =
        opts.webSocketImpl === "auto" && opts.perMessageDeflate === undefined
          ? undefined
          : { impl: opts.webSocketImpl, perMessageDeflate: opts.perMessageDeflate };
    }
    this.#transports = opts.transports.slice();
    if (this.#transports.length === 0) throw optionError("transports must not be empty");
    if (opts.closeOnBeforeunload && typeof addEventListener === "function") {
      this.#onUnload = () => {
        this.transport.off();
        this.transport.close();
      };
      addEventListener("beforeunload", this.#onUnload);
    }
    this.#open();
  }

  /** Queues one engine "message". */
  send(data: RawData, options?: SendOptions): this {
    return this.#sendPacket({ type: "message", data, options });
  }

  /** Alias of {@link EngineSocket.send}. */
  write(data: RawData, options?: SendOptions): this {
    return this.send(data, options);
  }

  /** Flushes what is queued, waits for a running upgrade, then closes with "forced close". */
  close(): this {
    if (this.readyState !== "opening" && this.readyState !== "open") return this;
    this.readyState = "closing";
    // after the queued packets are written, and after a running upgrade ends (either way)
    const finish = (): unknown =>
      this.#upgrading
        ? this.once("upgrade", finish).once("upgradeError", finish)
        : this.#onClose("forced close");
    if (
      this.#writeBuffer.length > 0 ||
      (this.transport.state === "open" && !this.transport.writable)
    ) {
      this.once("drain", finish);
    } else finish();
    return this;
  }

  #open(): void {
    const name =
      this.opts.rememberUpgrade && priorWebsocketSuccess && this.#transports.includes("websocket")
        ? "websocket"
        : this.#transports[0]!;
    const transport = this.#createTransport(name);
    this.#setTransport(transport);
    transport.open();
  }

  #createTransport(name: TransportName): Transport {
    const transport =
      name === "websocket"
        ? new WebSocketTransport(this.#transportOpts)
        : new PollingTransport(this.#transportOpts);
    transport.sid = this.id;
    return transport;
  }

  #setTransport(transport: Transport): void {
    if (this.transport) this.transport.off();
    this.transport = transport;
    subscribe(transport, {
      drain: () => {
        if (this.#writeBuffer.length === 0) this.emitReserved("drain");
        else this.#flush();
      },
      packet: (packet: EnginePacket) => this.#onPacket(packet),
      error: (err: TransportError) => this.#onError(err),
      close: (details: unknown) => this.#onClose("transport close", details),
    });
  }

  #onPacket(packet: EnginePacket): void {
    if (this.readyState === "closed") return;
    this.emitReserved("packet", packet);
    this.emitReserved("heartbeat");
    const type = packet.type;
    // open comes once and first; pong and upgrade never come from a server outside a probe
    if ((type === "open") !== (this.id === undefined) || type === "pong" || type === "upgrade") {
      this.#onParseError(packet); // the cause: the packet that must not come now
      return;
    }
    switch (type) {
      case "open": {
        let data: HandshakeData;
        try {
          data = parseHandshake(packet.data);
        } catch (err) {
          this.#onParseError(err);
          return;
        }
        this.#onHandshake(data);
        return;
      }
      case "ping":
        this.#resetPingTimeout();
        this.#sendPacket({ type: "pong" });
        this.emitReserved("ping");
        this.emitReserved("pong");
        return;
      case "message":
        this.emitReserved("data", packet.data);
        this.emitReserved("message", packet.data);
        return;
      case "close":
        this.#onClose("transport close", { description: "closed by the server" });
        return;
      // noop: nothing to do
    }
  }

  #onParseError(cause: unknown): void {
    const err = parseError(cause);
    this.emitReserved("error", err);
    this.#onClose("parse error", err);
  }

  #onHandshake(data: HandshakeData): void {
    this.emitReserved("handshake", data);
    this.id = data.sid;
    this.transport.sid = data.sid;
    this.#pingInterval = data.pingInterval;
    this.#pingTimeout = data.pingTimeout;
    this.#maxPayload = data.maxPayload;
    this.readyState = "open";
    priorWebsocketSuccess = this.transport.name === "websocket";
    this.emitReserved("open");
    this.#flush();
    if (this.readyState === "open" && this.opts.upgrade && this.transport.name === "polling") {
      if (data.upgrades.includes("websocket") && this.#transports.includes("websocket")) {
        this.#probe();
      }
    }
    if ((this.readyState as EngineReadyState) === "closed") return;
    this.#resetPingTimeout();
  }

  #resetPingTimeout(): void {
    clearTimeout(this.#pingTimer);
    this.#pingTimer = setTimeout(
      () => this.#onClose("ping timeout"),
      this.#pingInterval + this.#pingTimeout,
    );
    // Node.js only, like every autoUnref below: the browser bundles fold it away
    if (typeof SWITCHBOARD_BUNDLE === "undefined" && this.opts.autoUnref) {
      (this.#pingTimer as { unref?: () => void }).unref?.();
    }
  }

  /** Upgrade probe (Engine.IO v4, "Upgrade"): `2probe` → `3probe`, pause polling, `5`. */
  #probe(): void {
    const probe = this.#createTransport("websocket");
    const polling = this.transport as PollingTransport;
    let done = false;
    priorWebsocketSuccess = false;
    const cleanup = () => {
      done = true;
      probe.off();
      this.off("close", onEngineClose);
    };
    const fail = (cause: unknown) => {
      if (done) return;
      cleanup();
      probe.close();
      if (this.#upgrading) {
        this.#upgrading = false;
        polling.resume();
      }
      this.emitReserved("upgradeError", new TransportError("probe error", cause));
      this.#flush();
    };
    const onEngineClose = () => fail("socket closed");
    // cleanup() removes every probe listener, so only the pause callback checks `done`
    probe.once("open", () => {
      probe.send([{ type: "ping", data: "probe" }]);
      probe.once("packet", (packet: EnginePacket) => {
        if (packet.type !== "pong" || packet.data !== "probe")
          return fail("unexpected probe answer");
        this.#upgrading = true;
        this.emitReserved("upgrading", probe);
        priorWebsocketSuccess = true;
        polling.pause(() => {
          if (done || this.readyState === "closed") return;
          cleanup();
          this.#setTransport(probe);
          probe.send([{ type: "upgrade" }]);
          this.upgraded = true;
          this.#upgrading = false;
          this.emitReserved("upgrade", probe);
          this.#flush();
        });
      });
    });
    probe.once("error", fail);
    probe.once("close", () => fail("transport closed"));
    this.once("close", onEngineClose);
    probe.open();
  }

  #sendPacket(packet: OutgoingPacket): this {
    if (this.readyState === "closing" || this.readyState === "closed") return this;
    this.emitReserved("packetCreate", packet);
    this.#writeBuffer.push(packet);
    this.#flush();
    return this;
  }

  #flush(): void {
    if (
      this.readyState === "closed" ||
      this.id === undefined ||
      !this.transport.writable ||
      this.#upgrading ||
      this.#writeBuffer.length === 0
    ) {
      return;
    }
    let count = this.#writeBuffer.length;
    const maxPayload = this.#maxPayload;
    if (this.transport.name === "polling" && maxPayload > 0) {
      // A polling payload must stay under maxPayload bytes (at least one packet per POST).
      let size = 0;
      for (let i = 0; i < this.#writeBuffer.length; i++) {
        size += payloadSize(this.#writeBuffer[i]!);
        if (i > 0 && size > maxPayload) {
          count = i;
          break;
        }
      }
    }
    const batch = this.#writeBuffer.splice(0, count);
    this.transport.send(batch);
    this.emitReserved("flush");
  }

  #onError(err: TransportError): void {
    priorWebsocketSuccess = false;
    if (
      this.opts.tryAllTransports &&
      this.readyState === "opening" &&
      err.code !== ClientErrorCode.PARSE &&
      this.#transports.length > 1
    ) {
      this.#transports.shift();
      this.transport.off();
      this.transport.close();
      this.#open();
      return;
    }
    this.emitReserved("error", err);
    this.#onClose(err.code === ClientErrorCode.PARSE ? "parse error" : "transport error", err);
  }

  #onClose(reason: string, description?: unknown): void {
    if (this.readyState === "closed") return;
    clearTimeout(this.#pingTimer);
    this.transport.off();
    this.transport.close();
    if (this.#onUnload) removeEventListener("beforeunload", this.#onUnload);
    this.readyState = "closed";
    this.id = undefined;
    this.#writeBuffer = [];
    this.emitReserved("close", reason, description);
  }
}

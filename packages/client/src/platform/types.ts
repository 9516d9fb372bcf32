/** The part of the WebSocket API the client uses: both the DOM `WebSocket` and `ws` have it. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  /** `options` is `ws`'s (Node.js); the DOM `WebSocket` ignores it. */
  send(data: string | ArrayBuffer | ArrayBufferView | Blob, options?: { compress?: boolean }): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}

/** What a Node.js polling request answers (see Platform.pollingRequest). */
export interface HttpAnswer {
  readonly status: number;
  readonly setCookie: readonly string[];
  readonly text: string;
}

/** Stores the cookies a server sets and replays them (Node.js only; browsers do it themselves). */
export interface CookieJar {
  /** Records every `Set-Cookie` header of a response. */
  store(setCookieHeaders: readonly string[]): void;
  /** The `Cookie` header value to send, or undefined when the jar is empty. */
  header(): string | undefined;
}

/** Node.js WebSocket implementations: see `EngineOptions.webSocketImpl`. */
export type WebSocketImpl = "auto" | "lean" | "ws";

/** The Node.js WebSocket options, when not the default (lean, no per-message deflate). */
export interface NodeWebSocketOptions {
  readonly impl: WebSocketImpl;
  readonly perMessageDeflate: boolean | Record<string, unknown> | undefined;
}

/** What differs between the browser and Node.js builds; see browser.ts and node.ts. */
export interface Platform {
  /**
   * Opens a WebSocket; `headers` and `options` are only given and honoured in Node.js
   * (browsers cannot set headers; `options` undefined: the lean WebSocket without deflate).
   */
  createWebSocket(
    url: string,
    headers?: Record<string, string>,
    options?: NodeWebSocketOptions,
  ): WebSocketLike;
  /** The `binaryType` to set on WebSockets. */
  readonly binaryType: string;
  /** Turns decoded bytes into the binary type users receive (Buffer in Node.js, ArrayBuffer in browsers). */
  toBinary(bytes: Uint8Array): Uint8Array | ArrayBuffer;
  /** The URL `io()` connects to when none is given (the page's origin in browsers). */
  defaultUri(): string;
  /** A cookie jar for `withCredentials` where the runtime has none of its own. */
  createCookieJar(): CookieJar | undefined;
  /**
   * Node.js: one long-polling request over `node:http` (browsers: absent, `fetch` is used).
   * Rejects on network errors and aborts; any HTTP status resolves.
   */
  pollingRequest?(
    method: "GET" | "POST",
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<HttpAnswer>;
}

/**
 * What every page shares: the global `io` of the `@switchboard/client` bundle served at
 * `/socket.io/socket.io.js`, acknowledged requests with a timeout, and small DOM helpers.
 */

/** The part of the client Socket API the pages use (socket.io-client compatible). */
export interface ClientSocket {
  readonly id: string | undefined;
  readonly connected: boolean;
  /**
   * Whether the socket will (re)connect by itself: false after `disconnect()` and after the
   * server refused it (a middleware's `next(new Error(...))`), true through transport
   * failures (server down, network lost), as in socket.io-client.
   */
  readonly active: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: event payloads are the demo's JSON
  on(event: string, listener: (...args: any[]) => void): ClientSocket;
  // biome-ignore lint/suspicious/noExplicitAny: event payloads are the demo's JSON
  emit(event: string, ...args: any[]): ClientSocket;
  connect(): ClientSocket;
  disconnect(): ClientSocket;
  /** The client's ack timeout: `emitWithAck` rejects when no answer comes within `ms`. */
  timeout(ms: number): {
    // biome-ignore lint/suspicious/noExplicitAny: event payloads are the demo's JSON
    emitWithAck(event: string, ...args: any[]): Promise<any>;
  };
  readonly io: {
    // biome-ignore lint/suspicious/noExplicitAny: manager events
    on(event: string, listener: (...args: any[]) => void): unknown;
  };
}

export interface ConnectOptions {
  auth?: Record<string, unknown>;
  query?: Record<string, string>;
  autoConnect?: boolean;
  reconnection?: boolean;
  forceNew?: boolean;
}

declare global {
  interface Window {
    io?: (uri: string, opts?: ConnectOptions) => ClientSocket;
  }
}

/** Connects to a namespace of this page's origin with the served client bundle. */
export function connect(namespace: string, opts: ConnectOptions = {}): ClientSocket {
  if (typeof window.io !== "function") {
    throw new Error("the client bundle /socket.io/socket.io.js did not load");
  }
  return window.io(namespace, opts);
}

/**
 * Emits with an acknowledgement and resolves with the server's answer; rejects after
 * `timeoutMs` without one (the client's own ack timeout, `socket.timeout(ms)`: e.g. an
 * upload chunk whose ack never comes fails instead of holding the upload forever).
 */
export async function request<T = unknown>(
  socket: ClientSocket,
  event: string,
  payload: unknown,
  timeoutMs = 10_000,
): Promise<T> {
  const withTimeout = socket.timeout(timeoutMs);
  try {
    return (await (payload === undefined
      ? withTimeout.emitWithAck(event)
      : withTimeout.emitWithAck(event, payload))) as T;
  } catch {
    throw new Error(`no answer to ${event} within ${Math.round(timeoutMs / 1000)} s`);
  }
}

/** `document.querySelector` that fails loudly when the page lacks the element. */
export function $<E extends Element = HTMLElement>(
  selector: string,
  root: ParentNode = document,
): E {
  const found = root.querySelector<E>(selector);
  if (!found) throw new Error(`missing element ${selector}`);
  return found;
}

type Child = Node | string | null | undefined | false;

/** Creates an element with attributes and children; text is always inserted as text. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key === "class") node.className = String(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child);
  }
  return node;
}

/**
 * What a page tells its user about its connection:
 * - `connecting`: the first attempt is under way;
 * - `connected`;
 * - `reconnecting`: the server is unreachable (restart, network lost) or the connection
 *   dropped; the client retries by itself;
 * - `refused`: the server said no: a namespace middleware's error (the client stops unless
 *   the page connects again) or a handshake answered 403 (the client keeps retrying, in
 *   case the server's policy changes);
 * - `disconnected`: the page (or the server, on purpose) closed the connection.
 */
export type ConnectionState =
  | "connecting"
  | "connected"
  | "reconnecting"
  | "refused"
  | "disconnected";

/** A connection error: a refusal from the server, or a transport failure the client retries. */
export interface ConnectError extends Error {
  /** The refusal's `data` (socket.io's `err.data`, set by the server's middleware). */
  data?: unknown;
  /** `"TransportError"` for transport failures. */
  type?: string;
  /** For a transport failure: the HTTP status or the underlying error. */
  description?: unknown;
}

/**
 * Reads a `connect_error` as a state: a namespace refusal leaves the socket inactive; a
 * handshake answered 403 (another site's page, `allowedOrigins`) is a refusal too even
 * though the client keeps trying; anything else ("xhr poll error", "websocket error",
 * "timeout") is the network or a server that is down, and the client retries.
 */
export function classifyConnectError(
  socket: Pick<ClientSocket, "active">,
  err: ConnectError,
): "refused" | "reconnecting" {
  if (!socket.active) return "refused";
  if (err.type === "TransportError" && err.description === 403) return "refused";
  return "reconnecting";
}

const BADGE_KIND: Record<ConnectionState, "ok" | "warn" | "error" | "off"> = {
  connecting: "warn",
  connected: "ok",
  reconnecting: "warn",
  refused: "error",
  disconnected: "off",
};

/**
 * Shows the connection state in the page header's `#status` badge: its text, `data-state`
 * (`ok`, `warn`, `error`, `off`: the colour) and `data-connection` (the
 * {@link ConnectionState}); the detail (the reason or the error) goes in its title.
 */
export function trackStatus(socket: ClientSocket, target: HTMLElement = $("#status")): void {
  const show = (state: ConnectionState, text: string, detail = "") => {
    target.textContent = text;
    target.title = detail;
    target.dataset.state = BADGE_KIND[state];
    target.dataset.connection = state;
  };
  show("connecting", "connecting…");
  socket.on("connect", () => show("connected", "connected"));
  socket.on("disconnect", (reason: string) => {
    if (socket.active) show("reconnecting", "reconnecting…", `connection lost: ${reason}`);
    else show("disconnected", "disconnected", reason);
  });
  socket.on("connect_error", (err: ConnectError) => {
    if (classifyConnectError(socket, err) === "refused") {
      show("refused", `refused: ${err.message}`, err.message);
    } else {
      show("reconnecting", "reconnecting…", `server unreachable: ${err.message}`);
    }
  });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatTime(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

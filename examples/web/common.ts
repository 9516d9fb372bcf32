/**
 * What every page shares: the global `io` of the `@switchboard/client` bundle served at
 * `/socket.io/socket.io.js`, acknowledged requests with a timeout, and small DOM helpers.
 */

/** The part of the client Socket API the pages use (socket.io-client compatible). */
export interface ClientSocket {
  readonly id: string | undefined;
  readonly connected: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: event payloads are the demo's JSON
  on(event: string, listener: (...args: any[]) => void): ClientSocket;
  // biome-ignore lint/suspicious/noExplicitAny: event payloads are the demo's JSON
  emit(event: string, ...args: any[]): ClientSocket;
  connect(): ClientSocket;
  disconnect(): ClientSocket;
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

/** Emits with an acknowledgement and resolves with the server's answer. */
export function request<T = unknown>(
  socket: ClientSocket,
  event: string,
  payload: unknown,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to ${event}`)), timeoutMs);
    const done = (answer: T) => {
      clearTimeout(timer);
      resolve(answer);
    };
    if (payload === undefined) socket.emit(event, done);
    else socket.emit(event, payload, done);
  });
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

/** Shows the connection state in the page header's `#status` badge. */
export function trackStatus(socket: ClientSocket, target: HTMLElement = $("#status")): void {
  const show = (text: string, kind: "ok" | "warn" | "error") => {
    target.textContent = text;
    target.dataset.state = kind;
  };
  show("connecting…", "warn");
  socket.on("connect", () => show("connected", "ok"));
  socket.on("disconnect", (reason: string) => show(`disconnected (${reason})`, "warn"));
  socket.on("connect_error", (err: Error) => show(`refused: ${err.message}`, "error"));
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatTime(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

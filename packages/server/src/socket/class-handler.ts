import debugModule from "debug";
import { SocketError, SocketErrorCode, SocketTypeError } from "./errors.js";
import { kReportError } from "./internal.js";
import type { DisconnectReason } from "./reasons.js";
import type { Socket } from "./socket.js";

const debug = debugModule("switchboard:class-handler");

// biome-ignore lint/suspicious/noExplicitAny: handlers accept sockets of any event maps
type AnySocket = Socket<any, any, any, any>;

/**
 * A class whose methods handle a namespace's events (python-socketio's class-based
 * namespaces, in TypeScript idiom). Register an instance with `nsp.register(handler)`.
 *
 * - `onConnect(socket)`: a socket connected (may be async).
 * - `onDisconnecting(socket, reason)` / `onDisconnect(socket, reason)`: it is leaving / left.
 * - Every other method named `on` + Capitalised name handles the event of that name with
 *   the first letter lower-cased: `onChatMessage(socket, text, ack)` ← `"chatMessage"`.
 * - Event names that are not identifiers (`"chat-message"`) map through the static
 *   `events` table: `static events = { "chat-message": "onChatMessage" }`.
 *
 * Event methods get the socket first, then the event arguments (the ack callback last).
 *
 * A method that throws or rejects reaches the socket's `error` event, where `onError`
 * (an on-method like the others: `onError(socket, err)`) or any `socket.on("error")`
 * listener receives it; the connection stays open. With no `error` listener the error is
 * thrown as from a plain `socket.on` listener (a rejection is left unhandled), as in
 * socket.io: a handler bug is never silent. An `onError` that throws is thrown too.
 *
 * @example
 * ```ts
 * class Chat implements NamespaceHandler {
 *   static events = { "typing-start": "onTyping" };
 *   onConnect(socket: Socket) { socket.join("lobby"); }
 *   onSay(socket: Socket, text: string, ack: (ok: boolean) => void) {
 *     socket.to("lobby").emit("said", text);
 *     ack(true);
 *   }
 *   onTyping(socket: Socket) { socket.broadcast.emit("typing", socket.id); }
 * }
 * io.of("/chat").register(new Chat());
 * ```
 */
export interface NamespaceHandler<S extends AnySocket = AnySocket> {
  onConnect?(socket: S): unknown;
  onDisconnecting?(socket: S, reason: DisconnectReason, description?: unknown): unknown;
  onDisconnect?(socket: S, reason: DisconnectReason, description?: unknown): unknown;
  /**
   * The socket's `error` event: a `socket.use` middleware rejection, or a method of this
   * handler that threw or rejected (the value thrown, or a `SB_ERR_HANDLER_FAILED`
   * SocketError wrapping a non-Error).
   */
  onError?(socket: S, err: Error): unknown;
}

/** The static side: an optional event-name → method-name table. */
export interface NamespaceHandlerClass {
  events?: Readonly<Record<string, string>>;
}

const LIFECYCLE = new Set(["onConnect", "onDisconnect", "onDisconnecting", "constructor"]);

type Method = (this: unknown, ...args: unknown[]) => unknown;

/** Event name → method, computed once per registration. */
export function handlerEventTable(handler: object): Map<string, Method> {
  const table = new Map<string, Method>();
  const record = handler as Record<string, unknown>;
  for (
    let proto: object | null = Object.getPrototypeOf(handler);
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (LIFECYCLE.has(name) || !/^on[A-Z]/.test(name)) continue;
      const method = record[name];
      if (typeof method !== "function") continue;
      const event = name.charAt(2).toLowerCase() + name.slice(3);
      if (!table.has(event)) table.set(event, method as Method);
    }
  }
  const ctor = (handler as { constructor?: NamespaceHandlerClass }).constructor;
  for (const [event, methodName] of Object.entries(ctor?.events ?? {})) {
    const method = record[methodName];
    if (typeof method !== "function") {
      throw new SocketTypeError(
        SocketErrorCode.INVALID_HANDLER,
        `events["${event}"] names "${methodName}", which is not a method`,
      );
    }
    table.set(event, method as Method);
  }
  return table;
}

/** Wire a handler's methods to a socket. */
export function bindHandler(
  handler: NamespaceHandler,
  table: Map<string, Method>,
  socket: AnySocket,
): void {
  // The listener returns what the method returned (EventEmitter ignores it), so that a
  // rejection nobody listens for stays unhandled, as it would from a plain listener.
  const run = (event: string, fn: Method, args: unknown[]): unknown => {
    let result: unknown;
    try {
      result = fn.apply(handler, args);
    } catch (err) {
      fail(socket, event, err);
      return undefined;
    }
    if (result instanceof Promise) return result.catch((err: unknown) => fail(socket, event, err));
    return result;
  };
  for (const [event, method] of table) {
    socket.on(event, (...args: unknown[]) => run(event, method, [socket, ...args]));
  }
  const { onDisconnecting, onDisconnect, onConnect } = handler;
  if (onDisconnecting) {
    socket.on("disconnecting", (reason, description) =>
      run("disconnecting", onDisconnecting as Method, [socket, reason, description]),
    );
  }
  if (onDisconnect) {
    socket.on("disconnect", (reason, description) =>
      run("disconnect", onDisconnect as Method, [socket, reason, description]),
    );
  }
  if (onConnect) run("connect", onConnect as Method, [socket]);
}

/**
 * A handler method failed: the socket's `error` listeners get it (a non-Error wrapped in a
 * `SB_ERR_HANDLER_FAILED` SocketError); with none, or when `onError` itself failed, it is
 * thrown on.
 */
function fail(socket: AnySocket, event: string, err: unknown): void {
  debug("handler of %s failed: %s", event, err instanceof Error ? err.stack : err);
  if (event === "error") throw err;
  const error =
    err instanceof Error
      ? err
      : new SocketError(
          SocketErrorCode.HANDLER_FAILED,
          `handler of "${event}" failed: ${String(err)}`,
          { cause: err },
        );
  if (!socket[kReportError](error)) throw err;
}

/**
 * @switchboard/client: a Socket.IO v4-compatible client (Engine.IO v4, Socket.IO v5) for
 * browsers and Node.js.
 *
 * @packageDocumentation
 */
import type { DefaultEventsMap, EventsMap } from "@switchboard/protocol";
import { platform } from "#platform";
import { type ConnectOptions, Manager } from "./socket/manager.js";
import { Socket } from "./socket/socket.js";
import { parseUrl } from "./socket/url.js";

export type {
  SocketParser,
  SocketParserDecoder,
  SocketParserEncoder,
} from "@switchboard/protocol";
export { Emitter } from "./emitter.js";
export type { EngineOptions, EngineReadyState, EngineSocket } from "./engine/engine-socket.js";
export { ClientErrorCode, SocketError, TransportError } from "./engine/errors.js";
export type { TransportName } from "./engine/transport.js";
export type {
  ConnectOptions,
  ManagerOptions,
  ManagerReadyState,
  ManagerReservedEvents,
} from "./socket/manager.js";
export type {
  DisconnectDescription,
  DisconnectReason,
  SocketOptions,
  SocketReservedEvents,
} from "./socket/socket-types.js";
export { Manager, Socket };

/** socket.io-client's alias of {@link ConnectOptions}. */
export type ManagerOptionsInput = ConnectOptions;

/** Engine.IO protocol revision spoken by this client. */
export const protocol = 5;

const cache: Record<string, Manager> = {};

/**
 * Connects to a namespace. Sockets to several namespaces of one origin share a connection
 * (one cached Manager per origin and path) unless `forceNew` or `multiplex: false` is set,
 * or the namespace is already open on the cached Manager.
 *
 * @param uri - server URL with the namespace as path; the page's origin when omitted (browsers)
 * @example
 * ```ts
 * import { io } from "@switchboard/client";
 * const socket = io("http://localhost:3000/chat", { auth: { token: "abc" } });
 * socket.on("message", (text) => console.log(text));
 * ```
 */
export function io<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
>(uri?: string | ConnectOptions, opts?: ConnectOptions): Socket<ListenEvents, EmitEvents> {
  if (typeof uri === "object") {
    opts = uri;
    uri = undefined;
  }
  opts ??= {};
  const source = uri ?? platform.defaultUri();
  const parsed = parseUrl(source, platform.defaultUri(), opts.path ?? "/socket.io");
  const cached = cache[parsed.id];
  const newConnection =
    opts.forceNew ||
    opts.multiplex === false ||
    (cached !== undefined && parsed.nsp in cached.nsps);
  let manager: Manager;
  if (newConnection || cached === undefined) {
    manager = new Manager(source, opts);
    if (!newConnection) cache[parsed.id] = manager;
  } else manager = cached;
  return manager.socket(parsed.nsp, opts) as unknown as Socket<ListenEvents, EmitEvents>;
}

export { io as connect };
export default io;

import { RESERVED_EVENTS as PROTOCOL_RESERVED_EVENTS } from "@switchboard/protocol";
import { SocketError, SocketErrorCode } from "./errors.js";

/**
 * Why a socket disconnected: the `reason` argument of the `disconnecting` and
 * `disconnect` events. The strings are socket.io's, so apps that switch on them keep working.
 *
 * Server side:
 * - `server namespace disconnect`: the server called `socket.disconnect()`.
 * - `client namespace disconnect`: the client called `socket.disconnect()`.
 * - `server shutting down`: `io.close()`.
 * - `ping timeout`: the client did not answer a ping within `pingTimeout`.
 * - `transport close`: the connection was closed (the user left, the network changed).
 * - `transport error`: the connection failed.
 * - `parse error`: the client sent a packet that does not decode; only its connection closes.
 * - `forced close`: the engine connection was closed with `socket.conn.close()`.
 * - `forced server close`: the engine server was closed (`io.engine.close()`).
 * - `buffer overflow`: Switchboard only; the client read too slowly and its outgoing
 *   buffer went over `maxBufferedBytes`.
 * - `rate limited`: Switchboard only; the client kept sending past its `rateLimit`
 *   (`maxViolations` refused events within one `duration`).
 *
 * Client side (what the official client reports):
 * - `io server disconnect`: the server called `socket.disconnect()`.
 * - `io client disconnect`: the client called `socket.disconnect()`.
 */
export const DisconnectReason = {
  ioServerDisconnect: "io server disconnect",
  ioClientDisconnect: "io client disconnect",
  serverNamespaceDisconnect: "server namespace disconnect",
  clientNamespaceDisconnect: "client namespace disconnect",
  serverShuttingDown: "server shutting down",
  pingTimeout: "ping timeout",
  transportClose: "transport close",
  transportError: "transport error",
  parseError: "parse error",
  forcedClose: "forced close",
  forcedServerClose: "forced server close",
  bufferOverflow: "buffer overflow",
  rateLimited: "rate limited",
} as const;

/** One of the {@link DisconnectReason} strings. */
export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason];

/** Reasons after which a session is kept for connection state recovery. */
export const RECOVERABLE_REASONS: ReadonlySet<string> = new Set<string>([
  DisconnectReason.transportError,
  DisconnectReason.transportClose,
  DisconnectReason.forcedClose,
  DisconnectReason.pingTimeout,
  DisconnectReason.serverShuttingDown,
  DisconnectReason.forcedServerClose,
  DisconnectReason.bufferOverflow,
]);

/** Event names users may neither emit nor receive from clients. */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set(PROTOCOL_RESERVED_EVENTS);

/** Throws a `SB_ERR_RESERVED_EVENT` {@link SocketError} when `event` is reserved (socket.io throws too). */
export function assertNotReserved(event: unknown): void {
  if (typeof event === "string" && RESERVED_EVENTS.has(event)) throw reservedEventError(event);
}

/** The error of an emit with a reserved event name. */
export function reservedEventError(event: string): SocketError {
  return new SocketError(SocketErrorCode.RESERVED_EVENT, `"${event}" is a reserved event name`);
}

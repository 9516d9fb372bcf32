import type { IncomingHttpHeaders } from "node:http";

/**
 * The socket layer's own public types. A leaf module: it imports no other file of the
 * package, so the adapter layer can use these types (adapter/types.ts re-exports them)
 * without an import circle between socket/ and adapter/.
 */

/** A Socket.IO socket id (the `sid` of the CONNECT answer), distinct from the engine session id. */
export type SocketId = string;
/** A room name. Every socket is in the room named after its own id. */
export type Room = string;

/** The handshake details of a socket (`socket.handshake`). */
export interface Handshake {
  /** The headers of the handshake request (the request's own object, not a copy). */
  headers: IncomingHttpHeaders;
  /** Creation date, `Date#toString()`. */
  time: string;
  /** The remote address. */
  address: string;
  /** Whether the request carried an `Origin` header (cross-domain). */
  xdomain: boolean;
  /** Whether the connection is TLS. */
  secure: boolean;
  /** Creation time, milliseconds since the epoch. */
  issued: number;
  /** The request URL. */
  url: string;
  /** The parsed query string of the handshake request. */
  query: Record<string, string | string[] | undefined>;
  /** The auth payload of the CONNECT packet. */
  auth: Record<string, unknown>;
}

/** Options of connection state recovery. */
export interface ConnectionStateRecoveryOptions {
  /** How long a session may be restored after a disconnection, in ms. Default 120000. */
  maxDisconnectionDuration: number;
  /** Skip the middlewares when a session is restored. Default true. */
  skipMiddlewares: boolean;
  /** Most missed packets kept per namespace for replay. Default 10000. */
  maxPackets: number;
  /** Most disconnected sessions kept per namespace. Default 10000. */
  maxSessions: number;
}

/** A disconnected socket's state, persisted for connection state recovery. */
export interface Session {
  sid: SocketId;
  pid: string;
  rooms: Room[];
  data: unknown;
}

/** A restored session plus the packets (event `data` arrays) the client missed. */
export interface RestoredSession extends Session {
  missedPackets: unknown[][];
}

// The public types of a Socket: its options, its reserved events and its disconnect reasons.

/**
 * Why a Socket disconnected (socket.io's reason strings):
 * - `"io server disconnect"`: the server called `socket.disconnect()`; no reconnection.
 * - `"io client disconnect"`: `socket.disconnect()` was called; no reconnection.
 * - `"ping timeout"`: no ping from the server within pingInterval + pingTimeout.
 * - `"transport close"`: the connection was closed (server stopped, network change).
 * - `"transport error"`: the connection failed (HTTP error, WebSocket error).
 * - `"parse error"`: the server sent a packet that does not decode.
 * - `"forced close"`: the Manager was closed with `manager.disconnect()`.
 */
export type DisconnectReason =
  | "io server disconnect"
  | "io client disconnect"
  | "ping timeout"
  | "transport close"
  | "transport error"
  | "parse error"
  | "forced close";

/** Details of a transport-level disconnection (`description` is the cause, `context` extra data). */
export type DisconnectDescription = Error | { description: string; context?: unknown };

/** Events a Socket emits locally; they cannot be emitted to the server. */
export interface SocketReservedEvents {
  connect: () => void;
  connect_error: (err: Error & { data?: unknown }) => void;
  disconnect: (reason: DisconnectReason, description?: DisconnectDescription) => void;
}

/** Per-Socket options. */
export interface SocketOptions {
  /** Sent with the CONNECT packet: an object, or a function called with a callback on each connection. Default none. */
  auth: Record<string, unknown> | ((callback: (data: Record<string, unknown>) => void) => void);
  /** Resend each emit until acknowledged, at most this many extra times (needs `ackTimeout`). Default `0`. */
  retries: number;
  /** Default acknowledgement timeout of every emit with a callback, in milliseconds. Default none. */
  ackTimeout: number;
  /**
   * Bound of each buffer that grows while disconnected, in packets: emits waiting to be
   * sent, the `retries` queue, events received before the namespace's CONNECT answer. An
   * emit over the bound is dropped (its ack, when it takes an error, gets "send buffer
   * full"); an event over the bound refuses the connection (`connect_error` with code
   * `SB_ERR_TOO_MANY_EARLY_PACKETS`, see {@link Socket}). Default `10000`.
   */
  maxBufferedPackets: number;
}

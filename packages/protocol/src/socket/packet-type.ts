/** Socket.IO v5 packet types (spec §"Packet types"), by name. */
export const SocketPacketType = {
  CONNECT: 0,
  DISCONNECT: 1,
  EVENT: 2,
  ACK: 3,
  CONNECT_ERROR: 4,
  BINARY_EVENT: 5,
  BINARY_ACK: 6,
} as const;

/** A Socket.IO packet type number, 0 (CONNECT) to 6 (BINARY_ACK). */
export type SocketPacketType = (typeof SocketPacketType)[keyof typeof SocketPacketType];

/** CONNECT: a client asks to join `nsp` (data: optional auth object); the server accepts (data: `{sid, pid?}`). */
export interface ConnectPacket {
  type: 0;
  nsp: string;
  data?: unknown;
}

/** DISCONNECT: leave the namespace. No data. */
export interface DisconnectPacket {
  type: 1;
  nsp: string;
}

/** EVENT / BINARY_EVENT: `data` is `[eventName, ...args]`; `id` asks for an acknowledgement. */
export interface EventPacket {
  type: 2 | 5;
  nsp: string;
  data: unknown[];
  id?: number;
}

/** ACK / BINARY_ACK: the acknowledgement arguments for the event with the same `id`. */
export interface AckPacket {
  type: 3 | 6;
  nsp: string;
  data: unknown[];
  id: number;
}

/** CONNECT_ERROR: the server refused the namespace connection; data is `{message, data?}` (or a string from v2-era servers). */
export interface ConnectErrorPacket {
  type: 4;
  nsp: string;
  data: unknown;
}

/** One Socket.IO v5 packet: a discriminated union on `type`. */
export type SocketPacket =
  | ConnectPacket
  | DisconnectPacket
  | EventPacket
  | AckPacket
  | ConnectErrorPacket;

/**
 * Event names neither side may emit, nor accept from the peer: they are the local life-cycle
 * events of socket.io's API (both the server and the client throw when asked to emit them).
 */
export const RESERVED_EVENTS: readonly string[] = Object.freeze([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);

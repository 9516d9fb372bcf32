import { ProtocolError, ProtocolErrorCode } from "../errors.js";

/** The JSON data of the Engine.IO v4 open packet (`0{"sid":…}`), sent by the server on handshake. */
export interface HandshakeData {
  /** Engine session id. */
  sid: string;
  /** Transports the client may upgrade to, e.g. `["websocket"]`. */
  upgrades: string[];
  /** Interval between server pings, in milliseconds. */
  pingInterval: number;
  /** Time the server waits for a pong after a ping, in milliseconds. */
  pingTimeout: number;
  /**
   * Maximum number of bytes per chunk (polling payload or WebSocket message); 0 when the
   * server did not announce one (`maxPayload` came with engine.io 6.1, inside protocol v4:
   * python-engineio 4.3 and other older v4 servers send no such field).
   */
  maxPayload: number;
}

function invalid(message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.INVALID_HANDSHAKE, `invalid handshake: ${message}`);
}

function isNonNegativeFinite(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/**
 * Parse and validate the data of an open packet. Extra fields are ignored.
 *
 * @throws ProtocolError `SB_ERR_INVALID_HANDSHAKE`
 * @example
 * ```ts
 * const packet = decodeEnginePacket(frame);
 * if (packet.type === "open") {
 *   const { sid, pingInterval } = parseHandshake(packet.data as string);
 * }
 * ```
 */
export function parseHandshake(data: unknown): HandshakeData {
  if (typeof data !== "string") throw invalid("data is not text");
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (cause) {
    throw new ProtocolError(ProtocolErrorCode.INVALID_HANDSHAKE, "invalid handshake: bad JSON", {
      cause,
    });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid("not an object");
  }
  const { sid, upgrades, pingInterval, pingTimeout, maxPayload } = value as Record<string, unknown>;
  if (typeof sid !== "string" || sid.length === 0) throw invalid("sid");
  if (!Array.isArray(upgrades) || !upgrades.every((u) => typeof u === "string")) {
    throw invalid("upgrades");
  }
  if (!isNonNegativeFinite(pingInterval)) throw invalid("pingInterval");
  if (!isNonNegativeFinite(pingTimeout)) throw invalid("pingTimeout");
  // Absent on servers older than engine.io 6.1: no announced limit (0). Present, it must be valid.
  if (maxPayload !== undefined && !isNonNegativeFinite(maxPayload)) throw invalid("maxPayload");
  return {
    sid,
    upgrades: upgrades as string[],
    pingInterval,
    pingTimeout,
    maxPayload: maxPayload ?? 0,
  };
}

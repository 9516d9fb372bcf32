import { ProtocolError, ProtocolErrorCode } from "../errors.js";
import { DEFAULT_DECODER_LIMITS } from "../limits.js";
import { decodeEnginePacket, type EnginePacket, encodePollingPacket } from "./packet.js";

/** Record separator joining packets in a long-polling payload (Engine.IO v4, "Payload"). */
export const RECORD_SEPARATOR = "\x1e";

/**
 * Encode packets as one long-polling payload: each packet in polling form, joined by `"\x1e"`.
 *
 * @throws ProtocolError `SB_ERR_INVALID_PACKET` if a packet cannot be encoded
 * @example
 * ```ts
 * encodePayload([{ type: "message", data: "hello" }, { type: "message", data: new Uint8Array([1, 2, 3, 4]) }]);
 * // "4hello\x1ebAQIDBA=="
 * ```
 */
export function encodePayload(packets: readonly EnginePacket[]): string {
  if (packets.length === 1) return encodePollingPacket(packets[0]!);
  let out = "";
  for (let i = 0; i < packets.length; i++) {
    if (i > 0) out += RECORD_SEPARATOR;
    out += encodePollingPacket(packets[i]!);
  }
  return out;
}

/**
 * Decode a long-polling payload (packets joined by `"\x1e"`). The packet count is checked
 * before any packet is decoded.
 *
 * @param maxPackets - maximum number of packets; default `DEFAULT_DECODER_LIMITS.maxPayloadPackets` (256)
 * @throws ProtocolError `SB_ERR_TOO_MANY_PACKETS`, `SB_ERR_EMPTY_PACKET` (empty payload or
 *   empty segment), and every error of {@link decodeEnginePacket}
 * @example
 * ```ts
 * decodePayload("4hello\x1e2"); // [{ type: "message", data: "hello" }, { type: "ping" }]
 * ```
 */
export function decodePayload(
  payload: string,
  maxPackets: number = DEFAULT_DECODER_LIMITS.maxPayloadPackets,
): EnginePacket[] {
  if (typeof payload !== "string") {
    throw new ProtocolError(ProtocolErrorCode.INVALID_MESSAGE, "polling payload is not a string");
  }
  let count = 1;
  let index = payload.indexOf(RECORD_SEPARATOR);
  while (index !== -1) {
    if (++count > maxPackets) break;
    index = payload.indexOf(RECORD_SEPARATOR, index + 1);
  }
  if (count > maxPackets) {
    throw new ProtocolError(
      ProtocolErrorCode.TOO_MANY_PACKETS,
      `polling payload holds more than ${maxPackets} packets`,
    );
  }
  if (count === 1) return [decodeEnginePacket(payload)];
  const packets: EnginePacket[] = new Array(count);
  let start = 0;
  for (let i = 0; i < count; i++) {
    let end = payload.indexOf(RECORD_SEPARATOR, start);
    if (end === -1) end = payload.length;
    packets[i] = decodeEnginePacket(payload.slice(start, end));
    start = end + 1;
  }
  return packets;
}

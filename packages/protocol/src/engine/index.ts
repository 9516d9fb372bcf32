export { decodeBase64, encodeBase64 } from "./base64.js";
export { type HandshakeData, parseHandshake } from "./handshake.js";
export {
  type BinaryData,
  decodeEnginePacket,
  ENGINE_PACKET_TYPE_CODES,
  ENGINE_PACKET_TYPES,
  type EnginePacket,
  type EnginePacketType,
  encodeEnginePacket,
  encodePollingPacket,
  type RawData,
} from "./packet.js";
export { decodePayload, encodePayload, RECORD_SEPARATOR } from "./payload.js";
export {
  decodeV3Payload,
  decodeV3WebSocketFrame,
  encodeV3BinaryPayload,
  encodeV3TextPayload,
  encodeV3WebSocketPacket,
  isV3BinaryPayload,
  MAX_V3_LENGTH_DIGITS,
} from "./v3.js";

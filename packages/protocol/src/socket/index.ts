export { deconstructBinary, hasBinary, isBinary, isBlob } from "./binary.js";
export {
  CustomPacketDecoder,
  customEncoder,
  type DecodedPacketSink,
  isSocketParser,
  type SocketParser,
  type SocketParserDecoder,
  type SocketParserEncoder,
  validateDecodedPacket,
} from "./custom-parser.js";
export { SocketPacketDecoder } from "./decoder.js";
export {
  encodeConnectErrorPacket,
  encodeConnectPacket,
  encodeDisconnectPacket,
  encodeSocketPacket,
} from "./encoder.js";
export { isMsgpackParser, scanMsgpack } from "./msgpack-scan.js";
export {
  type AckPacket,
  type ConnectErrorPacket,
  type ConnectPacket,
  type DisconnectPacket,
  type EventPacket,
  RESERVED_EVENTS,
  type SocketPacket,
  SocketPacketType,
} from "./packet-type.js";

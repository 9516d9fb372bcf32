import { ProtocolError, ProtocolErrorCode } from "../errors.js";
import { decodeBase64, encodeBase64 } from "./base64.js";

/** Engine.IO v4 packet types (spec §"Packet encoding"): 0 open … 6 noop. */
export type EnginePacketType = "open" | "close" | "ping" | "pong" | "message" | "upgrade" | "noop";

/** Binary data on the wire. Node `Buffer`s are `Uint8Array`s. */
export type BinaryData = Uint8Array | ArrayBuffer;

/** The content of one WebSocket frame or one engine "message": text or binary. */
export type RawData = string | BinaryData;

/** One Engine.IO packet. `data` is the text after the type digit, or binary bytes for a binary message. */
export interface EnginePacket {
  /** Packet type. */
  type: EnginePacketType;
  /** Packet data: the text after the type character, or the bytes of a binary message. */
  data?: RawData;
}

/** Packet types indexed by their wire digit (Engine.IO v4 spec, "Packet encoding"). */
export const ENGINE_PACKET_TYPES: readonly EnginePacketType[] = Object.freeze([
  "open",
  "close",
  "ping",
  "pong",
  "message",
  "upgrade",
  "noop",
]);

/** Wire digit of each packet type, e.g. `ENGINE_PACKET_TYPE_CODES.message === "4"`. */
export const ENGINE_PACKET_TYPE_CODES = {
  open: "0",
  close: "1",
  ping: "2",
  pong: "3",
  message: "4",
  upgrade: "5",
  noop: "6",
} as const satisfies Record<EnginePacketType, string>;

const CHAR_0 = 48;
const CHAR_B = 98; // "b": base64 binary message in a polling payload

function invalidPacket(message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.INVALID_PACKET, message);
}

/** Binary value as bytes without copying (Uint8Array as is, ArrayBuffer / other views wrapped). */
function asBytes(data: BinaryData | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

function typeCode(type: EnginePacketType): string {
  const code = ENGINE_PACKET_TYPE_CODES[type];
  if (code === undefined) throw invalidPacket(`unknown engine packet type ${String(type)}`);
  return code;
}

/**
 * Encode one packet as the content of a WebSocket frame: `"4hello"`, `"3probe"`, `"2"`, or,
 * for a binary message, the bytes themselves (sent as a binary frame, no type prefix).
 *
 * @throws ProtocolError `SB_ERR_INVALID_PACKET` for an unknown type or binary data on a non-message packet
 * @example
 * ```ts
 * encodeEnginePacket({ type: "message", data: "hello" }); // "4hello"
 * encodeEnginePacket({ type: "ping", data: "probe" });    // "2probe"
 * ```
 */
export function encodeEnginePacket(packet: EnginePacket): RawData {
  const data = packet.data;
  if (data === undefined || typeof data === "string") {
    return data === undefined ? typeCode(packet.type) : typeCode(packet.type) + data;
  }
  if (packet.type !== "message") throw invalidPacket("only message packets may carry binary data");
  return data;
}

/**
 * Encode one packet for a long-polling payload: text as `"4hello"`, binary as `"b"` + base64.
 *
 * @throws ProtocolError `SB_ERR_INVALID_PACKET` for an unknown type or binary data on a non-message packet
 * @example
 * ```ts
 * encodePollingPacket({ type: "message", data: new Uint8Array([1, 2, 3, 4]) }); // "bAQIDBA=="
 * ```
 */
export function encodePollingPacket(packet: EnginePacket): string {
  const data = packet.data;
  if (data === undefined || typeof data === "string") {
    return data === undefined ? typeCode(packet.type) : typeCode(packet.type) + data;
  }
  if (packet.type !== "message") throw invalidPacket("only message packets may carry binary data");
  return `b${encodeBase64(asBytes(data))}`;
}

/**
 * Decode one WebSocket frame (or one polling-payload segment). Binary frames are binary
 * messages; text frames are a type digit followed by data, or `"b"` + base64 for a binary
 * message. A `"4"` frame decodes to a message with `data: ""`; other types carry `data`
 * only when there is text after the digit.
 *
 * @throws ProtocolError `SB_ERR_EMPTY_PACKET`, `SB_ERR_UNKNOWN_ENGINE_PACKET_TYPE`,
 *   `SB_ERR_INVALID_BASE64`, `SB_ERR_INVALID_MESSAGE` (neither string nor binary)
 * @example
 * ```ts
 * decodeEnginePacket("4hello"); // { type: "message", data: "hello" }
 * decodeEnginePacket("2");      // { type: "ping" }
 * ```
 */
export function decodeEnginePacket(frame: RawData): EnginePacket {
  if (typeof frame !== "string") {
    if (frame instanceof ArrayBuffer || ArrayBuffer.isView(frame)) {
      return { type: "message", data: frame instanceof ArrayBuffer ? frame : asBytes(frame) };
    }
    throw new ProtocolError(
      ProtocolErrorCode.INVALID_MESSAGE,
      "engine frame is neither text nor binary",
    );
  }
  if (frame.length === 0) {
    throw new ProtocolError(ProtocolErrorCode.EMPTY_PACKET, "empty engine packet");
  }
  const first = frame.charCodeAt(0);
  if (first === CHAR_B) {
    return { type: "message", data: decodeBase64(frame.slice(1)) };
  }
  const type = ENGINE_PACKET_TYPES[first - CHAR_0];
  if (type === undefined) {
    throw new ProtocolError(
      ProtocolErrorCode.UNKNOWN_ENGINE_PACKET_TYPE,
      `unknown engine packet type ${JSON.stringify(frame[0])}`,
    );
  }
  if (frame.length > 1) return { type, data: frame.slice(1) };
  return type === "message" ? { type, data: "" } : { type };
}

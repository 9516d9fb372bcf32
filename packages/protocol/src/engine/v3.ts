import { ProtocolError, ProtocolErrorCode } from "../errors.js";
import { DEFAULT_DECODER_LIMITS } from "../limits.js";
import { decodeBase64, encodeBase64 } from "./base64.js";
import {
  type BinaryData,
  decodeEnginePacket,
  ENGINE_PACKET_TYPE_CODES,
  type EnginePacket,
  type RawData,
} from "./packet.js";
import { decodeUtf8, encodeUtf8 } from "./utf8.js";

// Engine.IO protocol v3 (socket.io 1.x / 2.x clients), as its spec describes it
// (docs/engine.io-protocol/v3.md in socketio/socket.io, "Encoding"):
//
// - a binary packet carries its type in its first byte: `[4, ...bytes]` over WebSocket;
// - a text payload (long-polling) is `<length>:<packet>` repeated, the length counted in
//   characters (UTF-16 code units, as JavaScript peers count them), a binary message
//   written as `b<type><base64>`;
// - a binary payload (XHR2 clients, sent when a payload holds binary and the client did not
//   ask for `b64=1`) is, per packet, a byte 0 (text) or 1 (binary), the length in bytes as
//   one byte per decimal digit (values 0-9), a byte 255, then the packet: the UTF-8 bytes of
//   `<type><data>` for text, `<type byte><bytes>` for binary.

const CHAR_0 = 48;
const CHAR_9 = 57;
const CHAR_COLON = 58;
const CHAR_B = 98;
const MESSAGE = 4;
const SEPARATOR_BYTE = 255;

/**
 * Most digits a v3 length prefix may have: 16 covers any length a JavaScript string or
 * buffer can have. A longer prefix (leading zeros included) is malformed.
 */
export const MAX_V3_LENGTH_DIGITS = 16;

function framingError(message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.INVALID_PAYLOAD_FRAMING, message);
}

function asBytes(data: BinaryData | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

function typeCode(packet: EnginePacket): string {
  const code = ENGINE_PACKET_TYPE_CODES[packet.type];
  if (code === undefined) {
    throw new ProtocolError(
      ProtocolErrorCode.INVALID_PACKET,
      `unknown engine packet type ${String(packet.type)}`,
    );
  }
  return code;
}

function binaryOf(packet: EnginePacket): Uint8Array | null {
  const data = packet.data;
  if (data === undefined || typeof data === "string") return null;
  if (packet.type !== "message") {
    throw new ProtocolError(
      ProtocolErrorCode.INVALID_PACKET,
      "only message packets may carry binary data",
    );
  }
  return asBytes(data);
}

/** A binary message's bytes with the type byte in front: `[4, ...bytes]` (v3 "Packet"). */
function prefixed(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 1);
  out[0] = MESSAGE;
  out.set(bytes, 1);
  return out;
}

/**
 * Encode one packet as an Engine.IO v3 WebSocket frame: text as in v4 (`"4hello"`), a binary
 * message as its bytes behind the type byte 4 (sent as a binary frame).
 *
 * @throws ProtocolError `SB_ERR_INVALID_PACKET` for an unknown type or binary data on a non-message packet
 * @example
 * ```ts
 * encodeV3WebSocketPacket({ type: "message", data: new Uint8Array([1, 2]) }); // Uint8Array [4, 1, 2]
 * ```
 */
export function encodeV3WebSocketPacket(packet: EnginePacket): RawData {
  const bytes = binaryOf(packet);
  if (bytes !== null) return prefixed(bytes);
  const data = packet.data as string | undefined;
  return data === undefined ? typeCode(packet) : typeCode(packet) + data;
}

/** The binary message of a v3 binary packet: type byte 4, then the bytes. */
function decodeBinaryPacket(bytes: Uint8Array): EnginePacket {
  if (bytes.length === 0) {
    throw new ProtocolError(ProtocolErrorCode.EMPTY_PACKET, "empty engine packet");
  }
  const type = bytes[0]!;
  if (type !== MESSAGE) {
    throw new ProtocolError(
      ProtocolErrorCode.UNKNOWN_ENGINE_PACKET_TYPE,
      `binary engine packet of type ${type} (only message packets carry binary)`,
    );
  }
  return { type: "message", data: bytes.subarray(1) };
}

/** A text packet of a v3 payload or frame: `b4<base64>` for binary, else as in v4. */
function decodeTextPacket(text: string): EnginePacket {
  if (text.charCodeAt(0) === CHAR_B) {
    if (text.charCodeAt(1) !== CHAR_0 + MESSAGE) {
      throw new ProtocolError(
        ProtocolErrorCode.UNKNOWN_ENGINE_PACKET_TYPE,
        `base64 engine packet of type ${JSON.stringify(text.slice(1, 2))} (only message packets carry binary)`,
      );
    }
    return { type: "message", data: decodeBase64(text.slice(2)) };
  }
  return decodeEnginePacket(text);
}

/**
 * Decode one Engine.IO v3 WebSocket frame: a binary frame is `[type byte, ...bytes]` (only
 * message packets, type 4, may be binary); a text frame is as in v4, or `b4<base64>`.
 *
 * @throws ProtocolError `SB_ERR_EMPTY_PACKET`, `SB_ERR_UNKNOWN_ENGINE_PACKET_TYPE`,
 *   `SB_ERR_INVALID_BASE64`, `SB_ERR_INVALID_MESSAGE`
 * @example
 * ```ts
 * decodeV3WebSocketFrame(new Uint8Array([4, 1, 2])); // { type: "message", data: Uint8Array [1, 2] }
 * decodeV3WebSocketFrame("2");                       // { type: "ping" }
 * ```
 */
export function decodeV3WebSocketFrame(frame: RawData): EnginePacket {
  if (typeof frame === "string") return decodeTextPacket(frame);
  if (frame instanceof ArrayBuffer || ArrayBuffer.isView(frame)) {
    return decodeBinaryPacket(asBytes(frame));
  }
  throw new ProtocolError(
    ProtocolErrorCode.INVALID_MESSAGE,
    "engine frame is neither text nor binary",
  );
}

/**
 * Encode packets as an Engine.IO v3 text payload: `<length>:<packet>` each, the length in
 * characters (UTF-16 code units), a binary message as `b4<base64>`. For clients that asked
 * for `b64=1`, and for payloads without binary.
 *
 * @throws ProtocolError `SB_ERR_INVALID_PACKET` if a packet cannot be encoded
 * @example
 * ```ts
 * encodeV3TextPayload([{ type: "message", data: "€" }, { type: "message", data: new Uint8Array([1, 2, 3, 4]) }]);
 * // "2:4€10:b4AQIDBA=="
 * ```
 */
export function encodeV3TextPayload(packets: readonly EnginePacket[]): string {
  let out = "";
  for (let i = 0; i < packets.length; i++) {
    const packet = packets[i]!;
    const bytes = binaryOf(packet);
    let text: string;
    if (bytes !== null) text = `b4${encodeBase64(bytes)}`;
    else {
      const data = packet.data as string | undefined;
      text = data === undefined ? typeCode(packet) : typeCode(packet) + data;
    }
    out += `${text.length}:${text}`;
  }
  return out;
}

/**
 * Encode packets as an Engine.IO v3 binary payload (XHR2 clients): per packet a byte 0
 * (text) or 1 (binary), the length in bytes as one byte per decimal digit, 255, then the
 * packet (UTF-8 `<type><data>`, or the type byte 4 and the bytes).
 *
 * @throws ProtocolError `SB_ERR_INVALID_PACKET` if a packet cannot be encoded
 * @example
 * ```ts
 * encodeV3BinaryPayload([{ type: "message", data: "€" }, { type: "message", data: new Uint8Array([1, 2, 3, 4]) }]);
 * // Uint8Array [0, 4, 255, 0x34, 0xe2, 0x82, 0xac, 1, 5, 255, 4, 1, 2, 3, 4]
 * ```
 */
export function encodeV3BinaryPayload(packets: readonly EnginePacket[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < packets.length; i++) {
    const packet = packets[i]!;
    const bytes = binaryOf(packet);
    let body: Uint8Array;
    let kind: 0 | 1;
    if (bytes !== null) {
      body = prefixed(bytes);
      kind = 1;
    } else {
      const data = packet.data as string | undefined;
      body = encodeUtf8(data === undefined ? typeCode(packet) : typeCode(packet) + data);
      kind = 0;
    }
    const digits = String(body.length);
    const head = new Uint8Array(digits.length + 2);
    head[0] = kind;
    for (let d = 0; d < digits.length; d++) head[d + 1] = digits.charCodeAt(d) - CHAR_0;
    head[digits.length + 1] = SEPARATOR_BYTE;
    parts.push(head, body);
    total += head.length + body.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function tooManyPackets(maxPackets: number): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.TOO_MANY_PACKETS,
    `polling payload holds more than ${maxPackets} packets`,
  );
}

function decodeTextPayload(payload: string, maxPackets: number): EnginePacket[] {
  const packets: EnginePacket[] = [];
  const end = payload.length;
  let i = 0;
  while (i < end) {
    if (packets.length >= maxPackets) throw tooManyPackets(maxPackets);
    // The prefix: 1 to MAX_V3_LENGTH_DIGITS decimal digits, then ":". Every step is bounded
    // by what is left of the payload, so a prefix claiming more is refused at once.
    const start = i;
    let length = 0;
    for (;;) {
      if (i >= end) throw framingError("length prefix without ':'");
      const c = payload.charCodeAt(i);
      if (c === CHAR_COLON) break;
      if (c < CHAR_0 || c > CHAR_9) throw framingError("length prefix is not a decimal number");
      if (i - start >= MAX_V3_LENGTH_DIGITS) throw framingError("length prefix too long");
      length = length * 10 + (c - CHAR_0);
      i++;
    }
    if (i === start) throw framingError("empty length prefix");
    i++; // ":"
    if (length === 0)
      throw new ProtocolError(ProtocolErrorCode.EMPTY_PACKET, "empty engine packet");
    if (length > end - i) throw framingError("length prefix runs past the end of the payload");
    packets.push(decodeTextPacket(payload.slice(i, i + length)));
    i += length;
  }
  if (packets.length === 0)
    throw new ProtocolError(ProtocolErrorCode.EMPTY_PACKET, "empty payload");
  return packets;
}

function decodeBinaryPayload(payload: Uint8Array, maxPackets: number): EnginePacket[] {
  const packets: EnginePacket[] = [];
  const end = payload.length;
  let i = 0;
  while (i < end) {
    if (packets.length >= maxPackets) throw tooManyPackets(maxPackets);
    const kind = payload[i++]!;
    if (kind !== 0 && kind !== 1)
      throw framingError(`packet header byte ${kind} is neither 0 nor 1`);
    const start = i;
    let length = 0;
    for (;;) {
      if (i >= end) throw framingError("length prefix without its 255 separator");
      const b = payload[i]!;
      if (b === SEPARATOR_BYTE) break;
      if (b > 9) throw framingError("length prefix byte is not a decimal digit");
      if (i - start >= MAX_V3_LENGTH_DIGITS) throw framingError("length prefix too long");
      length = length * 10 + b;
      i++;
    }
    if (i === start) throw framingError("empty length prefix");
    i++; // 255
    if (length === 0)
      throw new ProtocolError(ProtocolErrorCode.EMPTY_PACKET, "empty engine packet");
    if (length > end - i) throw framingError("length prefix runs past the end of the payload");
    const body = payload.subarray(i, i + length);
    i += length;
    packets.push(kind === 1 ? decodeBinaryPacket(body) : decodeTextPacket(decodeUtf8(body)));
  }
  if (packets.length === 0)
    throw new ProtocolError(ProtocolErrorCode.EMPTY_PACKET, "empty payload");
  return packets;
}

/**
 * Decode an Engine.IO v3 long-polling payload: text (`<length>:<packet>` repeated) or
 * binary (the XHR2 format, see {@link encodeV3BinaryPayload}). The framing is checked
 * strictly: a length prefix of 1 to {@link MAX_V3_LENGTH_DIGITS} decimal digits, never 0,
 * never past the end of the payload, and nothing after the last packet.
 *
 * @param maxPackets - maximum number of packets; default `DEFAULT_DECODER_LIMITS.maxPayloadPackets` (256)
 * @throws ProtocolError `SB_ERR_INVALID_PAYLOAD_FRAMING` (bad length prefix or header byte),
 *   `SB_ERR_TOO_MANY_PACKETS`, `SB_ERR_EMPTY_PACKET` (empty payload or a 0 length), and the
 *   errors of {@link decodeV3WebSocketFrame} for each packet
 * @example
 * ```ts
 * decodeV3Payload("6:4hello1:2"); // [{ type: "message", data: "hello" }, { type: "ping" }]
 * ```
 */
export function decodeV3Payload(
  payload: string | Uint8Array,
  maxPackets: number = DEFAULT_DECODER_LIMITS.maxPayloadPackets,
): EnginePacket[] {
  if (typeof payload === "string") return decodeTextPayload(payload, maxPackets);
  if (payload instanceof Uint8Array) return decodeBinaryPayload(payload, maxPackets);
  throw new ProtocolError(
    ProtocolErrorCode.INVALID_MESSAGE,
    "polling payload is neither text nor binary",
  );
}

/**
 * Whether a v3 POST body is a binary payload: it starts with the header byte 0 or 1, where
 * a text payload starts with an ASCII digit.
 */
export function isV3BinaryPayload(body: Uint8Array): boolean {
  return body.length > 0 && body[0]! <= 1;
}

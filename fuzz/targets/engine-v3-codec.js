// Engine.IO v3 decoders (allowEIO3) on untrusted bytes: a long-polling body, as text
// (`<length>:<packet>` repeated) and as the XHR2 binary payload, and one WebSocket frame,
// text and binary (type byte first). The input is the body / frame as received.
//
// Checked: only ProtocolError (with a documented code) is ever thrown; every decoded packet
// is well-formed and within the packet limit; whatever decodes re-encodes (text and binary
// payload forms, WebSocket frame) and decodes to the same packets.
import { isDeepStrictEqual } from "node:util";
import {
  decodeV3Payload,
  decodeV3WebSocketFrame,
  ENGINE_PACKET_TYPES,
  encodeV3BinaryPayload,
  encodeV3TextPayload,
  encodeV3WebSocketPacket,
  isV3BinaryPayload,
  ProtocolError,
  ProtocolErrorCode,
} from "@switchboard/protocol";
import { check, expectError } from "../lib/check.js";

export const maxLen = 4096;
export const dictionary = [
  ":",
  "1:2",
  "6:4hello",
  "b4",
  "AQID",
  "==",
  "\u00e9",
  "\ud83d\ude00",
  "\u0000",
  "\u0001",
  "\u00ff",
  "9999999999999999:",
  '96:0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}',
];

const codes = new Set(Object.values(ProtocolErrorCode));
/** @param {unknown} err @param {string} where */
const expectProtocolError = (err, where) => expectError(err, ProtocolError, codes, where);

/** @param {import("@switchboard/protocol").EnginePacket} p @param {string} where */
function checkPacket(p, where) {
  check(ENGINE_PACKET_TYPES.includes(p.type), `${where}: unknown type ${p.type}`);
  const d = p.data;
  if (d === undefined) return;
  if (typeof d !== "string") {
    check(p.type === "message", `${where}: binary data on a ${p.type} packet`);
    check(d instanceof Uint8Array, `${where}: data of a bad kind`);
  }
}

/** @param {import("@switchboard/protocol").EnginePacket[]} packets */
const comparable = (packets) =>
  packets.map((p) => ({
    type: p.type,
    data: p.data instanceof Uint8Array ? new Uint8Array(p.data) : p.data,
  }));

/** Lone surrogates do not survive UTF-8 (U+FFFD), as on any UTF-8 transport. */
const wellFormed = (/** @type {import("@switchboard/protocol").EnginePacket[]} */ packets) =>
  packets.every((p) => typeof p.data !== "string" || p.data.isWellFormed());

/**
 * @param {string | Uint8Array} payload
 * @param {number} max
 * @param {string} where
 */
function payload(payload, max, where) {
  let packets;
  try {
    packets = decodeV3Payload(payload, max);
  } catch (err) {
    expectProtocolError(err, where);
    return;
  }
  check(packets.length >= 1 && packets.length <= max, `${where}: ${packets.length} packets`);
  for (const p of packets) checkPacket(p, where);
  const again = decodeV3Payload(encodeV3TextPayload(packets), max);
  check(isDeepStrictEqual(comparable(again), comparable(packets)), `${where}: text round trip`);
  if (wellFormed(packets)) {
    const binary = encodeV3BinaryPayload(packets);
    check(isV3BinaryPayload(binary), `${where}: a binary payload not recognised as one`);
    const back = decodeV3Payload(binary, max);
    check(isDeepStrictEqual(comparable(back), comparable(packets)), `${where}: binary round trip`);
  }
}

/** @param {Buffer} data */
export function fuzz(data) {
  const text = data.toString("utf8");
  for (const max of [256, 3]) {
    payload(text, max, "decodeV3Payload(text)");
    payload(new Uint8Array(data), max, "decodeV3Payload(bytes)");
  }
  for (const frame of [text, new Uint8Array(data)]) {
    let packet;
    try {
      packet = decodeV3WebSocketFrame(frame);
    } catch (err) {
      expectProtocolError(err, "decodeV3WebSocketFrame");
      continue;
    }
    checkPacket(packet, "decodeV3WebSocketFrame");
    if (!wellFormed([packet])) continue;
    const again = decodeV3WebSocketFrame(encodeV3WebSocketPacket(packet));
    check(
      isDeepStrictEqual(comparable([again]), comparable([packet])),
      "a decoded frame re-encodes to a different packet",
    );
  }
}

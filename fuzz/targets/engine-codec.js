// Engine.IO v4 decoders on untrusted bytes: one packet (a WebSocket text or binary frame),
// a long-polling payload (packets joined by \x1e, `b` + base64 for binary) and the open
// packet's handshake JSON. The input is the frame / body as received.
//
// Checked: only ProtocolError (with a documented code) is ever thrown; every decoded packet
// is well-formed; a payload decodes to what its segments decode to one by one; whatever
// decodes re-encodes and decodes to the same packets.
import { isDeepStrictEqual } from "node:util";
import {
  decodeEnginePacket,
  decodePayload,
  ENGINE_PACKET_TYPES,
  encodePayload,
  encodePollingPacket,
  ProtocolError,
  ProtocolErrorCode,
  parseHandshake,
  RECORD_SEPARATOR,
} from "@switchboard/protocol";
import { check, expectError } from "../lib/check.js";

export const maxLen = 4096;
export const dictionary = [
  RECORD_SEPARATOR,
  "4",
  "b",
  "2probe",
  "3probe",
  "5",
  "6",
  "==",
  "AQID",
  '0{"sid":"a","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}',
  '"pingInterval":',
  '"upgrades":[]',
  "\u00e9",
  "\ud83d\ude00",
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
    check(d instanceof Uint8Array || d instanceof ArrayBuffer, `${where}: data of a bad kind`);
  }
}

/** @param {unknown} d */
const normal = (d) =>
  d instanceof ArrayBuffer ? new Uint8Array(d) : d instanceof Uint8Array ? new Uint8Array(d) : d;
/** @param {import("@switchboard/protocol").EnginePacket[]} packets */
const comparable = (packets) => packets.map((p) => ({ type: p.type, data: normal(p.data) }));

/** @param {Buffer} data */
export function fuzz(data) {
  const text = data.toString("utf8");

  // One frame, text and binary.
  let packet;
  try {
    packet = decodeEnginePacket(text);
  } catch (err) {
    expectProtocolError(err, "decodeEnginePacket(text)");
  }
  if (packet !== undefined) {
    checkPacket(packet, "decodeEnginePacket");
    const again = decodeEnginePacket(encodePollingPacket(packet));
    check(
      isDeepStrictEqual(comparable([again]), comparable([packet])),
      "a decoded packet re-encodes to a different packet",
    );
    if (packet.type === "open") {
      try {
        const h = parseHandshake(packet.data);
        check(typeof h.sid === "string" && Array.isArray(h.upgrades), "handshake fields");
        check(
          Number.isFinite(h.pingInterval) && Number.isFinite(h.maxPayload),
          "handshake numbers",
        );
      } catch (err) {
        expectProtocolError(err, "parseHandshake");
      }
    }
  }
  const binary = decodeEnginePacket(data);
  check(binary.type === "message" && binary.data instanceof Uint8Array, "binary frame");

  // A polling payload, with the default packet limit and a tight one.
  for (const max of [256, 3]) {
    let packets;
    try {
      packets = decodePayload(text, max);
    } catch (err) {
      expectProtocolError(err, "decodePayload");
      const segments = text.split(RECORD_SEPARATOR);
      if (/** @type {ProtocolError} */ (err).code !== ProtocolErrorCode.TOO_MANY_PACKETS) {
        check(segments.length <= max, "too many packets not reported as such");
        // some segment must be bad on its own
        let bad = false;
        for (const s of segments) {
          try {
            decodeEnginePacket(s);
          } catch {
            bad = true;
          }
        }
        check(bad, "payload refused though every segment decodes");
      } else {
        check(segments.length > max, "TOO_MANY_PACKETS within the limit");
      }
      continue;
    }
    check(packets.length >= 1 && packets.length <= max, `payload of ${packets.length} packets`);
    const segments = text.split(RECORD_SEPARATOR);
    check(segments.length === packets.length, "payload packet count differs from its segments");
    for (let i = 0; i < packets.length; i++) {
      const p = /** @type {import("@switchboard/protocol").EnginePacket} */ (packets[i]);
      checkPacket(p, "decodePayload");
      check(
        isDeepStrictEqual(
          comparable([p]),
          comparable([decodeEnginePacket(/** @type {string} */ (segments[i]))]),
        ),
        "a payload packet differs from its segment decoded alone",
      );
    }
    const again = decodePayload(encodePayload(packets), max);
    check(isDeepStrictEqual(comparable(again), comparable(packets)), "payload round trip");
  }
}

// Socket.IO v5 decoder on untrusted engine messages, binary attachments included. The input
// is a sequence of messages separated by \x1e: a message starting with byte 0xff (never the
// start of UTF-8 text) is a binary message of the bytes after it, any other is text.
// Every message goes to one decoder with the default limits and one with tight limits, as
// a connection's messages would.
//
// Checked: only ProtocolError (with a documented code) is ever thrown, and the decoder stays
// usable after one; every packet is well-formed for its type, within the limits, with each
// placeholder replaced by its attachment; and what a peer sent can be sent on: it encodes
// without error (README, "Limits") and decodes again to the same packet.
import { isDeepStrictEqual } from "node:util";
import {
  DEFAULT_DECODER_LIMITS,
  encodeSocketPacket,
  ProtocolError,
  ProtocolErrorCode,
  SocketPacketDecoder,
} from "@switchboard/protocol";
import { check, expectError } from "../lib/check.js";

export const maxLen = 8192;
export const dictionary = [
  "\x1e",
  "\x1e\xff",
  '{"_placeholder":true,"num":0}',
  '{"_placeholder":true,"num":1}',
  '"_placeholder"',
  '"num":',
  "51-",
  "52-",
  "61-",
  "/chat,",
  "/,",
  '["',
  '"]',
  "[[[[[[[[",
  "]]]]]]]]",
  '{"__proto__":',
  '"toJSON"',
  "9007199254740991",
  "\\u0000",
  "\\ud800",
];

const codes = new Set(Object.values(ProtocolErrorCode));
const TIGHT = { maxAttachments: 2, maxNamespaceLength: 8, maxEventNameLength: 8 };

/** @param {unknown} v @returns {v is Record<string, unknown>} */
const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * JSON-like text of decoded data with binary spelled out: the comparison of a packet with
 * its re-encoded and re-decoded self (-0 and 0 compare equal, as JSON has no -0).
 *
 * @param {unknown} value
 * @returns {unknown}
 */
function plain(value) {
  if (Object.is(value, -0)) return 0;
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
    return {
      $binary: Buffer.from(value instanceof ArrayBuffer ? new Uint8Array(value) : value).toString(
        "hex",
      ),
    };
  }
  if (Array.isArray(value)) return value.map(plain);
  if (isObject(value)) {
    /** @type {Record<string, unknown>} */
    const out = {};
    for (const k of Object.keys(value)) {
      Object.defineProperty(out, k, { value: plain(value[k]), enumerable: true, writable: true });
    }
    return out;
  }
  return value;
}

/** Counts binary values and leftover placeholders in decoded data. @param {unknown} value */
function scan(value, found = { binary: 0, placeholders: 0 }) {
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) found.binary++;
  else if (Array.isArray(value)) for (const v of value) scan(v, found);
  else if (isObject(value)) {
    if (Object.hasOwn(value, "_placeholder")) found.placeholders++;
    for (const k of Object.keys(value)) scan(value[k], found);
  }
  return found;
}

/**
 * @param {import("@switchboard/protocol").SocketPacket} packet
 * @param {typeof DEFAULT_DECODER_LIMITS} limits
 * @param {number} attachments the count its header declared
 */
function checkPacket(packet, limits, attachments) {
  const { type, nsp } = packet;
  check(Number.isInteger(type) && type >= 0 && type <= 6, `type ${type}`);
  check(typeof nsp === "string" && nsp.startsWith("/"), `namespace ${JSON.stringify(nsp)}`);
  check(nsp.length <= limits.maxNamespaceLength, "namespace over the limit");
  const id = /** @type {{ id?: unknown }} */ (packet).id;
  if (id !== undefined) {
    check(typeof id === "number" && Number.isSafeInteger(id) && id >= 0, `ack id ${String(id)}`);
    check(type === 2 || type === 3 || type === 5 || type === 6, `ack id on type ${type}`);
  }
  const data = /** @type {{ data?: unknown }} */ (packet).data;
  if (type === 2 || type === 5) {
    check(Array.isArray(data) && typeof data[0] === "string", "event data");
    check(
      /** @type {string} */ (data[0]).length <= limits.maxEventNameLength,
      "event name over the limit",
    );
  } else if (type === 3 || type === 6) {
    check(Array.isArray(data) && id !== undefined, "ack data and id");
  } else if (type === 0) {
    check(data === undefined || isObject(data), "connect data");
  } else if (type === 1) {
    check(data === undefined, "disconnect data");
  } else {
    check(typeof data === "string" || isObject(data), "connect_error data");
  }
  const found = scan(data);
  if (type === 5 || type === 6) {
    check(found.placeholders === 0, "a placeholder left in a binary packet");
    check(attachments <= limits.maxAttachments, "more attachments than the limit");
  } else {
    check(found.binary === 0, "binary data in a text packet");
  }
}

/**
 * A packet a peer sent is sent on (relay, ack echo): it must encode, and decode the same.
 *
 * @param {import("@switchboard/protocol").SocketPacket} packet
 */
function checkRelay(packet) {
  const messages = encodeSocketPacket(packet);
  const decoder = new SocketPacketDecoder();
  let again = null;
  for (const m of messages) again = decoder.add(m);
  check(again !== null, "a re-encoded packet does not decode to a packet");
  // A binary type without binary data is sent as the text type, and the other way round.
  const kind = (/** @type {number} */ t) => (t === 5 ? 2 : t === 6 ? 3 : t);
  check(
    kind(again.type) === kind(packet.type),
    `relay changed type ${packet.type} to ${again.type}`,
  );
  const a = { ...again, type: kind(again.type) };
  const b = { ...packet, type: kind(packet.type) };
  check(isDeepStrictEqual(plain(a), plain(b)), "relay changed the packet");
}

/** @param {Buffer} data */
export function fuzz(data) {
  const decoders = [
    { decoder: new SocketPacketDecoder(), limits: DEFAULT_DECODER_LIMITS, declared: 0 },
    {
      decoder: new SocketPacketDecoder(TIGHT),
      limits: { ...DEFAULT_DECODER_LIMITS, ...TIGHT },
      declared: 0,
    },
  ];
  let start = 0;
  while (start <= data.length) {
    let end = data.indexOf(0x1e, start);
    if (end === -1) end = data.length;
    const raw = data.subarray(start, end);
    start = end + 1;
    const message = raw[0] === 0xff ? new Uint8Array(raw.subarray(1)) : raw.toString("utf8");
    for (const d of decoders) {
      let packet;
      try {
        packet = d.decoder.add(message);
      } catch (err) {
        expectError(err, ProtocolError, codes, "SocketPacketDecoder.add");
        check(!d.decoder.awaitingAttachments, "still awaiting attachments after an error");
        continue;
      }
      if (typeof message === "string") {
        const m = /^[56](\d+)-/.exec(message);
        d.declared = m ? Number(m[1]) : 0;
      }
      if (packet === null) {
        check(d.decoder.awaitingAttachments, "null result while not awaiting attachments");
        continue;
      }
      check(!d.decoder.awaitingAttachments, "a packet out while still awaiting attachments");
      checkPacket(packet, d.limits, d.declared);
      checkRelay(packet);
    }
  }
}

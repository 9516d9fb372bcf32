import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProtocolError, ProtocolErrorCode } from "../errors.js";
import { ENGINE_PACKET_TYPES, type EnginePacket } from "./packet.js";
import { decodeUtf8, encodeUtf8 } from "./utf8.js";
import {
  decodeV3Payload,
  decodeV3WebSocketFrame,
  encodeV3BinaryPayload,
  encodeV3TextPayload,
  encodeV3WebSocketPacket,
  isV3BinaryPayload,
} from "./v3.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  return undefined;
}

const bytes = (...values: number[]) => new Uint8Array(values);

describe("Engine.IO v3 payloads: the spec's examples", () => {
  it("open packet: 96 characters", () => {
    const open =
      '0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}';
    expect(encodeV3TextPayload([{ type: "open", data: open.slice(1) }])).toBe(`96:${open}`);
    expect(decodeV3Payload(`96:${open}`)).toEqual([{ type: "open", data: open.slice(1) }]);
  });

  it("two messages: 6:4hello6:4world", () => {
    const packets: EnginePacket[] = [
      { type: "message", data: "hello" },
      { type: "message", data: "world" },
    ];
    expect(encodeV3TextPayload(packets)).toBe("6:4hello6:4world");
    expect(decodeV3Payload("6:4hello6:4world")).toEqual(packets);
  });

  it("lengths count characters, not bytes: 6:4hello2:4€", () => {
    const packets: EnginePacket[] = [
      { type: "message", data: "hello" },
      { type: "message", data: "€" },
    ];
    expect(encodeV3TextPayload(packets)).toBe("6:4hello2:4€");
    expect(decodeV3Payload("6:4hello2:4€")).toEqual(packets);
  });

  it("a UTF-16 surrogate pair counts as two characters (as JavaScript peers count)", () => {
    expect(encodeV3TextPayload([{ type: "message", data: "😀" }])).toBe("3:4😀");
    expect(decodeV3Payload("3:4😀")).toEqual([{ type: "message", data: "😀" }]);
  });

  it("binary in a text payload: 2:4€10:b4AQIDBA==", () => {
    const wire = "2:4€10:b4AQIDBA==";
    expect(
      encodeV3TextPayload([
        { type: "message", data: "€" },
        { type: "message", data: bytes(1, 2, 3, 4) },
      ]),
    ).toBe(wire);
    expect(decodeV3Payload(wire)).toEqual([
      { type: "message", data: "€" },
      { type: "message", data: bytes(1, 2, 3, 4) },
    ]);
  });

  it("binary payload: <00 04 ff 34 e2 82 ac 01 05 ff 04 01 02 03 04>", () => {
    // The spec's example writes the binary packet's length as 04, the bytes alone; its own
    // format definition and engine.io-parser 2.2 (socket.io-client 2.x's) count the type byte: 05.
    const wire = bytes(0, 4, 255, 0x34, 0xe2, 0x82, 0xac, 1, 5, 255, 4, 1, 2, 3, 4);
    const packets: EnginePacket[] = [
      { type: "message", data: "€" },
      { type: "message", data: bytes(1, 2, 3, 4) },
    ];
    expect(encodeV3BinaryPayload(packets)).toEqual(wire);
    expect(decodeV3Payload(wire)).toEqual(packets);
    expect(isV3BinaryPayload(wire)).toBe(true);
    expect(isV3BinaryPayload(bytes(0x36, 0x3a))).toBe(false);
  });

  it("binary payload lengths of several digits", () => {
    const data = new Uint8Array(300).fill(7);
    const wire = encodeV3BinaryPayload([
      { type: "message", data },
      { type: "ping", data: "probe" },
    ]);
    expect([...wire.subarray(0, 5)]).toEqual([1, 3, 0, 1, 255]);
    expect(decodeV3Payload(wire)).toEqual([
      { type: "message", data },
      { type: "ping", data: "probe" },
    ]);
  });
});

describe("Engine.IO v3 WebSocket frames", () => {
  it("binary messages carry the type byte 4 in front", () => {
    expect(encodeV3WebSocketPacket({ type: "message", data: bytes(1, 2) })).toEqual(bytes(4, 1, 2));
    expect(decodeV3WebSocketFrame(bytes(4, 1, 2))).toEqual({ type: "message", data: bytes(1, 2) });
    expect(decodeV3WebSocketFrame(bytes(4))).toEqual({ type: "message", data: bytes() });
  });

  it("text frames are as in v4; base64 frames carry the type after b", () => {
    expect(encodeV3WebSocketPacket({ type: "pong", data: "probe" })).toBe("3probe");
    expect(encodeV3WebSocketPacket({ type: "ping" })).toBe("2");
    expect(decodeV3WebSocketFrame("2")).toEqual({ type: "ping" });
    expect(decodeV3WebSocketFrame("4hi")).toEqual({ type: "message", data: "hi" });
    expect(decodeV3WebSocketFrame("b4AQI=")).toEqual({ type: "message", data: bytes(1, 2) });
  });

  it.each<[string, Uint8Array | string, string]>([
    ["empty binary frame", bytes(), ProtocolErrorCode.EMPTY_PACKET],
    ["binary ping", bytes(2, 1), ProtocolErrorCode.UNKNOWN_ENGINE_PACKET_TYPE],
    ["ASCII type byte", bytes(0x34, 1), ProtocolErrorCode.UNKNOWN_ENGINE_PACKET_TYPE],
    ["base64 ping", "b2AQI=", ProtocolErrorCode.UNKNOWN_ENGINE_PACKET_TYPE],
    ["base64 without type", "b", ProtocolErrorCode.UNKNOWN_ENGINE_PACKET_TYPE],
    ["bad base64", "b4A", ProtocolErrorCode.INVALID_BASE64],
    ["empty text", "", ProtocolErrorCode.EMPTY_PACKET],
    ["unknown type", "9", ProtocolErrorCode.UNKNOWN_ENGINE_PACKET_TYPE],
  ])("refuses a frame: %s", (_name, frame, code) => {
    expect(codeOf(() => decodeV3WebSocketFrame(frame))).toBe(code);
  });
});

describe("Engine.IO v3 payloads: malformed input", () => {
  const FRAMING = ProtocolErrorCode.INVALID_PAYLOAD_FRAMING;
  it.each<[string, string, string]>([
    ["empty payload", "", ProtocolErrorCode.EMPTY_PACKET],
    ["no colon", "4hello", FRAMING],
    ["digits only", "12345", FRAMING],
    ["empty prefix", ":4hello", FRAMING],
    ["sign in the prefix", "-1:4", FRAMING],
    ["plus in the prefix", "+2:4a", FRAMING],
    ["space in the prefix", " 2:4a", FRAMING],
    ["hex prefix", "0x2:4a", FRAMING],
    ["zero length", "0:", ProtocolErrorCode.EMPTY_PACKET],
    ["zero length between packets", "2:4a0:2:4b", ProtocolErrorCode.EMPTY_PACKET],
    ["length past the end", "7:4hello", FRAMING],
    ["huge length", "99999999999:4", FRAMING],
    ["17 digits (leading zeros)", `${"0".repeat(16)}2:4a`, FRAMING],
    ["a length beyond 2^53", "9007199254740993:4", FRAMING],
    ["trailing garbage", "2:4ax", FRAMING],
    ["trailing digits", "2:4a3", FRAMING],
    ["v4 framing", "4hello\x1e4world", FRAMING],
    ["unknown packet type", "1:9", ProtocolErrorCode.UNKNOWN_ENGINE_PACKET_TYPE],
    ["bad base64 packet", "3:b4A", ProtocolErrorCode.INVALID_BASE64],
    ["v4 base64 (no type)", "5:bAQI=", ProtocolErrorCode.UNKNOWN_ENGINE_PACKET_TYPE],
  ])("text: %s", (_name, payload, code) => {
    expect(codeOf(() => decodeV3Payload(payload))).toBe(code);
  });

  it("16 digits with leading zeros are still a length", () => {
    expect(decodeV3Payload(`${"0".repeat(15)}2:4a`)).toEqual([{ type: "message", data: "a" }]);
  });

  it.each<[string, Uint8Array, string]>([
    ["header byte 2", bytes(2, 1, 255, 0x36), FRAMING],
    ["header byte is an ASCII digit inside", bytes(0, 1, 255, 0x36, 0x31), FRAMING],
    ["no separator", bytes(0, 1, 2, 3), FRAMING],
    ["digit byte above 9", bytes(0, 10, 255, 0x36), FRAMING],
    ["empty prefix", bytes(0, 255, 0x36), FRAMING],
    ["zero length", bytes(0, 0, 255), ProtocolErrorCode.EMPTY_PACKET],
    ["length past the end", bytes(1, 9, 255, 4, 1), FRAMING],
    ["17 digits", bytes(0, ...new Array(17).fill(0), 255, 0x36), FRAMING],
    ["header without prefix at the end", bytes(0, 1, 255, 0x36, 1), FRAMING],
    [
      "binary packet of type ping",
      bytes(1, 2, 255, 2, 1),
      ProtocolErrorCode.UNKNOWN_ENGINE_PACKET_TYPE,
    ],
    [
      "text packet of unknown type",
      bytes(0, 1, 255, 0x39),
      ProtocolErrorCode.UNKNOWN_ENGINE_PACKET_TYPE,
    ],
  ])("binary: %s", (_name, payload, code) => {
    expect(codeOf(() => decodeV3Payload(payload))).toBe(code);
  });

  it("counts packets against maxPackets, text and binary", () => {
    expect(decodeV3Payload("1:21:2", 2)).toHaveLength(2);
    expect(codeOf(() => decodeV3Payload("1:21:21:2", 2))).toBe(ProtocolErrorCode.TOO_MANY_PACKETS);
    const three = encodeV3BinaryPayload([{ type: "ping" }, { type: "ping" }, { type: "ping" }]);
    expect(codeOf(() => decodeV3Payload(three, 2))).toBe(ProtocolErrorCode.TOO_MANY_PACKETS);
  });

  it("refuses a payload that is neither text nor bytes", () => {
    expect(codeOf(() => decodeV3Payload(42 as unknown as string))).toBe(
      ProtocolErrorCode.INVALID_MESSAGE,
    );
  });

  it("malformed UTF-8 in a binary payload's text packet decodes leniently (U+FFFD)", () => {
    expect(decodeV3Payload(bytes(0, 3, 255, 0x34, 0xff, 0x61))).toEqual([
      { type: "message", data: "\ufffda" },
    ]);
  });

  it("never throws anything but a ProtocolError on random input", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.stringMatching(/^[0-9:b4A-Za-z]{0,30}$/),
          fc.uint8Array({ maxLength: 40 }),
          fc
            .array(fc.constantFrom(0, 1, 2, 4, 9, 255, 0x34), { maxLength: 30 })
            .map((a) => new Uint8Array(a)),
        ),
        (payload) => {
          try {
            decodeV3Payload(payload);
          } catch (err) {
            expect(err).toBeInstanceOf(ProtocolError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("Engine.IO v3 payloads: round trips", () => {
  const text = fc.string({ maxLength: 30 });
  const packet: fc.Arbitrary<EnginePacket> = fc.oneof(
    fc.record({
      type: fc.constantFrom(...ENGINE_PACKET_TYPES),
      data: text.filter((s) => s !== ""),
    }),
    fc.record({ type: fc.constantFrom(...ENGINE_PACKET_TYPES) }),
    fc.record({ type: fc.constant("message" as const), data: fc.uint8Array({ maxLength: 40 }) }),
  );
  const normalised = (p: EnginePacket): EnginePacket =>
    p.type === "message" ? { type: "message", data: p.data ?? "" } : p;

  it("text and binary payloads decode to what was encoded", () => {
    fc.assert(
      fc.property(fc.array(packet, { minLength: 1, maxLength: 8 }), (packets) => {
        const expected = packets.map(normalised);
        expect(decodeV3Payload(encodeV3TextPayload(packets))).toEqual(expected);
        // Lone surrogates do not survive UTF-8 (U+FFFD), as with any UTF-8 transport.
        const wellFormed = packets.every(
          (p) => typeof p.data !== "string" || decodeUtf8(encodeUtf8(p.data)) === p.data,
        );
        if (wellFormed) expect(decodeV3Payload(encodeV3BinaryPayload(packets))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("UTF-8 matches Node's encoder and decoder", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 30 }), (s) => {
        expect(Buffer.from(encodeUtf8(s))).toEqual(Buffer.from(s, "utf8"));
        expect(decodeUtf8(Buffer.from(s, "utf8"))).toBe(s);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 30 }), (b) => {
        expect(decodeUtf8(b)).toBe(new TextDecoder().decode(b));
      }),
      { numRuns: 1000 },
    );
    expect(Buffer.from(encodeUtf8("a\ud800b"))).toEqual(Buffer.from("a\ud800b", "utf8"));
  });
});

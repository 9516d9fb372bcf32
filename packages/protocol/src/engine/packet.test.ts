import { describe, expect, it } from "vitest";
import { ProtocolError, ProtocolErrorCode } from "../errors.js";
import {
  decodeEnginePacket,
  type EnginePacket,
  encodeEnginePacket,
  encodePollingPacket,
} from "./packet.js";
import { decodePayload, encodePayload } from "./payload.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  return undefined;
}

describe("engine packets", () => {
  it.each<[EnginePacket, string]>([
    [
      {
        type: "open",
        data: '{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}',
      },
      '0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}',
    ],
    [{ type: "close" }, "1"],
    [{ type: "ping" }, "2"],
    [{ type: "ping", data: "probe" }, "2probe"],
    [{ type: "pong", data: "probe" }, "3probe"],
    [{ type: "message", data: "hello" }, "4hello"],
    [{ type: "message", data: "" }, "4"],
    [{ type: "upgrade" }, "5"],
    [{ type: "noop" }, "6"],
  ])("round-trips %j as %j", (packet, wire) => {
    expect(encodeEnginePacket(packet)).toBe(wire);
    expect(encodePollingPacket(packet)).toBe(wire);
    expect(decodeEnginePacket(wire)).toEqual(packet);
  });

  it("decodes a bare message as empty text", () => {
    expect(decodeEnginePacket("4")).toEqual({ type: "message", data: "" });
  });

  it("sends binary messages as raw bytes over WebSocket and as b+base64 in polling", () => {
    const bytes = new Uint8Array([1, 2, 3, 4]);
    expect(encodeEnginePacket({ type: "message", data: bytes })).toBe(bytes);
    expect(encodePollingPacket({ type: "message", data: bytes })).toBe("bAQIDBA==");
    expect(encodePollingPacket({ type: "message", data: bytes.buffer })).toBe("bAQIDBA==");
    expect(decodeEnginePacket(bytes)).toEqual({ type: "message", data: bytes });
    expect(decodeEnginePacket(bytes.buffer)).toEqual({ type: "message", data: bytes.buffer });
    expect(decodeEnginePacket("bAQIDBA==")).toEqual({ type: "message", data: bytes });
  });

  it("rejects binary data on a non-message packet when encoding", () => {
    const packet = { type: "ping", data: new Uint8Array(1) } as const;
    expect(codeOf(() => encodeEnginePacket(packet))).toBe(ProtocolErrorCode.INVALID_PACKET);
    expect(codeOf(() => encodePollingPacket(packet))).toBe(ProtocolErrorCode.INVALID_PACKET);
  });

  it.each([
    ["", ProtocolErrorCode.EMPTY_PACKET],
    ["7", ProtocolErrorCode.UNKNOWN_ENGINE_PACKET_TYPE],
    ["x4", ProtocolErrorCode.UNKNOWN_ENGINE_PACKET_TYPE],
    ["/", ProtocolErrorCode.UNKNOWN_ENGINE_PACKET_TYPE],
    ["b***", ProtocolErrorCode.INVALID_BASE64],
    ["bAQID", undefined],
  ])("decodeEnginePacket(%j) -> %s", (frame, code) => {
    expect(codeOf(() => decodeEnginePacket(frame))).toBe(code);
  });

  it("rejects frames that are neither text nor binary", () => {
    expect(codeOf(() => decodeEnginePacket(42 as unknown as string))).toBe(
      ProtocolErrorCode.INVALID_MESSAGE,
    );
  });
});

describe("polling payloads", () => {
  it("joins packets with the record separator (spec example)", () => {
    const packets: EnginePacket[] = [
      { type: "message", data: "hello" },
      { type: "message", data: new Uint8Array([1, 2, 3, 4]) },
    ];
    expect(encodePayload(packets)).toBe("4hello\x1ebAQIDBA==");
    expect(decodePayload("4hello\x1ebAQIDBA==")).toEqual(packets);
    expect(decodePayload("2\x1e6\x1e4")).toEqual([
      { type: "ping" },
      { type: "noop" },
      { type: "message", data: "" },
    ]);
  });

  it("encodes a single packet without a separator", () => {
    expect(encodePayload([{ type: "noop" }])).toBe("6");
    expect(decodePayload("6")).toEqual([{ type: "noop" }]);
  });

  it("enforces maxPackets before decoding", () => {
    const payload = Array.from({ length: 5 }, () => "4x").join("\x1e");
    expect(decodePayload(payload, 5)).toHaveLength(5);
    expect(codeOf(() => decodePayload(payload, 4))).toBe(ProtocolErrorCode.TOO_MANY_PACKETS);
    const huge = Array.from({ length: 257 }, () => "2").join("\x1e");
    expect(codeOf(() => decodePayload(huge))).toBe(ProtocolErrorCode.TOO_MANY_PACKETS);
  });

  it.each([
    ["", ProtocolErrorCode.EMPTY_PACKET],
    ["4a\x1e", ProtocolErrorCode.EMPTY_PACKET],
    ["\x1e4a", ProtocolErrorCode.EMPTY_PACKET],
    ["4a\x1e\x1e4b", ProtocolErrorCode.EMPTY_PACKET],
    ["4a\x1e9", ProtocolErrorCode.UNKNOWN_ENGINE_PACKET_TYPE],
    ["4a\x1eb!", ProtocolErrorCode.INVALID_BASE64],
  ])("decodePayload(%j) -> %s", (payload, code) => {
    expect(codeOf(() => decodePayload(payload))).toBe(code);
  });
});

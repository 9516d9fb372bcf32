import { describe, expect, it } from "vitest";
import * as protocol from "./index.js";
import { DEFAULT_DECODER_LIMITS, resolveDecoderLimits } from "./limits.js";

describe("package entry", () => {
  it("exports every runtime name of the contract (docs/contracts.md)", () => {
    for (const name of [
      "ProtocolErrorCode",
      "ProtocolError",
      "DEFAULT_DECODER_LIMITS",
      "encodeEnginePacket",
      "encodePollingPacket",
      "encodePayload",
      "decodeEnginePacket",
      "decodePayload",
      "encodeBase64",
      "decodeBase64",
      "SocketPacketType",
      "encodeSocketPacket",
      "SocketPacketDecoder",
      "isBinary",
      "hasBinary",
      "parseHandshake",
      "encodeConnectPacket",
      "encodeDisconnectPacket",
      "encodeConnectErrorPacket",
      "RESERVED_EVENTS",
    ]) {
      expect(protocol, name).toHaveProperty(name);
    }
  });

  it("has stable, unique SB_ERR_ codes", () => {
    const codes = Object.values(protocol.ProtocolErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^SB_ERR_[A-Z0-9_]+$/);
  });

  it("numbers socket packet types as the spec does", () => {
    expect(protocol.SocketPacketType).toEqual({
      CONNECT: 0,
      DISCONNECT: 1,
      EVENT: 2,
      ACK: 3,
      CONNECT_ERROR: 4,
      BINARY_EVENT: 5,
      BINARY_ACK: 6,
    });
  });
});

describe("decoder limits", () => {
  it("documents its defaults", () => {
    expect(DEFAULT_DECODER_LIMITS).toEqual({
      maxAttachments: 64,
      maxNamespaceLength: 256,
      maxEventNameLength: 256,
      maxPayloadPackets: 256,
    });
    expect(Object.isFrozen(DEFAULT_DECODER_LIMITS)).toBe(true);
  });

  it("merges overrides and rejects invalid values with TypeError", () => {
    expect(resolveDecoderLimits()).toBe(DEFAULT_DECODER_LIMITS);
    // A resolved object is shared, not copied again (one per server, not per connection).
    const resolved = resolveDecoderLimits({ maxAttachments: 3 });
    expect(resolveDecoderLimits(resolved)).toBe(resolved);
    expect(resolveDecoderLimits({ ...resolved })).not.toBe(resolved);
    expect(resolveDecoderLimits({ maxAttachments: 2, maxEventNameLength: Infinity })).toEqual({
      ...DEFAULT_DECODER_LIMITS,
      maxAttachments: 2,
      maxEventNameLength: Infinity,
    });
    expect(() => resolveDecoderLimits({ maxAttachments: -1 })).toThrow(TypeError);
    expect(() => resolveDecoderLimits({ maxNamespaceLength: Number.NaN })).toThrow(TypeError);
    expect(() => resolveDecoderLimits({ maxPayloadPackets: "3" as unknown as number })).toThrow(
      TypeError,
    );
  });
});

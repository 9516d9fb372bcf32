import { describe, expect, it } from "vitest";
import { ProtocolError, ProtocolErrorCode } from "../errors.js";
import { parseHandshake } from "./handshake.js";
import { decodeEnginePacket } from "./packet.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  return undefined;
}

describe("parseHandshake", () => {
  it("parses the open packet of the spec's sample session", () => {
    const packet = decodeEnginePacket(
      '0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000}',
    );
    expect(packet.type).toBe("open");
    expect(parseHandshake(packet.data)).toEqual({
      sid: "lv_VI97HAXpY6yYWAAAC",
      upgrades: ["websocket"],
      pingInterval: 25000,
      pingTimeout: 5000,
      maxPayload: 1000000,
    });
  });

  it("ignores extra fields", () => {
    expect(
      parseHandshake(
        '{"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":3,"extra":true}',
      ),
    ).toEqual({ sid: "a", upgrades: [], pingInterval: 1, pingTimeout: 2, maxPayload: 3 });
  });

  it("accepts the open packet of servers older than engine.io 6.1 (no maxPayload): 0, no announced limit", () => {
    // As python-engineio 4.3 (Debian's, under Flask-SocketIO 5.3) sends it.
    expect(
      parseHandshake(
        '{"sid": "a1", "upgrades": ["websocket"], "pingTimeout": 20000, "pingInterval": 25000}',
      ),
    ).toEqual({
      sid: "a1",
      upgrades: ["websocket"],
      pingInterval: 25000,
      pingTimeout: 20000,
      maxPayload: 0,
    });
  });

  it.each([
    ["no data", undefined],
    ["binary data", new Uint8Array(1)],
    ["bad JSON", "{"],
    ["an array", "[]"],
    ["null", "null"],
    ["missing sid", '{"upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":3}'],
    ["empty sid", '{"sid":"","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":3}'],
    [
      "upgrades not strings",
      '{"sid":"a","upgrades":[1],"pingInterval":1,"pingTimeout":2,"maxPayload":3}',
    ],
    [
      "negative pingInterval",
      '{"sid":"a","upgrades":[],"pingInterval":-1,"pingTimeout":2,"maxPayload":3}',
    ],
    [
      "string pingTimeout",
      '{"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":"2","maxPayload":3}',
    ],
    [
      "a string maxPayload",
      '{"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":"3"}',
    ],
    [
      "a negative maxPayload",
      '{"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":-1}',
    ],
  ])("rejects %s", (_, data) => {
    expect(codeOf(() => parseHandshake(data))).toBe(ProtocolErrorCode.INVALID_HANDSHAKE);
  });
});

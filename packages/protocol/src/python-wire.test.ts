import { describe, expect, it } from "vitest";
import { decodeBase64 } from "./engine/base64.js";
import { parseHandshake } from "./engine/handshake.js";
import { decodeEnginePacket } from "./engine/packet.js";
import { decodePayload } from "./engine/payload.js";
import { ProtocolError, ProtocolErrorCode } from "./errors.js";
import { SocketPacketDecoder } from "./socket/decoder.js";
import type { SocketPacket } from "./socket/packet-type.js";

/**
 * The wire forms of python-socketio 5.7.2 and python-engineio 4.3.4 (Debian 12's, under
 * Flask-SocketIO 5.3.2): each literal below is what their own encoders (`Packet.encode()`,
 * `Payload.encode()`) produce, or, for the spacing and key-order variants, what a custom
 * `json=` module passed to them produces. All of it is valid input and must decode; what
 * Python's `json` writes that is not JSON (`NaN`) stays refused.
 */

function decodeAll(messages: (string | Uint8Array)[]): SocketPacket | null {
  const decoder = new SocketPacketDecoder();
  let result: SocketPacket | null = null;
  for (const message of messages) result = decoder.add(message);
  return result;
}

const bytes = (...values: number[]) => new Uint8Array(values);

describe("python-socketio 5.7 packets", () => {
  it.each<[string, string, SocketPacket]>([
    ["client CONNECT to /", "0", { type: 0, nsp: "/" }],
    ["client CONNECT, no auth", "0/chat,", { type: 0, nsp: "/chat" }],
    [
      "client CONNECT with auth (no pid: python-socketio has no state recovery)",
      '0/chat,{"token":"x","n":1}',
      { type: 0, nsp: "/chat", data: { token: "x", n: 1 } },
    ],
    ["server CONNECT answer", '0{"sid":"abc"}', { type: 0, nsp: "/", data: { sid: "abc" } }],
    [
      "ConnectionRefusedError(msg, data)",
      '4/p,{"message":"no","data":{"reason":"x"}}',
      { type: 4, nsp: "/p", data: { message: "no", data: { reason: "x" } } },
    ],
    [
      "ConnectionRefusedError(msg, a, b): data is a list",
      '4{"message":"no","data":[1,2]}',
      { type: 4, nsp: "/", data: { message: "no", data: [1, 2] } },
    ],
    [
      "CONNECT_ERROR for an unknown namespace: a string",
      '4/nowhere,"Unable to connect"',
      { type: 4, nsp: "/nowhere", data: "Unable to connect" },
    ],
    ["DISCONNECT of a namespace", "1/chat,", { type: 1, nsp: "/chat" }],
    [
      "an EVENT with \\u escapes (json.dumps' ensure_ascii) and 2**53",
      '2["msg","h\\u00e9llo \\u2713 \\ud83d\\ude00",{"\\u00fc":null,"t":true,"f":1.5,"big":9007199254740992}]',
      {
        type: 2,
        nsp: "/",
        data: ["msg", "héllo ✓ 😀", { ü: null, t: true, f: 1.5, big: 9007199254740992 }],
      },
    ],
    [
      "an EVENT with an ack id in a namespace",
      '2/chat,7["q",1]',
      { type: 2, nsp: "/chat", data: ["q", 1], id: 7 },
    ],
    ["an ACK of a handler returning None", "31[]", { type: 3, nsp: "/", data: [], id: 1 }],
    [
      "an ACK of a tuple",
      '3/chat,12["a",null]',
      { type: 3, nsp: "/chat", data: ["a", null], id: 12 },
    ],
    [
      "JSON with spaces (a custom json module)",
      '2/chat,3["msg", {"a": [1, 2], "b": "x"}]',
      { type: 2, nsp: "/chat", data: ["msg", { a: [1, 2], b: "x" }], id: 3 },
    ],
    [
      "a CONNECT answer with spaces",
      '0/chat,{"sid": "abc"}',
      { type: 0, nsp: "/chat", data: { sid: "abc" } },
    ],
  ])("%s: %s", (_name, wire, packet) => {
    expect(decodeAll([wire])).toEqual(packet);
  });

  it("binary anywhere in nested data, attachments numbered in Python's traversal order, an empty one included", () => {
    // python-socketio: emit("bin", {"z": b"\x01", "a": [b"\x02", {"deep": b"\x03"}]}, b"")
    expect(
      decodeAll([
        '54-["bin",{"z":{"_placeholder":true,"num":0},"a":[{"_placeholder":true,"num":1},{"deep":{"_placeholder":true,"num":2}}]},{"_placeholder":true,"num":3}]',
        bytes(1),
        bytes(2),
        bytes(3),
        bytes(),
      ]),
    ).toEqual({
      type: 5,
      nsp: "/",
      data: ["bin", { z: bytes(1), a: [bytes(2), { deep: bytes(3) }] }, bytes()],
    });
  });

  it("a BINARY_ACK in a namespace", () => {
    expect(decodeAll(['61-/chat,3[{"_placeholder":true,"num":0}]', bytes(255, 0)])).toEqual({
      type: 6,
      nsp: "/chat",
      data: [bytes(255, 0)],
      id: 3,
    });
  });

  it("placeholders with their keys in another order (a json module that sorts or reorders)", () => {
    expect(decodeAll(['51-["b",{"num": 0, "_placeholder": true}]', bytes(97, 98, 99)])).toEqual({
      type: 5,
      nsp: "/",
      data: ["b", bytes(97, 98, 99)],
    });
  });

  it.each([
    ['2["x",NaN]', "float('nan')"],
    ['2["x",Infinity]', "float('inf')"],
    ['2["x",-Infinity]', "float('-inf')"],
  ])("stays strict on what Python's json writes but JSON is not: %s (%s)", (wire) => {
    let error: unknown;
    try {
      new SocketPacketDecoder().add(wire);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe(ProtocolErrorCode.INVALID_JSON);
  });
});

describe("python-engineio 4.3 packets", () => {
  it("the open packet: no maxPayload, pingInterval truncated to whole seconds (0 for 0.25 s)", () => {
    const open = decodeEnginePacket(
      '0{"sid":"x","upgrades":["websocket"],"pingTimeout":20000,"pingInterval":0}',
    );
    expect(open.type).toBe("open");
    expect(parseHandshake(open.data)).toEqual({
      sid: "x",
      upgrades: ["websocket"],
      pingInterval: 0,
      pingTimeout: 20000,
      maxPayload: 0,
    });
  });

  it("a polling payload mixing text, binary (b + base64), noop and ping", () => {
    expect(decodePayload('42["a"]\x1ebAQI=\x1e6\x1e2')).toEqual([
      { type: "message", data: '2["a"]' },
      { type: "message", data: bytes(1, 2) },
      { type: "noop" },
      { type: "ping" },
    ]);
  });

  it("an empty binary message over polling is a lone b", () => {
    expect(decodeEnginePacket("b")).toEqual({ type: "message", data: decodeBase64("") });
  });

  it("the probe answer and the noop sent during an upgrade", () => {
    expect(decodeEnginePacket("3probe")).toEqual({ type: "pong", data: "probe" });
    expect(decodeEnginePacket("6")).toEqual({ type: "noop" });
  });
});

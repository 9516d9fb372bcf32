import { describe, expect, it } from "vitest";
import { ProtocolError, ProtocolErrorCode } from "../errors.js";
import { MAX_ENCODE_DEPTH } from "../limits.js";
import { SocketPacketDecoder } from "./decoder.js";
import {
  encodeConnectErrorPacket,
  encodeConnectPacket,
  encodeDisconnectPacket,
  encodeSocketPacket,
} from "./encoder.js";
import type { SocketPacket } from "./packet-type.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  return undefined;
}

function decodeAll(messages: (string | Uint8Array | ArrayBuffer)[]): SocketPacket | null {
  const decoder = new SocketPacketDecoder();
  let result: SocketPacket | null = null;
  for (const message of messages) result = decoder.add(message);
  return result;
}

describe("socket packets: text round trips (spec examples)", () => {
  it.each<[SocketPacket, string]>([
    [{ type: 0, nsp: "/" }, "0"],
    [{ type: 0, nsp: "/admin" }, "0/admin,"],
    [{ type: 0, nsp: "/admin", data: { token: "123" } }, '0/admin,{"token":"123"}'],
    [
      { type: 0, nsp: "/", data: { sid: "oSO0OpakMV_3jnilAAAA" } },
      '0{"sid":"oSO0OpakMV_3jnilAAAA"}',
    ],
    [{ type: 1, nsp: "/" }, "1"],
    [{ type: 1, nsp: "/admin" }, "1/admin,"],
    [{ type: 2, nsp: "/", data: ["foo"] }, '2["foo"]'],
    [{ type: 2, nsp: "/admin", data: ["bar"] }, '2/admin,["bar"]'],
    [{ type: 2, nsp: "/", data: ["foo"], id: 12 }, '212["foo"]'],
    [
      { type: 2, nsp: "/admin", data: ["foo", 1, { a: null }], id: 0 },
      '2/admin,0["foo",1,{"a":null}]',
    ],
    [{ type: 3, nsp: "/admin", data: ["bar"], id: 13 }, '3/admin,13["bar"]'],
    [{ type: 3, nsp: "/", data: [], id: 1 }, "31[]"],
    [{ type: 4, nsp: "/", data: { message: "Not authorized" } }, '4{"message":"Not authorized"}'],
    [{ type: 4, nsp: "/admin", data: "Not authorized" }, '4/admin,"Not authorized"'],
  ])("%j <-> %s", (packet, wire) => {
    expect(encodeSocketPacket(packet)).toEqual([wire]);
    expect(decodeAll([wire])).toEqual(packet);
  });

  it("helper encoders", () => {
    expect(encodeConnectPacket("/")).toBe("0");
    expect(encodeConnectPacket("/admin", { token: "1" })).toBe('0/admin,{"token":"1"}');
    expect(encodeDisconnectPacket("/admin")).toBe("1/admin,");
    expect(encodeConnectErrorPacket("/", "Not authorized")).toBe('4{"message":"Not authorized"}');
    expect(encodeConnectErrorPacket("/x", "no", { code: 1 })).toBe(
      '4/x,{"message":"no","data":{"code":1}}',
    );
  });
});

describe("socket packets: binary", () => {
  it("encodes binary as BINARY_EVENT with placeholders and decodes it back", () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const encoded = encodeSocketPacket({ type: 2, nsp: "/", data: ["hello", bytes] });
    expect(encoded).toEqual(['51-["hello",{"_placeholder":true,"num":0}]', bytes]);
    expect(encoded[1]).toBe(bytes);
    expect(decodeAll(encoded)).toEqual({ type: 5, nsp: "/", data: ["hello", bytes] });
  });

  it("encodes BINARY_ACK with namespace and id", () => {
    const a = new Uint8Array([1]);
    const b = new ArrayBuffer(2);
    const encoded = encodeSocketPacket({ type: 3, nsp: "/admin", data: [{ x: [a, b] }], id: 7 });
    expect(encoded).toEqual([
      '62-/admin,7[{"x":[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]}]',
      a,
      b,
    ]);
    expect(decodeAll(encoded)).toEqual({ type: 6, nsp: "/admin", data: [{ x: [a, b] }], id: 7 });
  });

  it("waits for every attachment", () => {
    const decoder = new SocketPacketDecoder();
    expect(
      decoder.add('52-["a",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]'),
    ).toBeNull();
    expect(decoder.awaitingAttachments).toBe(true);
    expect(decoder.add(new Uint8Array([0]))).toBeNull();
    const packet = decoder.add(new Uint8Array([1]));
    expect(packet).toEqual({
      type: 5,
      nsp: "/",
      data: ["a", new Uint8Array([1]), new Uint8Array([0])],
    });
    expect(decoder.awaitingAttachments).toBe(false);
  });

  it("does not mutate the caller's data", () => {
    const bytes = new Uint8Array([9]);
    const args = ["up", { file: bytes, list: [bytes] }] as const;
    const data = [...args];
    encodeSocketPacket({ type: 2, nsp: "/", data });
    expect(data).toEqual(["up", { file: bytes, list: [bytes] }]);
    expect((data[1] as { file: unknown }).file).toBe(bytes);
  });
});

describe("socket packets: malformed input", () => {
  it.each([
    ["", ProtocolErrorCode.EMPTY_PACKET],
    ["7", ProtocolErrorCode.UNKNOWN_PACKET_TYPE],
    ["a", ProtocolErrorCode.UNKNOWN_PACKET_TYPE],
    ["2[", ProtocolErrorCode.INVALID_JSON],
    ["2{}", ProtocolErrorCode.INVALID_PAYLOAD],
    ["2[]", ProtocolErrorCode.INVALID_PAYLOAD],
    ["2", ProtocolErrorCode.INVALID_PAYLOAD],
    ["2[1]", ProtocolErrorCode.INVALID_EVENT_NAME],
    ["3[]", ProtocolErrorCode.INVALID_ACK_ID],
    ["31{}", ProtocolErrorCode.INVALID_PAYLOAD],
    ['212345678901234567["a"]', ProtocolErrorCode.INVALID_ACK_ID],
    ['29999999999999999["a"]', ProtocolErrorCode.INVALID_ACK_ID],
    ["0[]", ProtocolErrorCode.INVALID_PAYLOAD],
    ['0"x"', ProtocolErrorCode.INVALID_PAYLOAD],
    ["01", ProtocolErrorCode.INVALID_ACK_ID],
    ['1{"a":1}', ProtocolErrorCode.INVALID_PAYLOAD],
    ["4", ProtocolErrorCode.INVALID_PAYLOAD],
    ["41", ProtocolErrorCode.INVALID_ACK_ID],
    ["4[]", ProtocolErrorCode.INVALID_PAYLOAD],
    ['5["a"]', ProtocolErrorCode.INVALID_ATTACHMENT_COUNT],
    ['5-["a"]', ProtocolErrorCode.INVALID_ATTACHMENT_COUNT],
    ['51["a"]', ProtocolErrorCode.INVALID_ATTACHMENT_COUNT],
    ['51234567890-["a"]', ProtocolErrorCode.INVALID_ATTACHMENT_COUNT],
    ['565-["a"]', ProtocolErrorCode.TOO_MANY_ATTACHMENTS],
    ['51-["a",{"_placeholder":true,"num":1}]', ProtocolErrorCode.INVALID_PLACEHOLDER],
    ['51-["a",{"_placeholder":true,"num":-1}]', ProtocolErrorCode.INVALID_PLACEHOLDER],
    ['51-["a",{"_placeholder":true,"num":0.5}]', ProtocolErrorCode.INVALID_PLACEHOLDER],
    ['51-["a",{"_placeholder":true,"num":"0"}]', ProtocolErrorCode.INVALID_PLACEHOLDER],
    ['51-["a",{"_placeholder":true}]', ProtocolErrorCode.INVALID_PLACEHOLDER],
    ['51-["a",{"_placeholder":1,"num":0}]', ProtocolErrorCode.INVALID_PLACEHOLDER],
    ['51-["a",{"_placeholder":true,"num":0,"x":1}]', ProtocolErrorCode.INVALID_PLACEHOLDER],
    ['50-["a",{"_placeholder":true,"num":0}]', ProtocolErrorCode.INVALID_PLACEHOLDER],
    ['2[null,"x"]', ProtocolErrorCode.INVALID_EVENT_NAME],
    ['2[{"a":1}]', ProtocolErrorCode.INVALID_EVENT_NAME],
    ['2[["a"]]', ProtocolErrorCode.INVALID_EVENT_NAME],
    ['2"event"', ProtocolErrorCode.INVALID_PAYLOAD],
    ["2null", ProtocolErrorCode.INVALID_PAYLOAD],
    ['2/admin,["a"', ProtocolErrorCode.INVALID_JSON],
    ['2["a"]x', ProtocolErrorCode.INVALID_JSON],
    ["2/admin", ProtocolErrorCode.INVALID_PAYLOAD],
    ['2/admin["a"]', ProtocolErrorCode.INVALID_PAYLOAD],
    ['2-1["a"]', ProtocolErrorCode.INVALID_JSON],
    ['31"a"', ProtocolErrorCode.INVALID_PAYLOAD],
    ["31null", ProtocolErrorCode.INVALID_PAYLOAD],
    ["31", ProtocolErrorCode.INVALID_PAYLOAD],
    ['3/admin,["a"]', ProtocolErrorCode.INVALID_ACK_ID],
    ['61-[{"_placeholder":true,"num":0}]', ProtocolErrorCode.INVALID_ACK_ID],
    ["0null", ProtocolErrorCode.INVALID_PAYLOAD],
    ["01{}", ProtocolErrorCode.INVALID_ACK_ID],
    ["11", ProtocolErrorCode.INVALID_ACK_ID],
    ["4null", ProtocolErrorCode.INVALID_PAYLOAD],
    ["442", ProtocolErrorCode.INVALID_ACK_ID],
    ["4true", ProtocolErrorCode.INVALID_PAYLOAD],
    ['51-["a",{"_placeholder":true,"num":1e400}]', ProtocolErrorCode.INVALID_PLACEHOLDER],
    ['51-["a",[[{"_placeholder":true,"num":3}]]]', ProtocolErrorCode.INVALID_PLACEHOLDER],
    ['51-{"_placeholder":true,"num":0}', ProtocolErrorCode.INVALID_PAYLOAD],
    [`2/${"n".repeat(256)},["a"]`, ProtocolErrorCode.NAMESPACE_TOO_LONG],
    [`2/${"n".repeat(10_000)}`, ProtocolErrorCode.NAMESPACE_TOO_LONG],
    [`2["${"e".repeat(257)}"]`, ProtocolErrorCode.EVENT_NAME_TOO_LONG],
  ])("%j -> %s", (wire, code) => {
    expect(codeOf(() => new SocketPacketDecoder().add(wire))).toBe(code);
  });

  it("accepts values at the limits", () => {
    expect(decodeAll([`2/${"n".repeat(255)},["a"]`])).toMatchObject({ nsp: `/${"n".repeat(255)}` });
    expect(decodeAll([`2["${"e".repeat(256)}"]`])).toMatchObject({ type: 2 });
    expect(decodeAll(['2/x,9007199254740991["a"]'])).toMatchObject({ id: 9007199254740991 });
    expect(decodeAll(['564-["a"]'])).toBeNull();
  });

  it("rejects an attachment when none is awaited, and text while attachments are awaited", () => {
    const decoder = new SocketPacketDecoder();
    expect(codeOf(() => decoder.add(new Uint8Array(1)))).toBe(
      ProtocolErrorCode.UNEXPECTED_ATTACHMENT,
    );
    expect(decoder.add('51-["a",{"_placeholder":true,"num":0}]')).toBeNull();
    expect(codeOf(() => decoder.add('2["a"]'))).toBe(ProtocolErrorCode.ATTACHMENT_EXPECTED);
    expect(decoder.awaitingAttachments).toBe(false);
    expect(codeOf(() => decoder.add(123 as unknown as string))).toBe(
      ProtocolErrorCode.INVALID_MESSAGE,
    );
  });

  it("is usable again after an error, and reset() drops a half-received packet", () => {
    const decoder = new SocketPacketDecoder();
    expect(codeOf(() => decoder.add("2[1]"))).toBe(ProtocolErrorCode.INVALID_EVENT_NAME);
    expect(decoder.add('2["ok"]')).toEqual({ type: 2, nsp: "/", data: ["ok"] });
    expect(decoder.add('51-["a",{"_placeholder":true,"num":0}]')).toBeNull();
    decoder.reset();
    expect(decoder.awaitingAttachments).toBe(false);
    expect(codeOf(() => decoder.add(new Uint8Array(1)))).toBe(
      ProtocolErrorCode.UNEXPECTED_ATTACHMENT,
    );
  });

  it("accepts a namespace without the trailing comma, and BINARY packets with 0 attachments", () => {
    expect(decodeAll(["0/admin"])).toEqual({ type: 0, nsp: "/admin" });
    expect(decodeAll(['50-["a"]'])).toEqual({ type: 5, nsp: "/", data: ["a"] });
  });

  it("refuses data nested deeper than the encoder accepts, so relaying decoded data cannot throw", () => {
    const nested = (depth: number) => `${"[".repeat(depth)}"x"${"]".repeat(depth)}`;
    // The event array itself is one level: MAX_ENCODE_DEPTH - 1 more is the most accepted.
    const deepest = `2["echo",${nested(MAX_ENCODE_DEPTH - 1)}]`;
    const packet = new SocketPacketDecoder().add(deepest) as { data: unknown[] };
    expect(() => encodeSocketPacket({ type: 2, nsp: "/", data: packet.data })).not.toThrow();
    expect(
      codeOf(() => new SocketPacketDecoder().add(`2["echo",${nested(MAX_ENCODE_DEPTH)}]`)),
    ).toBe(ProtocolErrorCode.DATA_TOO_DEEP);
    expect(
      codeOf(() =>
        new SocketPacketDecoder().add(`3/admin,7[${'{"a":'.repeat(1000)}1${"}".repeat(1000)}]`),
      ),
    ).toBe(ProtocolErrorCode.DATA_TOO_DEEP);
    // Brackets inside strings (escaped quotes included) are not nesting.
    const text = `[{\\"${"[{".repeat(3000)}`;
    expect(new SocketPacketDecoder().add(JSON.stringify(["echo", text]).replace(/^/, "2"))).toEqual(
      {
        type: 2,
        nsp: "/",
        data: ["echo", text],
      },
    );
  });

  it("applies custom limits", () => {
    const decoder = new SocketPacketDecoder({ maxAttachments: 1, maxNamespaceLength: 4 });
    expect(codeOf(() => decoder.add('52-["a"]'))).toBe(ProtocolErrorCode.TOO_MANY_ATTACHMENTS);
    expect(codeOf(() => decoder.add("0/abcd,"))).toBe(ProtocolErrorCode.NAMESPACE_TOO_LONG);
    expect(decoder.add("0/abc,")).toEqual({ type: 0, nsp: "/abc" });
    expect(() => new SocketPacketDecoder({ maxAttachments: -1 })).toThrow(TypeError);
  });
});

describe("socket packets: encoder errors", () => {
  it("reports cyclic data as SB_ERR_CYCLIC_DATA", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(codeOf(() => encodeSocketPacket({ type: 2, nsp: "/", data: ["a", cyclic] }))).toBe(
      ProtocolErrorCode.CYCLIC_DATA,
    );
    expect(codeOf(() => encodeSocketPacket({ type: 0, nsp: "/", data: cyclic }))).toBe(
      ProtocolErrorCode.CYCLIC_DATA,
    );
  });

  it("rejects bad namespaces and packet shapes", () => {
    expect(codeOf(() => encodeSocketPacket({ type: 1, nsp: "admin" }))).toBe(
      ProtocolErrorCode.INVALID_NAMESPACE,
    );
    expect(codeOf(() => encodeSocketPacket({ type: 2, nsp: "/", data: [] }))).toBe(
      ProtocolErrorCode.INVALID_PACKET,
    );
    expect(
      codeOf(() => encodeSocketPacket({ type: 3, nsp: "/", data: [] } as unknown as SocketPacket)),
    ).toBe(ProtocolErrorCode.INVALID_PACKET);
    expect(codeOf(() => encodeSocketPacket({ type: 2, nsp: "/", data: ["a", 1n] }))).toBe(
      ProtocolErrorCode.UNSERIALIZABLE_DATA,
    );
  });
});

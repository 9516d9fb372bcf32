import { describe, expect, it } from "vitest";
import { ProtocolError, ProtocolErrorCode } from "../errors.js";
import { MAX_ENCODE_DEPTH } from "../limits.js";
import { deconstructBinary, hasBinary, isBinary, isBlob } from "./binary.js";
import { SocketPacketDecoder } from "./decoder.js";
import { encodeSocketPacket } from "./encoder.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  return undefined;
}

function nested(depth: number, leaf: unknown = 1): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe("isBinary / hasBinary", () => {
  it.each<[string, unknown, boolean]>([
    ["Uint8Array", new Uint8Array(1), true],
    ["Node Buffer", Buffer.from([1]), true],
    ["ArrayBuffer", new ArrayBuffer(1), true],
    ["Float32Array", new Float32Array(1), true],
    ["DataView", new DataView(new ArrayBuffer(2)), true],
    ["Blob", new Blob(["x"]), true],
    ["plain object", { byteLength: 1 }, false],
    ["array", [1], false],
    ["string", "bytes", false],
    ["null", null, false],
    ["undefined", undefined, false],
  ])("isBinary(%s) is %s", (_, value, expected) => {
    expect(isBinary(value)).toBe(expected);
    expect(hasBinary(value)).toBe(expected);
  });

  it("finds binary nested in arrays, objects and toJSON results", () => {
    expect(hasBinary(["a", { b: [1, { c: new Uint8Array(1) }] }])).toBe(true);
    expect(hasBinary(["a", { b: [1, { c: "x" }] }, new Date(0)])).toBe(false);
    expect(hasBinary({ toJSON: () => ({ file: new ArrayBuffer(1) }) })).toBe(true);
    // JSON.stringify ignores inherited properties, and so does the binary walk
    const inherited = Object.create({ file: new Uint8Array(1) }) as object;
    expect(hasBinary(inherited)).toBe(false);
  });

  it("isBlob only matches Blobs", () => {
    expect(isBlob(new Blob([]))).toBe(true);
    expect(isBlob(new Uint8Array(1))).toBe(false);
  });

  it("reports cyclic data instead of overflowing the stack", () => {
    const a: unknown[] = [];
    a.push({ back: a });
    expect(codeOf(() => hasBinary(a))).toBe(ProtocolErrorCode.CYCLIC_DATA);
    expect(codeOf(() => deconstructBinary([new Uint8Array(1), a]))).toBe(
      ProtocolErrorCode.CYCLIC_DATA,
    );
  });

  it("tells data nested beyond MAX_ENCODE_DEPTH apart from cycles", () => {
    expect(hasBinary(nested(MAX_ENCODE_DEPTH - 1))).toBe(false);
    expect(codeOf(() => hasBinary(nested(MAX_ENCODE_DEPTH + 5)))).toBe(
      ProtocolErrorCode.DATA_TOO_DEEP,
    );
    // an endless chain of fresh toJSON results is "too deep", not cyclic
    class Chain {
      toJSON(): unknown {
        return { next: new Chain() };
      }
    }
    expect(codeOf(() => hasBinary(new Chain()))).toBe(ProtocolErrorCode.DATA_TOO_DEEP);
    // a toJSON result leading back to the object itself is a cycle
    const loop = { toJSON: (): unknown => ({ next: loop }) };
    expect(codeOf(() => hasBinary(loop))).toBe(ProtocolErrorCode.CYCLIC_DATA);
  });
});

describe("deconstructBinary", () => {
  it("numbers placeholders in walk order and keeps attachments by reference", () => {
    const a = new Uint8Array([1]);
    const b = new ArrayBuffer(2);
    const { data, attachments } = deconstructBinary(["ev", { x: a, y: [b, a] }]);
    expect(data).toEqual([
      "ev",
      {
        x: { _placeholder: true, num: 0 },
        y: [
          { _placeholder: true, num: 1 },
          { _placeholder: true, num: 2 },
        ],
      },
    ]);
    expect(attachments[0]).toBe(a);
    expect(attachments[1]).toBe(b);
    expect(attachments[2]).toBe(a);
  });

  it("sends other ArrayBufferViews as a Uint8Array over the same bytes", () => {
    const buffer = new ArrayBuffer(8);
    const view = new Int16Array(buffer, 2, 2);
    view[0] = 0x0102;
    const [, attachment] = encodeSocketPacket({ type: 2, nsp: "/", data: ["v", view] });
    expect(attachment).toBeInstanceOf(Uint8Array);
    const bytes = attachment as Uint8Array;
    expect(bytes.buffer).toBe(buffer);
    expect(bytes.byteOffset).toBe(2);
    expect(bytes.byteLength).toBe(4);
  });

  it("passes Blobs through unchanged", () => {
    const blob = new Blob(["hello"]);
    const encoded = encodeSocketPacket({ type: 2, nsp: "/", data: ["b", blob] });
    expect(encoded).toEqual(['51-["b",{"_placeholder":true,"num":0}]', blob]);
    expect(encoded[1]).toBe(blob);
  });
});

describe("encoder: JSON semantics", () => {
  it("serialises through toJSON like JSON.stringify", () => {
    const date = new Date(0);
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
      toJSON() {
        return [this.x, this.y];
      }
    }
    expect(encodeSocketPacket({ type: 2, nsp: "/", data: ["d", date, new Point(1, 2)] })).toEqual([
      `2["d","1970-01-01T00:00:00.000Z",[1,2]]`,
    ]);
    // with binary elsewhere in the data, the copy made for the placeholders keeps the semantics
    expect(
      encodeSocketPacket({
        type: 2,
        nsp: "/",
        data: ["d", date, new Point(1, 2), new Uint8Array(1)],
      })[0],
    ).toBe(`51-["d","1970-01-01T00:00:00.000Z",[1,2],{"_placeholder":true,"num":0}]`);
  });

  it("passes the property key to toJSON, as JSON.stringify does", () => {
    const keys: string[] = [];
    const probe = {
      toJSON(key: string) {
        keys.push(key);
        return key;
      },
    };
    const data = ["k", { name: probe }, [probe], new Uint8Array(1)];
    expect(encodeSocketPacket({ type: 2, nsp: "/", data })[0]).toBe(
      '51-["k",{"name":"name"},["0"],{"_placeholder":true,"num":0}]',
    );
    expect(keys).toContain("name");
    expect(keys).toContain("0");
  });

  it("treats binary returned by toJSON as an attachment", () => {
    const bytes = new Uint8Array([7]);
    const wrapper = { toJSON: () => bytes };
    expect(encodeSocketPacket({ type: 2, nsp: "/", data: ["w", wrapper] })).toEqual([
      '51-["w",{"_placeholder":true,"num":0}]',
      bytes,
    ]);
  });

  it("accepts a toJSON that returns the object itself", () => {
    const self = {
      a: 1,
      toJSON() {
        return this;
      },
    };
    expect(encodeSocketPacket({ type: 2, nsp: "/", data: ["s", self] })[0]).toBe('2["s",{"a":1}]');
  });

  it("keeps an own __proto__ key as data, not as a prototype", () => {
    const data = JSON.parse('["p",{"__proto__":{"x":1},"bin":null}]') as unknown[];
    (data[1] as Record<string, unknown>).bin = new Uint8Array(1);
    const [text] = encodeSocketPacket({ type: 2, nsp: "/", data });
    expect(text).toBe('51-["p",{"__proto__":{"x":1},"bin":{"_placeholder":true,"num":0}}]');
  });

  it("reports failures as ProtocolError", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const throwing = {
      toJSON() {
        throw new Error("nope");
      },
    };
    const send =
      (...args: unknown[]) =>
      () =>
        encodeSocketPacket({ type: 2, nsp: "/", data: ["e", ...args] });
    expect(codeOf(send(cyclic))).toBe(ProtocolErrorCode.CYCLIC_DATA);
    expect(codeOf(send(cyclic, new Uint8Array(1)))).toBe(ProtocolErrorCode.CYCLIC_DATA);
    expect(codeOf(send(throwing))).toBe(ProtocolErrorCode.UNSERIALIZABLE_DATA);
    expect(codeOf(send(throwing, new Uint8Array(1)))).toBe(ProtocolErrorCode.UNSERIALIZABLE_DATA);
    expect(codeOf(send(10n))).toBe(ProtocolErrorCode.UNSERIALIZABLE_DATA);
    expect(codeOf(send(nested(MAX_ENCODE_DEPTH + 5)))).toBe(ProtocolErrorCode.DATA_TOO_DEEP);
    expect(
      codeOf(() => encodeSocketPacket({ type: 4, nsp: "/", data: { message: "x", data: cyclic } })),
    ).toBe(ProtocolErrorCode.CYCLIC_DATA);
  });
});

describe("decoder: hostile binary packets", () => {
  it("deeply nested JSON: refused past the encoder's depth, never a stack overflow", () => {
    const wire = (depth: number) =>
      `51-["deep",${"[".repeat(depth)}{"_placeholder":true,"num":0}${"]".repeat(depth)}]`;
    expect(codeOf(() => new SocketPacketDecoder().add(wire(100_000)))).toBe(
      ProtocolErrorCode.DATA_TOO_DEEP,
    );
    // The deepest accepted: the event array, MAX_ENCODE_DEPTH - 2 arrays, the placeholder.
    const depth = MAX_ENCODE_DEPTH - 2;
    const decoder = new SocketPacketDecoder();
    expect(decoder.add(wire(depth))).toBeNull();
    const packet = decoder.add(new Uint8Array([1]));
    let value: unknown = (packet as { data: unknown[] }).data[1];
    for (let i = 0; i < depth; i++) value = (value as unknown[])[0];
    expect(value).toEqual(new Uint8Array([1]));
  });

  it("puts an attachment under a __proto__ key as a property", () => {
    const decoder = new SocketPacketDecoder();
    decoder.add('51-["p",{"__proto__":{"_placeholder":true,"num":0}}]');
    const packet = decoder.add(new Uint8Array([5])) as { data: unknown[] };
    const holder = packet.data[1] as object;
    expect(Object.getPrototypeOf(holder)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(holder, "__proto__")?.value).toEqual(
      new Uint8Array([5]),
    );
  });

  it("keeps non-Uint8Array binary messages usable", () => {
    const decoder = new SocketPacketDecoder();
    decoder.add('62-3[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    const ab = new ArrayBuffer(1);
    const packet = decoder.add(Buffer.from([1])) ?? decoder.add(ab);
    expect(packet).toEqual({ type: 6, nsp: "/", id: 3, data: [Buffer.from([1]), ab] });
  });

  it("leaves placeholder-like objects in non-binary packets alone", () => {
    const decoder = new SocketPacketDecoder();
    expect(decoder.add('2["x",{"_placeholder":true,"num":0}]')).toEqual({
      type: 2,
      nsp: "/",
      data: ["x", { _placeholder: true, num: 0 }],
    });
  });
});

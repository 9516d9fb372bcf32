import { describe, expect, it } from "vitest";
import { ProtocolErrorCode as Code, ProtocolError } from "../errors.js";
import { isMsgpackParser, scanMsgpack } from "./msgpack-scan.js";

const scan = (bytes: number[], depth = 10) => scanMsgpack(new Uint8Array(bytes), depth);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  throw new Error("nothing was thrown");
}

describe("scanMsgpack", () => {
  // one well-formed value of every format of the msgpack spec
  it.each([
    ["positive fixint", [0x05]],
    ["negative fixint", [0xff]],
    ["nil, false, true in a fixarray", [0x93, 0xc0, 0xc2, 0xc3]],
    ["fixmap", [0x81, 0xa1, 0x61, 0x01]],
    ["fixstr", [0xa3, 0x61, 0x62, 0x63]],
    ["empty fixstr, fixarray, fixmap", [0x93, 0xa0, 0x90, 0x80]],
    ["str 8", [0xd9, 0x02, 0x61, 0x62]],
    ["str 16", [0xda, 0x00, 0x01, 0x61]],
    ["str 32", [0xdb, 0x00, 0x00, 0x00, 0x01, 0x61]],
    ["bin 8", [0xc4, 0x02, 1, 2]],
    ["bin 16", [0xc5, 0x00, 0x01, 1]],
    ["bin 32", [0xc6, 0x00, 0x00, 0x00, 0x01, 1]],
    ["ext 8", [0xc7, 0x01, 0x00, 9]],
    ["ext 16", [0xc8, 0x00, 0x01, 0x00, 9]],
    ["ext 32", [0xc9, 0x00, 0x00, 0x00, 0x01, 0x00, 9]],
    [
      "fixext 1, 2, 4, 8, 16",
      [
        0x95,
        0xd4,
        0,
        1,
        0xd5,
        0,
        1,
        2,
        0xd6,
        0,
        ...Array(4).fill(1),
        0xd7,
        0,
        ...Array(8).fill(1),
        0xd8,
        0,
        ...Array(16).fill(1),
      ],
    ],
    ["float 32, 64", [0x92, 0xca, 0, 0, 0, 0, 0xcb, ...Array(8).fill(0)]],
    ["uint 8 to 64", [0x94, 0xcc, 1, 0xcd, 0, 1, 0xce, 0, 0, 0, 1, 0xcf, ...Array(8).fill(0)]],
    ["int 8 to 64", [0x94, 0xd0, 1, 0xd1, 0, 1, 0xd2, 0, 0, 0, 1, 0xd3, ...Array(8).fill(0)]],
    ["array 16, 32", [0x92, 0xdc, 0x00, 0x01, 0xc0, 0xdd, 0, 0, 0, 0x01, 0xc0]],
    ["map 16, 32", [0x92, 0xde, 0x00, 0x01, 0x01, 0x02, 0xdf, 0, 0, 0, 0x01, 0x01, 0x02]],
  ])("accepts %s", (_name, bytes) => {
    expect(() => scan(bytes)).not.toThrow();
  });

  it.each([
    ["an empty message", []],
    ["an array32 of 30 million items in 5 bytes", [0xdd, 0x01, 0xc9, 0xc3, 0x80]],
    ["a map32 of 2^31 entries", [0xdf, 0x7f, 0xff, 0xff, 0xff]],
    ["a map16 whose values are missing", [0xde, 0x00, 0x02, 0x01, 0x02]],
    ["a fixarray with fewer items than declared", [0x93, 0x01, 0x02]],
    ["a str32 of 2 GB", [0xdb, 0x7f, 0xff, 0xff, 0xff, 0x61]],
    ["a bin8 past the end", [0xc4, 0x05, 1]],
    ["an ext32 past the end", [0xc9, 0x00, 0x00, 0x00, 0x02, 0x00, 1]],
    ["a length header cut short", [0xc5, 0x00]],
    ["a float64 cut short", [0xcb, 0, 0, 0]],
    ["a fixext16 cut short", [0xd8, 0, 1]],
    ["the never-used byte 0xc1", [0xc1]],
    ["trailing bytes", [0x01, 0x02]],
  ])("refuses %s with SB_ERR_PARSER_ERROR", (_name, bytes) => {
    expect(codeOf(() => scan(bytes))).toBe(Code.PARSER_ERROR);
  });

  it("counts nesting of non-empty containers against maxDepth", () => {
    const nested = (levels: number) => [...Array(levels).fill(0x91), 0xc0];
    expect(() => scan(nested(10), 10)).not.toThrow();
    expect(codeOf(() => scan(nested(11), 10))).toBe(Code.DATA_TOO_DEEP);
    // 200,000 levels in 200 KB: refused without recursion
    expect(codeOf(() => scan(nested(200_000), 1001))).toBe(Code.DATA_TOO_DEEP);
    // an empty container at the bottom opens no level
    expect(() => scan([...Array(10).fill(0x91), 0x90], 10)).not.toThrow();
  });
});

describe("isMsgpackParser", () => {
  const parser = (encode: (packet: unknown) => unknown) => ({
    Encoder: class {
      encode(packet: unknown) {
        return encode(packet);
      }
    },
  });
  // {"type":2,"nsp":"/","data":["probe",1]} as msgpack
  const probe = [
    0x83,
    0xa4,
    ...Buffer.from("type"),
    0x02,
    0xa3,
    ...Buffer.from("nsp"),
    0xa1,
    0x2f,
    0xa4,
    ...Buffer.from("data"),
    0x92,
    0xa5,
    ...Buffer.from("probe"),
    0x01,
  ];

  it("is true for an encoder that writes one msgpack map (Uint8Array or ArrayBuffer)", () => {
    expect(isMsgpackParser(parser(() => [new Uint8Array(probe)]))).toBe(true);
    expect(isMsgpackParser(parser(() => [new Uint8Array(probe).buffer]))).toBe(true);
  });

  it("is false for text, several chunks, other binary, or an encoder that throws", () => {
    expect(isMsgpackParser(parser((p) => [JSON.stringify(p)]))).toBe(false);
    expect(isMsgpackParser(parser(() => [new Uint8Array(probe), new Uint8Array(1)]))).toBe(false);
    expect(isMsgpackParser(parser(() => [new Uint8Array([0xa3, 0x61, 0x62, 0x63])]))).toBe(false);
    expect(isMsgpackParser(parser(() => [new Uint8Array([...probe, 0])]))).toBe(false);
    expect(
      isMsgpackParser(
        parser(() => {
          throw new Error("no");
        }),
      ),
    ).toBe(false);
  });

  it("asks each parser once", () => {
    let calls = 0;
    const p = parser(() => {
      calls++;
      return [new Uint8Array(probe)];
    });
    isMsgpackParser(p);
    isMsgpackParser(p);
    expect(calls).toBe(1);
  });
});

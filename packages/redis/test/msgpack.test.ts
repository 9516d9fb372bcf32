// The msgpack codec of the classic format: byte equality with notepack.io (what
// @socket.io/redis-adapter writes) over generated values, and the safe decoder's refusals
// of hostile bytes, each with its code.
import fc from "fast-check";
import notepack from "notepack.io";
import { describe, expect, it } from "vitest";
import { RedisAdapterError } from "../src/errors.js";
import { decode, encode } from "../src/msgpack/index.js";

/** `[, 1]`: an array with a hole (notepack.io writes it as undefined). */
function holey(): unknown[] {
  const a: unknown[] = [];
  a[1] = 1;
  return a;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const bytes = (h: string) => Buffer.from(h.replace(/\s/g, ""), "hex");

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof RedisAdapterError ? err.code : `not a RedisAdapterError: ${err}`;
  }
  return undefined;
}

const ints = [
  0,
  1,
  127,
  128,
  255,
  256,
  65535,
  65536,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 60,
  -1,
  -32,
  -33,
  -128,
  -129,
  -32768,
  -32769,
  -(2 ** 31),
  -(2 ** 31) - 1,
  -(2 ** 53) + 1,
  -(2 ** 53),
  -(2 ** 60),
  -0,
];
const floats = [0.5, -0.1, 1e300, -1e-300, Number.NaN, Infinity, -Infinity, 2 ** 53 + 0.5];
const strings = [0, 1, 31, 32, 255, 256, 65535, 65536].flatMap((n) => [
  "a".repeat(n),
  "é".repeat(Math.ceil(n / 2)),
  "😀".repeat(Math.ceil(n / 4)),
]);

/** Values as the formats carry them: JSON-like data plus Buffers, undefined, typed arrays. */
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.integer({ min: -(2 ** 31) - 10, max: 2 ** 32 + 10 }),
    fc.double(),
    fc.maxSafeInteger(),
    fc.string({ unit: "binary", maxLength: 300 }),
    fc.string({
      unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
      maxLength: 80,
    }),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    fc.uint8Array({ maxLength: 20 }),
    fc.date({ noInvalidDate: true }),
  ),
  node: fc.oneof(
    { depthSize: "small" },
    tie("leaf"),
    fc.array(tie("node"), { maxLength: 20 }),
    fc.dictionary(
      fc.string().filter((k) => k !== "__proto__"),
      tie("node"),
      { maxKeys: 20 },
    ),
  ),
})).node;

describe("msgpack encode: byte equality with notepack.io", () => {
  it.each([
    ["integers of every width", ints],
    ["floats", floats],
    ["strings of every length class", strings],
    [
      "lone surrogates, short and long",
      ["\ud800x", "\udc00", "a\ud83d", "\ud83d\ude00\ud800", "é\udfff".repeat(40)],
    ],
    ["null, undefined, booleans", [null, undefined, true, false]],
    ["Buffers of every bin class", [0, 1, 255, 256, 65535, 65536].map((n) => Buffer.alloc(n, 7))],
    [
      "typed arrays and ArrayBuffer",
      [
        new Uint8Array([1, 2]),
        new Uint16Array([1]),
        new ArrayBuffer(300),
        new DataView(new ArrayBuffer(3)),
      ],
    ],
    ["Dates", [new Date(0), new Date(-1), new Date(2 ** 40), new Date(Number.NaN)]],
    ["arrays of every count class", [0, 15, 16, 65535, 65536].map((n) => new Array(n).fill(1))],
    [
      "maps of every count class",
      [0, 15, 16, 65536].map((n) =>
        Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])),
      ),
    ],
    [
      "objects: functions skipped, toJSON, Map/Set, holes, class instances",
      [
        { f() {}, a: 1 },
        { toJSON: () => [1] },
        new Map([[1, 2]]),
        new Set([1]),
        holey(),
        new (class {
          x = 1;
        })(),
        JSON.parse('{"__proto__":1}'),
      ],
    ],
    [
      "a classic broadcast message",
      [
        [
          "uid123",
          { type: 2, data: ["ev", { a: [1, 2.5, "x"] }, Buffer.from([1, 2])], nsp: "/" },
          { rooms: ["r1"], except: [], flags: { volatile: true } },
        ],
      ],
    ],
  ])("%s", (_name, values: unknown[]) => {
    for (const v of values) expect(hex(encode(v))).toBe(hex(notepack.encode(v)));
  });

  it("generated values", () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(hex(encode(v))).toBe(hex(notepack.encode(v)));
      }),
      { numRuns: 500 },
    );
  });

  it("refuses what cannot be carried, with a code", () => {
    expect(codeOf(() => encode(Symbol("s")))).toBe("SB_ERR_REDIS_UNENCODABLE");
    expect(codeOf(() => encode({ a: 1n }))).toBe("SB_ERR_REDIS_UNENCODABLE");
    expect(codeOf(() => encode([() => 1]))).toBe("SB_ERR_REDIS_UNENCODABLE");
  });
});

describe("msgpack decode", () => {
  it("reads back what notepack.io writes, as notepack.io reads it", () => {
    fc.assert(
      fc.property(value, (v) => {
        const written = Buffer.from(notepack.encode(v));
        expect(decode(written)).toEqual(notepack.decode(written));
      }),
      { numRuns: 500 },
    );
    for (const v of [...ints, ...floats, ...strings]) {
      const written = Buffer.from(notepack.encode(v));
      expect(decode(written)).toEqual(notepack.decode(written));
    }
  });

  it("ext type 0: fixext1 undefined, fixext8 Date, others ArrayBuffer; other types [type, bytes]", () => {
    expect(decode(bytes("d40000"))).toBeUndefined();
    expect(decode(bytes("d700 00000000 000003e8"))).toEqual(new Date(1000));
    expect(decode(bytes("c7020001 02"))).toEqual(new Uint8Array([1, 2]).buffer);
    expect(decode(bytes("d5050102"))).toEqual([5, Buffer.from([1, 2])]);
  });

  it.each([
    ["array32 claiming 4 billion items", "ddffffffff", "SB_ERR_REDIS_INVALID_MSGPACK"],
    ["map32 claiming 4 billion entries", "dfffffffff", "SB_ERR_REDIS_INVALID_MSGPACK"],
    ["str32 longer than the message", "dbffffffff61", "SB_ERR_REDIS_INVALID_MSGPACK"],
    ["bin32 longer than the message", "c6ffffffff", "SB_ERR_REDIS_INVALID_MSGPACK"],
    ["ext32 longer than the message", "c9ffffffff00", "SB_ERR_REDIS_INVALID_MSGPACK"],
    ["truncated float64", "cb3ff0", "SB_ERR_REDIS_INVALID_MSGPACK"],
    ["truncated uint64", "cf0000", "SB_ERR_REDIS_INVALID_MSGPACK"],
    ["the never-used byte 0xc1", "c1", "SB_ERR_REDIS_INVALID_MSGPACK"],
    ["trailing bytes", "c0c0", "SB_ERR_REDIS_INVALID_MSGPACK"],
    ["empty message", "", "SB_ERR_REDIS_INVALID_MSGPACK"],
    ["a map key that is an array", "819001", "SB_ERR_REDIS_INVALID_MSGPACK"],
    ["__proto__ key", "81a95f5f70726f746f5f5f81a16101", "SB_ERR_REDIS_FORBIDDEN_KEY"],
    ["nesting 100 deep", `${"91".repeat(100)}c0`, "SB_ERR_REDIS_MSGPACK_TOO_DEEP"],
  ])("refuses %s", (_name, input, code) => {
    expect(codeOf(() => decode(bytes(input)))).toBe(code);
  });

  it("never throws anything but a RedisAdapterError on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (input) => {
        const code = codeOf(() => decode(Buffer.from(input)));
        expect(code === undefined || code.startsWith("SB_ERR_REDIS_")).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("the depth limit is an option", () => {
    expect(decode(bytes(`${"91".repeat(3)}c0`), { maxDepth: 3 })).toEqual([[[null]]]);
    expect(codeOf(() => decode(bytes(`${"91".repeat(4)}c0`), { maxDepth: 3 }))).toBe(
      "SB_ERR_REDIS_MSGPACK_TOO_DEEP",
    );
  });
});

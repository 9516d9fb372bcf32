import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isTuple, PickleError, unpickle } from "../src/python/pickle.js";

// The pickles are written by the machine's Python (Debian's python3), so the reader is
// checked against what Python really writes, protocol by protocol.

const PYTHON = "/usr/bin/python3";

/** `pickle.dumps(<expr>, protocol=<p>)` from a Python snippet that sets `value`. */
function py(setup: string, protocol = 4): Buffer {
  const script = `import pickle, sys\n${setup}\nsys.stdout.buffer.write(pickle.dumps(value, protocol=${protocol}))`;
  return execFileSync(PYTHON, ["-c", script]);
}

/** Several pickles in one Python run (one process per case is slow). */
function pyMany(exprs: string[], protocol: number): Buffer[] {
  const script = [
    "import pickle, sys, base64",
    `for v in [${exprs.join(", ")}]:`,
    `    print(base64.b64encode(pickle.dumps(v, protocol=${protocol})).decode())`,
  ].join("\n");
  return execFileSync(PYTHON, ["-c", script], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => Buffer.from(line, "base64"));
}

function refused(data: Uint8Array, code: PickleError["code"], limits = {}): PickleError {
  let caught: unknown;
  try {
    unpickle(data, limits);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(PickleError);
  expect((caught as PickleError).code).toBe(code);
  return caught as PickleError;
}

describe("restricted pickle reader", () => {
  const plain = [
    "None",
    "True",
    "False",
    "0",
    "255",
    "65535",
    "-1",
    "2**31 - 1",
    "-2**31",
    "2**40",
    "-(2**53 - 1)",
    "1.5",
    "-0.25",
    "''",
    "'héllo ✓ 🎉'",
    "'x' * 300",
    "b'\\x00\\xff'",
    "b'y' * 300",
    "bytearray(b'ab')",
    "[]",
    "[1, [2, [3]]]",
    "()",
    "(1,)",
    "(1, 2)",
    "(1, 2, 3)",
    "(1, 2, 3, 4)",
    "{}",
    "{'a': 1, 'b': [True, None]}",
    "{1: 'int key', 2.5: 'float key', True: 'bool', None: 'none'}",
    "{'s': {3}, 'f': frozenset([4])}",
  ];
  const expected: unknown[] = [
    null,
    true,
    false,
    0,
    255,
    65535,
    -1,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 40,
    -(2 ** 53 - 1),
    1.5,
    -0.25,
    "",
    "héllo ✓ 🎉",
    "x".repeat(300),
    Buffer.from([0, 255]),
    Buffer.from("y".repeat(300)),
    Buffer.from("ab"),
    [],
    [1, [2, [3]]],
    [],
    [1],
    [1, 2],
    [1, 2, 3],
    [1, 2, 3, 4],
    {},
    { a: 1, b: [true, null] },
    // Python's json.dumps writes these keys the same way; True == 1 in a dict, so the
    // "bool" value replaces the 1 key's value in Python itself
    { 1: "bool", 2.5: "float key", null: "none" },
    { s: [3], f: [4] },
  ];

  it.each([2, 3, 4, 5])("reads every plain value Python writes with protocol %i", (protocol) => {
    const pickles = pyMany(plain, protocol);
    // What older protocols write as a call (a class named, then REDUCE) is refused like any
    // call: bytes in protocol 2 (_codecs.encode), bytearray before 5, sets before 4.
    const calls: Record<number, number[]> = { 2: [16, 17, 18, 29], 3: [18, 29], 4: [18], 5: [] };
    pickles.forEach((p, i) => {
      if (calls[protocol]!.includes(i)) {
        refused(p, "SB_ERR_PICKLE_FORBIDDEN_OPCODE");
        return;
      }
      expect(unpickle(p), plain[i]).toEqual(expected[i]);
    });
  });

  it("marks tuples, so a tuple of data means several arguments", () => {
    const v = unpickle(py("value = {'data': (1, 'two'), 'list': [1, 'two']}")) as Record<
      string,
      unknown
    >;
    expect(isTuple(v.data)).toBe(true);
    expect(isTuple(v.list)).toBe(false);
    expect(v.data).toEqual([1, "two"]);
  });

  it("copies values Python shared through the memo, so the tree is JSON-safe", () => {
    const v = unpickle(py("s = [1, 2]\nvalue = {'a': s, 'b': s}")) as Record<string, unknown>;
    expect(v).toEqual({ a: [1, 2], b: [1, 2] });
    expect(v.a).not.toBe(v.b);
    expect(JSON.parse(JSON.stringify(v))).toEqual(v);
  });

  it("keeps a __proto__ key as data, without touching the object's prototype", () => {
    const v = unpickle(py("value = {'__proto__': {'polluted': True}}")) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.hasOwn(v, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(v)).toBe('{"__proto__":{"polluted":true}}');
  });

  it("refuses a pickle that would call something, and runs nothing", () => {
    const marker = `/tmp/sb-pickle-${process.pid}-${Date.now()}`;
    const evil = py(
      `import os\nclass Evil:\n    def __reduce__(self):\n        return (os.system, ('touch ${marker}',))\nvalue = {'method': 'emit', 'data': Evil()}`,
    );
    const err = refused(evil, "SB_ERR_PICKLE_FORBIDDEN_OPCODE");
    expect(err.message).toMatch(/STACK_GLOBAL|GLOBAL/);
    expect(() => execFileSync("test", ["-e", marker])).toThrow();
  });

  it.each([
    ["a class instance", "class C: pass\nvalue = C()"],
    ["a datetime", "import datetime\nvalue = datetime.date(2026, 1, 1)"],
    ["a decimal", "import decimal\nvalue = decimal.Decimal('1.5')"],
    ["a complex number", "value = 1j"],
  ])("refuses %s (it names a class)", (_, setup) => {
    for (const protocol of [2, 4, 5])
      refused(py(setup, protocol), "SB_ERR_PICKLE_FORBIDDEN_OPCODE");
  });

  it("refuses protocols 0 and 1 (no PROTO opcode first)", () => {
    refused(py("value = {'a': 1}", 0), "SB_ERR_PICKLE_MALFORMED");
    refused(py("value = {'a': 1}", 1), "SB_ERR_PICKLE_MALFORMED");
  });

  it("refuses a cycle", () => {
    refused(py("value = []\nvalue.append(value)"), "SB_ERR_PICKLE_CYCLE");
    refused(py("value = {}\nvalue['me'] = [value]"), "SB_ERR_PICKLE_CYCLE");
  });

  it("refuses a small pickle that expands beyond maxNodes through shared references", () => {
    const bomb = py("value = ['x'] * 10\nfor _ in range(25):\n    value = [value, value]");
    expect(bomb.length).toBeLessThan(2000);
    refused(bomb, "SB_ERR_PICKLE_TOO_LARGE");
  });

  it("refuses nesting beyond maxDepth, and input beyond maxBytes", () => {
    const deep = py("value = 1\nfor _ in range(40):\n    value = [value]");
    refused(deep, "SB_ERR_PICKLE_TOO_DEEP");
    expect(unpickle(deep, { maxDepth: 64 })).toBeDefined();
    refused(py("value = 'x' * 5000"), "SB_ERR_PICKLE_TOO_LARGE", { maxBytes: 4096 });
  });

  it("refuses integers outside ±2^53 (JSON could not carry them exactly)", () => {
    refused(py("value = 2**53"), "SB_ERR_PICKLE_INTEGER_RANGE");
    refused(py("value = -2**80"), "SB_ERR_PICKLE_INTEGER_RANGE");
  });

  it("refuses every truncation of a valid pickle with a PickleError, never another error", () => {
    const whole = py(
      "value = {'method': 'emit', 'event': 'ev', 'data': ({'a': [1, 2.5, None]}, b'\\x01\\x02', 'é'), 'room': ['r1', 'r2'], 'skip_sid': None, 'namespace': '/'}",
    );
    unpickle(whole);
    for (let n = 0; n < whole.length; n++) refused(whole.subarray(0, n), "SB_ERR_PICKLE_MALFORMED");
    refused(Buffer.concat([whole, Buffer.from([0x4e])]), "SB_ERR_PICKLE_MALFORMED");
  });

  it("survives random corruption: a value or a PickleError, nothing else", () => {
    const whole = py(
      "value = {'method': 'emit', 'event': 'ev', 'data': ({'a': [1, 2.5, None]}, b'\\x01\\x02', 'é'), 'room': ['r1', 'r2'], 'skip_sid': ('a', 'b'), 'namespace': '/'}",
    );
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 5000; round++) {
      const copy = Buffer.from(whole);
      const flips = 1 + rand(4);
      for (let f = 0; f < flips; f++) copy[rand(copy.length)] = rand(256);
      try {
        unpickle(copy);
      } catch (err) {
        expect(err).toBeInstanceOf(PickleError);
      }
    }
  });

  it("refuses lengths that point past the end (no allocation from a claimed length)", () => {
    // PROTO 4, BINUNICODE8 with a length of 2^31, STOP
    const lying = Buffer.from([0x80, 4, 0x8d, 0, 0, 0, 0x80, 0, 0, 0, 0, 0x2e]);
    refused(lying, "SB_ERR_PICKLE_MALFORMED");
    const huge = Buffer.from([0x80, 4, 0x8d, 0, 0, 0, 0, 0, 0, 0, 1, 0x2e]);
    refused(huge, "SB_ERR_PICKLE_MALFORMED");
  });
});

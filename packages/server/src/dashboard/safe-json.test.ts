import { describe, expect, it } from "vitest";
import { safeJson } from "./safe-json.js";

describe("safeJson", () => {
  it("writes JSON for plain data", () => {
    const value = { a: 1, b: "x", c: [true, null], d: { e: 1.5 } };
    expect(safeJson(value, 1000)).toEqual({ text: JSON.stringify(value), truncated: false });
  });

  it("shows what JSON cannot hold as text, and never throws", () => {
    const circular: Record<string, unknown> = { name: "c" };
    circular.self = circular;
    expect(safeJson(circular, 1000).text).toBe('{"name":"c","self":"[Circular]"}');
    expect(
      safeJson({ n: 10n, b: Buffer.from([1, 2]), f: () => 1, u: undefined, nan: Number.NaN }, 1000)
        .text,
    ).toBe('{"n":"10n","b":"[Buffer 2 bytes]","u":null,"nan":null}');
    expect(safeJson(new Map([["k", new Set([1])]]), 100).text).toBe('{"k":[1]}');
    const hostile = {
      get boom() {
        throw new Error("no");
      },
    };
    expect(safeJson(hostile, 100)).toEqual({ text: '"[unreadable]"', truncated: false });
    expect(safeJson(new Date(0), 100).text).toBe('"1970-01-01T00:00:00.000Z"');
  });

  it("stops at the budget: a huge value costs no more than a small one", () => {
    const huge = Array.from({ length: 1_000_000 }, (_, i) => ({ i }));
    const { text, truncated } = safeJson(huge, 50);
    expect(truncated).toBe(true);
    expect(text.length).toBe(51);
    expect(text.endsWith("…")).toBe(true);
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(safeJson(deep, 10_000).text).toContain('"[…]"');
  });
});

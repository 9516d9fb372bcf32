import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_OUTPUT_LIMIT, OutputRing } from "./output-ring.js";

describe("OutputRing", () => {
  it("keeps everything below its limit", () => {
    const ring = new OutputRing(10);
    ring.write("abc");
    ring.write(Buffer.from("def"));
    expect(ring.text()).toBe("abcdef");
    expect(ring.dropped).toBe(0);
  });

  it("keeps exactly the last `limit` bytes across wraps, and counts what it dropped", () => {
    const ring = new OutputRing(10);
    ring.write("0123456789"); // exactly full
    expect(ring.text()).toBe("0123456789");
    ring.write("ab"); // wraps
    expect(ring.text()).toBe("23456789ab");
    ring.write("cdefghijklmnop"); // bigger than the ring
    expect(ring.text()).toBe("ghijklmnop");
    expect(ring.dropped).toBe(16);
  });

  it("matches 'all written, last limit bytes' for any writes (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.string({ unit: "binary-ascii", maxLength: 100 }), { maxLength: 40 }),
        (limit, chunks) => {
          const ring = new OutputRing(limit);
          for (const chunk of chunks) ring.write(chunk);
          const all = chunks.join("");
          expect(ring.text()).toBe(all.slice(-limit));
          expect(ring.dropped).toBe(Math.max(0, all.length - limit));
        },
      ),
    );
  });

  it("defaults to 64 KB and refuses a limit that is no positive integer", () => {
    const ring = new OutputRing();
    ring.write("x".repeat(DEFAULT_OUTPUT_LIMIT + 5));
    expect(ring.text().length).toBe(64 * 1024);
    expect(() => new OutputRing(0)).toThrow(TypeError);
    expect(() => new OutputRing(2.5)).toThrow(TypeError);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { unmask } from "../../src/engine/transports/frame-receiver.js";

/** RFC 6455 section 5.3 as written: octet i XOR key octet i mod 4. */
function reference(bytes: Uint8Array, mask: number): Uint8Array {
  const key = [mask >>> 24, (mask >>> 16) & 0xff, (mask >>> 8) & 0xff, mask & 0xff];
  return bytes.map((b, i) => b ^ key[i % 4]!);
}

describe("unmask", () => {
  it("matches the byte-wise definition for any offset, length, alignment and key", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 600, size: "max" }),
        fc.nat(7),
        fc.nat(7),
        fc.integer({ min: 0, max: 0xffffffff }),
        (payload, lead, memoryOffset, mask) => {
          // The payload sits `lead` bytes into a view that starts `memoryOffset` bytes into
          // its ArrayBuffer, so every alignment of the word loop is exercised.
          const memory = new Uint8Array(memoryOffset + lead + payload.length + 3).fill(0xee);
          const view = memory.subarray(memoryOffset, memoryOffset + lead + payload.length + 3);
          view.set(payload, lead);
          unmask(view, lead, lead + payload.length, mask);
          expect(Buffer.from(view.subarray(lead, lead + payload.length))).toEqual(
            Buffer.from(reference(payload, mask)),
          );
          // Bytes around the range are untouched.
          expect(view.subarray(0, lead).every((b) => b === 0xee)).toBe(true);
          expect(view.subarray(lead + payload.length).every((b) => b === 0xee)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("is its own inverse on a large random frame", () => {
    const data = Buffer.from(Array.from({ length: 70_001 }, (_, i) => (i * 31) & 0xff));
    const copy = Buffer.from(data);
    unmask(data, 1, data.length, 0xa1b2c3d4);
    expect(data.equals(copy)).toBe(false);
    unmask(data, 1, data.length, 0xa1b2c3d4);
    expect(data.equals(copy)).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import { peak, toInt16Interleaved } from "../../web/pcm.js";

describe("toInt16Interleaved", () => {
  it("scales and clamps Float32 samples to Int16", () => {
    const out = toInt16Interleaved([Float32Array.from([0, 1, -1, 0.5, 2, -2])], 1);
    expect(Array.from(out)).toEqual([0, 32767, -32768, 16384, 32767, -32768]);
  });

  it("interleaves stereo and repeats a missing channel", () => {
    const left = Float32Array.from([1, 0]);
    const right = Float32Array.from([-1, 0.5]);
    expect(Array.from(toInt16Interleaved([left, right], 2))).toEqual([32767, -32768, 0, 16384]);
    expect(Array.from(toInt16Interleaved([left], 2))).toEqual([32767, 32767, 0, 0]);
    expect(toInt16Interleaved([], 1).length).toBe(0);
  });

  it("peak is the largest magnitude of the first channel", () => {
    expect(peak([Float32Array.from([0.1, -0.7, 0.3])])).toBeCloseTo(0.7);
    expect(peak([])).toBe(0);
  });
});

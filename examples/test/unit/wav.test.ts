import { describe, expect, it } from "vitest";
import { parsePcmFormat, parseWavHeader, WAV_HEADER_BYTES, wavHeader } from "../../src/lib/wav.js";

describe("wavHeader", () => {
  it("writes the canonical 44-byte PCM header with correct sizes", () => {
    const header = wavHeader({ sampleRate: 48_000, channels: 1, bitsPerSample: 16 }, 96_000);
    expect(header.length).toBe(WAV_HEADER_BYTES);
    expect(header.toString("hex")).toBe(
      [
        "52494646", // "RIFF"
        "24770100", // 36 + 96000 = 96036 LE
        "57415645", // "WAVE"
        "666d7420", // "fmt "
        "10000000", // 16
        "0100", // PCM
        "0100", // 1 channel
        "80bb0000", // 48000
        "00770100", // byte rate 96000
        "0200", // block align 2
        "1000", // 16 bits
        "64617461", // "data"
        "00770100", // 96000
      ].join(""),
    );
  });

  it("computes byte rate and block align for stereo", () => {
    const info = parseWavHeader(
      wavHeader({ sampleRate: 44_100, channels: 2, bitsPerSample: 16 }, 400),
    );
    expect(info).toEqual({
      riffSize: 436,
      audioFormat: 1,
      channels: 2,
      sampleRate: 44_100,
      byteRate: 176_400,
      blockAlign: 4,
      bitsPerSample: 16,
      dataBytes: 400,
    });
  });

  it("parseWavHeader rejects non-WAV bytes", () => {
    expect(() => parseWavHeader(new Uint8Array(10))).toThrow();
    expect(() => parseWavHeader(new Uint8Array(44))).toThrow();
  });
});

describe("parsePcmFormat", () => {
  it("accepts common formats", () => {
    expect(parsePcmFormat({ sampleRate: 48_000, channels: 1 })).toEqual({
      sampleRate: 48_000,
      channels: 1,
      bitsPerSample: 16,
    });
    expect(parsePcmFormat({ sampleRate: 8_000, channels: 2 })).toMatchObject({ channels: 2 });
  });

  it.each([
    null,
    "48000",
    [],
    {},
    { sampleRate: 48_000 },
    { sampleRate: 48_000.5, channels: 1 },
    { sampleRate: 7_999, channels: 1 },
    { sampleRate: 96_001, channels: 1 },
    { sampleRate: Number.NaN, channels: 1 },
    { sampleRate: "48000", channels: 1 },
    { sampleRate: 48_000, channels: 0 },
    { sampleRate: 48_000, channels: 3 },
    { sampleRate: 48_000, channels: "1" },
  ])("refuses %j", (input) => {
    expect(typeof parsePcmFormat(input)).toBe("string");
  });
});

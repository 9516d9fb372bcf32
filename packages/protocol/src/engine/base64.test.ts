import { describe, expect, it } from "vitest";
import { ProtocolError, ProtocolErrorCode } from "../errors.js";
import { decodeBase64, encodeBase64 } from "./base64.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  return undefined;
}

const bytes = (...values: number[]) => new Uint8Array(values);

describe("base64", () => {
  it.each([
    [bytes(), ""],
    [bytes(102), "Zg=="],
    [bytes(102, 111), "Zm8="],
    [bytes(102, 111, 111), "Zm9v"],
    [bytes(102, 111, 111, 98), "Zm9vYg=="],
    [bytes(1, 2, 3, 4), "AQIDBA=="],
    [bytes(251, 255, 191), "+/+/"],
  ])("encodes and decodes RFC 4648 vectors (%s -> %s)", (input, text) => {
    expect(encodeBase64(input)).toBe(text);
    expect(decodeBase64(text)).toEqual(input);
  });

  it("matches Node's Buffer on every byte value and on a large input", () => {
    const all = new Uint8Array(256).map((_, i) => i);
    expect(encodeBase64(all)).toBe(Buffer.from(all).toString("base64"));
    const large = new Uint8Array(100_003).map((_, i) => (i * 7919) & 255);
    const text = encodeBase64(large);
    expect(text).toBe(Buffer.from(large).toString("base64"));
    // byte-wise comparison through Buffer: toEqual on 100k elements is needlessly slow
    expect(Buffer.from(decodeBase64(text)).equals(Buffer.from(large))).toBe(true);
  });

  it.each([
    ["length not a multiple of 4", "Zg="],
    ["unpadded", "Zg"],
    ["character outside the alphabet", "Zm9*"],
    ["URL-safe alphabet", "-_-_"],
    ["whitespace", "Zm9v\n"],
    ["padding in the middle", "Zg==Zm9v"],
    ["three padding characters", "Z==="],
    ["only padding", "===="],
    ["non-Latin-1 character", "Zm9\u0176"],
    ["character aliasing a table index above 255", "Zm9\u0141"],
  ])("rejects %s", (_, text) => {
    expect(codeOf(() => decodeBase64(text))).toBe(ProtocolErrorCode.INVALID_BASE64);
  });
});

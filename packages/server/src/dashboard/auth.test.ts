import { describe, expect, it } from "vitest";
import { signToken, tokenKey, verifyToken } from "./auth.js";

describe("dashboard tokens", () => {
  const key = tokenKey({ username: "u", password: "p" }, undefined);

  it("verifies its own tokens until they expire", () => {
    const token = signToken(key, 1000, 5000);
    expect(verifyToken(key, token, 5000)).toBe(true);
    expect(verifyToken(key, token, 6000)).toBe(true);
    expect(verifyToken(key, token, 6001)).toBe(false);
  });

  it("refuses other keys, altered tokens and junk", () => {
    const token = signToken(key, 1000, 0);
    const [expiry, nonce, mac] = token.split(".") as [string, string, string];
    expect(verifyToken(tokenKey({ username: "u", password: "q" }, undefined), token, 0)).toBe(
      false,
    );
    expect(verifyToken(tokenKey(false, "other"), token, 0)).toBe(false);
    expect(verifyToken(key, `${Number(expiry) + 1}.${nonce}.${mac}`, 0)).toBe(false);
    expect(verifyToken(key, `${expiry}.x${nonce}.${mac}`, 0)).toBe(false);
    for (const junk of [undefined, null, 1, "", "a.b", "a.b.c.d", `${token}x`, "x".repeat(500)]) {
      expect(verifyToken(key, junk, 0)).toBe(false);
    }
  });

  it("nodes agree on the key from the same credentials or secret; random otherwise", () => {
    expect(tokenKey({ username: "u", password: "p" }, undefined)).toEqual(key);
    expect(tokenKey(() => true, "s")).toEqual(tokenKey(false, "s"));
    expect(tokenKey(() => true, undefined)).not.toEqual(tokenKey(() => true, undefined));
  });
});

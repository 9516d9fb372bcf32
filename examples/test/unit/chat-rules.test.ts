import { describe, expect, it } from "vitest";
import {
  checkMessageText,
  checkRoomName,
  checkUsername,
  roomKey,
} from "../../src/lib/chat-rules.js";

describe("chat rules", () => {
  it("usernames: trimmed, required, bounded, no control characters", () => {
    expect(checkUsername("  ada ")).toEqual({ ok: true, name: "ada" });
    for (const bad of [undefined, null, "", "   ", 42, ["ada"], "x".repeat(25), "a\u0000b"]) {
      expect(checkUsername(bad).ok).toBe(false);
    }
  });

  it("room names: lower-cased, a-z 0-9 and dashes, 1–32", () => {
    expect(checkRoomName("TypeScript")).toBe("typescript");
    expect(checkRoomName("room-1")).toBe("room-1");
    for (const bad of ["", "-x", "a b", "a/b", "x".repeat(33), 1, null, "room:x"]) {
      expect(checkRoomName(bad)).toBeNull();
    }
    expect(roomKey("music")).toBe("room:music");
  });

  it("messages: 1–1000 characters of text", () => {
    expect(checkMessageText(" hi ")).toBe("hi");
    expect(checkMessageText("")).toBeNull();
    expect(checkMessageText("x".repeat(1001))).toBeNull();
    expect(checkMessageText({ text: "hi" })).toBeNull();
  });
});

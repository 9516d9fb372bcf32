import { describe, expect, it } from "vitest";
import { type ConnectError, classifyConnectError } from "../../web/common.js";

const error = (message: string, extra: Partial<ConnectError> = {}): ConnectError =>
  Object.assign(new Error(message), extra);

describe("classifyConnectError", () => {
  it("a middleware's refusal leaves the socket inactive: refused", () => {
    const err = error("a username is required", { data: { reason: "username" } });
    expect(classifyConnectError({ active: false }, err)).toBe("refused");
  });

  it.each([
    ["xhr poll error", undefined],
    ["xhr poll error", 502],
    ["websocket error", undefined],
    ["timeout", undefined],
  ])("a transport failure (%s, %s) while the socket stays active: reconnecting", (msg, status) => {
    const err = error(msg, { type: "TransportError", description: status });
    expect(classifyConnectError({ active: true }, err)).toBe("reconnecting");
  });

  it("a handshake answered 403 (origin not allowed) is a refusal although the client retries", () => {
    const err = error("xhr poll error", { type: "TransportError", description: 403 });
    expect(classifyConnectError({ active: true }, err)).toBe("refused");
  });
});

import { describe, expect, it } from "vitest";
import { parseUrl } from "./url.js";

describe("parseUrl", () => {
  const page = "https://app.example.com:8443/some/page?x=1";

  it.each([
    ["http://localhost:3000", "http://localhost:3000", "http://localhost:3000/socket.io", "/"],
    [
      "ws://localhost:3000/chat",
      "http://localhost:3000",
      "http://localhost:3000/socket.io",
      "/chat",
    ],
    [
      "wss://example.com/admin",
      "https://example.com",
      "https://example.com:443/socket.io",
      "/admin",
    ],
    ["/admin", "https://app.example.com:8443", "https://app.example.com:8443/socket.io", "/admin"],
    ["//other.com/x", "https://other.com", "https://other.com:443/socket.io", "/x"],
    ["example.com:81", "https://example.com:81", "https://example.com:81/socket.io", "/"],
    ["http://[::1]:3000/", "http://[::1]:3000", "http://[::1]:3000/socket.io", "/"],
  ])("%s", (uri, origin, id, nsp) => {
    const parsed = parseUrl(uri, page, "/socket.io");
    expect(parsed).toMatchObject({ origin, id, nsp });
  });

  it("keeps the query of the URL", () => {
    expect(parseUrl("http://h/?a=1&b=two", page, "/socket.io").query).toEqual({ a: "1", b: "two" });
  });

  it("throws a TypeError of code SB_ERR_INVALID_OPTION for a URL that does not parse", () => {
    let thrown: unknown;
    try {
      parseUrl("http://[not-a-host", "http://localhost", "/socket.io");
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect(thrown).toMatchObject({ code: "SB_ERR_INVALID_OPTION" });
  });
});

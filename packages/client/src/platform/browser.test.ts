import { afterEach, describe, expect, it, vi } from "vitest";
import { parseUrl } from "../socket/url.js";
import { platform } from "./browser.js";

// io() and new Manager() without a URL parse platform.defaultUri() against itself.
const withoutUrl = () => parseUrl(platform.defaultUri(), platform.defaultUri(), "/socket.io");

describe("browser platform: io() without a URL", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("connects to the page's origin and namespace /, whatever the page's path and query", () => {
    // Found by interop/test/browser.test.ts: a page at /app/page.html?room=1 connected to the
    // namespace "/app/page.html" with the query room=1 (the official server: "Invalid namespace").
    vi.stubGlobal("location", {
      protocol: "https:",
      host: "app.example.com:8443",
      hostname: "app.example.com",
      port: "8443",
      origin: "https://app.example.com:8443",
      pathname: "/app/page.html",
      search: "?room=1",
      href: "https://app.example.com:8443/app/page.html?room=1",
    });
    expect(withoutUrl()).toEqual({
      origin: "https://app.example.com:8443",
      id: "https://app.example.com:8443/socket.io",
      nsp: "/",
      query: {},
    });
    // a path-only URL still resolves against the page
    expect(parseUrl("/chat", platform.defaultUri(), "/socket.io")).toMatchObject({
      origin: "https://app.example.com:8443",
      nsp: "/chat",
    });
  });

  it("falls back to http://localhost outside a page", () => {
    vi.stubGlobal("location", undefined);
    expect(withoutUrl()).toMatchObject({ origin: "http://localhost", nsp: "/", query: {} });
  });
});

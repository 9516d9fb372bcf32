import { dashboard } from "@switchboard/server/dashboard";
import { describe, expect, it } from "vitest";
import { listen } from "../socket/helpers.js";
import {
  BASIC,
  connected,
  fetchToken,
  PASSWORD,
  pageSocket,
  USER,
  withDashboard,
} from "./helpers.js";

/**
 * Issue 19 part 2: the dashboard is opt-in and behind authentication, on every route and on
 * its live connection.
 */

describe("dashboard options", () => {
  it("refuses to start without auth (SB_ERR_DASHBOARD_AUTH_REQUIRED)", async () => {
    const { io } = await listen();
    for (const options of [undefined, {}, { auth: undefined }, { auth: true }, { auth: null }]) {
      expect(() => dashboard(io, options as never)).toThrow(
        expect.objectContaining({ code: "SB_ERR_DASHBOARD_AUTH_REQUIRED" }),
      );
    }
    for (const auth of [
      { username: "a", password: "" },
      { username: "a:b", password: "x" },
    ]) {
      expect(() => dashboard(io, { auth })).toThrow(
        expect.objectContaining({ code: "SB_ERR_DASHBOARD_AUTH_REQUIRED" }),
      );
    }
  });

  it("checks its other options, and runs once per server", async () => {
    const { io } = await listen();
    const auth = { username: USER, password: PASSWORD };
    for (const bad of [
      { path: "dashboard" },
      { path: "/dashboard/" },
      { namespace: "/" },
      { pageSize: 0 },
      { pageSize: 5000 },
      { tokenTtl: 1.5 },
    ]) {
      expect(() => dashboard(io, { auth, ...bad })).toThrow(
        expect.objectContaining({ code: "SB_ERR_INVALID_OPTION" }),
      );
    }
    const d = dashboard(io, { auth });
    expect(() => dashboard(io, { auth })).toThrow(
      expect.objectContaining({ code: "SB_ERR_INVALID_OPTION" }),
    );
    d.close();
    dashboard(io, { auth }).close();
  });

  it("is off unless called: no route, no namespace, no hooks", async () => {
    const { io } = await listen();
    const http = io.httpServer as import("node:http").Server;
    const listeners = http.listeners("request");
    const d = dashboard(io, { auth: { username: USER, password: PASSWORD } });
    expect(http.listeners("request")).not.toEqual(listeners);
    expect(io.namespaces.has("/_switchboard")).toBe(true);
    d.close();
    // Back as it was: the engine's own listener only, the namespace gone.
    expect(http.listeners("request")).toEqual(listeners);
    expect(io.namespaces.has("/_switchboard")).toBe(false);
  });
});

describe("HTTP basic authentication", () => {
  it("answers 401 with WWW-Authenticate without credentials or with wrong ones, on every route", async () => {
    const { url } = await withDashboard();
    const wrong = [
      undefined,
      `Basic ${Buffer.from(`${USER}:nope`).toString("base64")}`,
      `Basic ${Buffer.from(`${USER}x:${PASSWORD}`).toString("base64")}`,
      `Basic ${Buffer.from(`${USER}:${PASSWORD}x`).toString("base64")}`,
      `Bearer ${PASSWORD}`,
      "Basic !!!",
    ];
    for (const route of ["/dashboard", "/dashboard/", "/dashboard/app.js", "/dashboard/token"]) {
      for (const header of wrong) {
        const res = await fetch(`${url}${route}`, {
          headers: header === undefined ? {} : { Authorization: header },
        });
        expect(res.status, `${route} ${header}`).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm="Switchboard dashboard"/);
        expect(await res.text()).not.toContain("token");
      }
    }
  });

  it("serves the page, its script, style sheet and icon with their types and cache headers", async () => {
    const { url } = await withDashboard();
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${url}${path}`, { headers: { Authorization: BASIC, ...headers } });
    const page = await get("/dashboard");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    const html = await page.text();
    // Every URL of the page is on its own origin: no CDN, no external font.
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(urls.length).toBeGreaterThanOrEqual(3);
    for (const u of urls) expect(u.startsWith("/dashboard/")).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
    const config = JSON.parse(
      /<script type="application\/json" id="config">(.*?)<\/script>/.exec(html)![1]!,
    );
    expect(config).toMatchObject({
      path: "/dashboard",
      namespace: "/_switchboard",
      enginePath: "/socket.io",
    });

    for (const [name, type] of [
      ["app.js", "text/javascript; charset=utf-8"],
      ["app.css", "text/css; charset=utf-8"],
      ["icon.svg", "image/svg+xml"],
    ] as const) {
      const versioned = urls.find((u) => u.startsWith(`/dashboard/${name}?v=`));
      expect(versioned, name).toBeDefined();
      const res = await get(versioned!);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(type);
      expect(res.headers.get("cache-control")).toBe("private, max-age=31536000, immutable");
      const etag = res.headers.get("etag")!;
      expect(etag).toMatch(/^"[\w-]+"$/);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100);
      const again = await get(versioned!, { "If-None-Match": etag });
      expect(again.status).toBe(304);
    }
    const js = await (await get("/dashboard/app.js")).text();
    // URLs in the script: the SVG namespace and the client's "http://localhost" fallback
    // (for pages without a location) only; browser.test.ts watches the requests themselves.
    expect(js.match(/https?:\/\/(?!www\.w3\.org\/2000\/svg"|localhost")[^"`]*/g)).toBeNull();

    expect((await get("/dashboard/nothing")).status).toBe(404);
    const post = await fetch(`${url}/dashboard`, {
      method: "POST",
      headers: { Authorization: BASIC },
    });
    expect(post.status).toBe(405);
    const head = await fetch(`${url}/dashboard/app.css`, {
      method: "HEAD",
      headers: { Authorization: BASIC },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).not.toBe("0");
  });

  it("leaves other requests to the server: the engine still answers", async () => {
    const { url, d } = await withDashboard({ path: "/ops/board" });
    const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^0\{"sid"/);
    expect((await fetch(`${url}/ops/board`, { headers: { Authorization: BASIC } })).status).toBe(
      200,
    );
    d.close();
    // The engine answers the rest again; a polling request still works.
    const after = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
    expect(after.status).toBe(200);
  });
});

describe("a check of the user's own", () => {
  it("answers 403 when the check says no or throws, the page when it says yes", async () => {
    const seen: string[] = [];
    const { url } = await withDashboard({
      auth: async (req) => {
        seen.push(req.url ?? "");
        if (req.headers["x-boom"]) throw new Error("boom");
        return req.headers.cookie === "session=ok";
      },
    });
    expect((await fetch(`${url}/dashboard`)).status).toBe(403);
    expect((await fetch(`${url}/dashboard`, { headers: { cookie: "session=no" } })).status).toBe(
      403,
    );
    expect(
      (await fetch(`${url}/dashboard`, { headers: { cookie: "session=ok", "x-boom": "1" } }))
        .status,
    ).toBe(403);
    const ok = await fetch(`${url}/dashboard/token`, { headers: { cookie: "session=ok" } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { token: string }).token).toMatch(/^\d+\.[\w-]+\.[\w-]+$/);
    expect(seen).toContain("/dashboard/token");
  });

  it("auth: false leaves the page open (explicitly)", async () => {
    const { url } = await withDashboard({ auth: false });
    expect((await fetch(`${url}/dashboard`)).status).toBe(200);
  });
});

describe("the dashboard's namespace", () => {
  it("refuses connections without a token, with a forged, altered or expired one", async () => {
    const { url } = await withDashboard({ tokenTtl: 1 });
    const good = await fetchToken(url);
    const [expiry, nonce, mac] = good.split(".") as [string, string, string];
    const forged = [
      {},
      { token: "" },
      { token: 42 },
      { token: "x.y.z" },
      { token: `${Number(expiry) + 60_000}.${nonce}.${mac}` },
      { token: `${expiry}.${nonce}.${mac.slice(0, -2)}AA` },
      { token: "9".repeat(300) },
    ];
    await new Promise((r) => setTimeout(r, 5)); // the 1 ms token has expired
    for (const auth of [...forged, { token: good }]) {
      const err = await connected(pageSocket(url, auth)).then(
        () => null,
        (e: Error & { data?: { code?: string } }) => e,
      );
      expect(err?.data?.code, JSON.stringify(auth)).toBe("SB_ERR_DASHBOARD_TOKEN");
    }
  });

  it("accepts a fresh token from the authenticated page; a token from another key fails", async () => {
    const { url } = await withDashboard();
    const other = await withDashboard({ auth: { username: USER, password: "another" } });
    const socket = await connected(pageSocket(url, { token: await fetchToken(url) }));
    expect(socket.connected).toBe(true);
    const foreign = await fetch(`${other.url}/dashboard/token`, {
      headers: { Authorization: `Basic ${Buffer.from(`${USER}:another`).toString("base64")}` },
    });
    const { token } = (await foreign.json()) as { token: string };
    await expect(connected(pageSocket(url, { token }))).rejects.toMatchObject({
      data: { code: "SB_ERR_DASHBOARD_TOKEN" },
    });
  });

  it("nodes with the same credentials accept each other's tokens (no sticky sessions needed)", async () => {
    const a = await withDashboard();
    const b = await withDashboard();
    await connected(pageSocket(b.url, { token: await fetchToken(a.url) }));
  });

  it("close() disconnects the pages and forgets the namespace", async () => {
    const { url, io, d } = await withDashboard();
    const socket = await connected(pageSocket(url, { token: await fetchToken(url) }));
    const gone = new Promise((r) => socket.once("disconnect", r));
    d.close();
    await gone;
    expect(io.namespaces.has("/_switchboard")).toBe(false);
  });
});

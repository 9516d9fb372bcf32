import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createClientFileHandler } from "../src/socket/serve-client.js";

const servers: Server[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function serve(handler: ReturnType<typeof createClientFileHandler>): Promise<string> {
  const http = createServer((req, res) => {
    if (!handler(req, res)) res.writeHead(418).end("not a client file");
  });
  servers.push(http);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

function bundleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "sb-bundle-"));
  dirs.push(dir);
  writeFileSync(join(dir, "socket.io.js"), "/* full */ var io;");
  writeFileSync(join(dir, "socket.io.min.js"), "var io;");
  writeFileSync(join(dir, "socket.io.min.js.map"), '{"version":3}');
  return dir;
}

describe("createClientFileHandler", () => {
  it("serves the bundles with ETag and Cache-Control, and 304 on If-None-Match", async () => {
    const url = await serve(createClientFileHandler("/socket.io", { bundleDir: bundleDir() }));
    const res = await fetch(`${url}/socket.io/socket.io.min.js?v=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/javascript/);
    expect(res.headers.get("cache-control")).toBe("public, max-age=0");
    const etag = res.headers.get("etag");
    expect(etag).toMatch(/^".+"$/);
    expect(await res.text()).toBe("var io;");

    const again = await fetch(`${url}/socket.io/socket.io.min.js`, {
      headers: { "if-none-match": etag! },
    });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(etag);
    expect(await again.text()).toBe("");

    const weak = await fetch(`${url}/socket.io/socket.io.min.js`, {
      headers: { "if-none-match": `"other", W/${etag}` },
    });
    expect(weak.status).toBe(304);

    const stale = await fetch(`${url}/socket.io/socket.io.min.js`, {
      headers: { "if-none-match": '"stale"' },
    });
    expect(stale.status).toBe(200);
  });

  it("serves source maps as JSON and distinct ETags per file", async () => {
    const url = await serve(createClientFileHandler("/socket.io/", { bundleDir: bundleDir() }));
    const map = await fetch(`${url}/socket.io/socket.io.min.js.map`);
    expect(map.status).toBe(200);
    expect(map.headers.get("content-type")).toMatch(/^application\/json/);
    const full = await fetch(`${url}/socket.io/socket.io.js`);
    expect(await full.text()).toBe("/* full */ var io;");
    expect(full.headers.get("etag")).not.toBe(map.headers.get("etag"));
    const head = await fetch(`${url}/socket.io/socket.io.js`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String("/* full */ var io;".length));
  });

  it("changes the ETag when the file changes", async () => {
    const dir = bundleDir();
    const url = await serve(createClientFileHandler("/socket.io", { bundleDir: dir }));
    const first = (await fetch(`${url}/socket.io/socket.io.js`)).headers.get("etag");
    writeFileSync(join(dir, "socket.io.js"), "var io = 2; // rebuilt");
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, "socket.io.js"), later, later);
    const res = await fetch(`${url}/socket.io/socket.io.js`, {
      headers: { "if-none-match": first! },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("var io = 2; // rebuilt");
  });

  it("answers 404 for a missing bundle file and leaves other requests alone", async () => {
    const url = await serve(createClientFileHandler("/socket.io", { bundleDir: bundleDir() }));
    expect((await fetch(`${url}/socket.io/socket.io.esm.min.js`)).status).toBe(404);
    const missingDir = join(tmpdir(), "sb-no-such-bundle-dir");
    const url2 = await serve(createClientFileHandler("/socket.io", { bundleDir: missingDir }));
    expect((await fetch(`${url2}/socket.io/socket.io.js`)).status).toBe(404);
    for (const path of [
      "/socket.io/",
      "/socket.io/other.js",
      "/socket.io/socket.io.js.gz",
      "/elsewhere/socket.io.js",
      "/socket.io/../socket.io.js",
    ]) {
      expect((await fetch(`${url}${path}`)).status, path).toBe(418);
    }
    expect((await fetch(`${url}/socket.io/socket.io.js`, { method: "POST" })).status).toBe(418);
  });

  it("finds @switchboard/client's built bundle by default", async () => {
    const url = await serve(createClientFileHandler("/socket.io"));
    const res = await fetch(`${url}/socket.io/socket.io.min.js`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("globalThis.io");
  });
});

// biome-ignore-all lint/suspicious/noExplicitAny: the page's globals and the server's sockets are driven untyped
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { Server } from "@switchboard/server";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { cleanupsAfterEach, sharedChromium } from "../../scripts/browser-suite.js";

// socket.io-client 2.x's browser bundle in Debian's headless Chromium against
// @switchboard/server with allowEIO3 (issue 13, part 4). A browser has XHR2, so over polling
// the client sends and receives Engine.IO v3 *binary* payloads (application/octet-stream),
// which socket.io-client 2.x in Node never does (it asks for b64=1). Its binary detection
// (has-binary2) knows ArrayBuffer, Blob and File, not typed arrays (serialised as JSON
// objects, whatever the server): the page sends ArrayBuffers.

const require = createRequire(import.meta.url);
const BUNDLE = readFileSync(
  join(dirname(require.resolve("socket.io-client-v2/package.json")), "dist", "socket.io.js"),
);

const PAGE = `<!doctype html><html><head><meta charset="utf-8"></head><body>
<script src="/client.js"></script>
<script>
var transports = new URLSearchParams(location.search).get("transports").split(",");
function describe(v) {
  if (v instanceof ArrayBuffer) return { ArrayBuffer: [...new Uint8Array(v)] };
  if (ArrayBuffer.isView(v)) return { [v.constructor.name]: [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)] };
  if (Array.isArray(v)) return v.map(describe);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, describe(x)]));
  return v;
}
var socket = io({ transports: transports, reconnection: false });
var chat = io("/chat", { transports: transports, reconnection: false, query: { room: "r1" } });
socket.on("connect", function () {
  report("connect", socket.io.engine.transport.name);
  for (var i = 0; i < 20; i++) socket.emit("seq", i, i % 5 ? null : new Uint8Array([i]).buffer);
});
socket.io.engine.on("upgrade", function (t) { report("upgrade", t.name); });
chat.on("connect", function () { report("chat-connect", chat.id); });
socket.on("error", function (e) { report("error", e); });
socket.on("bin", function () { report("bin", describe([].slice.call(arguments))); });
socket.on("question", function (n, bytes, ack) {
  ack({ n: n, got: describe(bytes) }, new Uint8Array(bytes).reverse().buffer, new Int16Array([1, -2]).buffer);
});
</script></body></html>`;

class Log {
  readonly entries: [string, unknown][] = [];
  readonly #waiters = new Set<() => void>();
  add(name: string, value: unknown): void {
    this.entries.push([name, value]);
    for (const wake of this.#waiters) wake();
  }
  values(name: string): unknown[] {
    return this.entries.filter(([n]) => n === name).map(([, v]) => v);
  }
  nth(name: string, n = 1, ms = 10_000): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const values = this.values(name);
        if (values.length < n) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(values[n - 1]);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(`timed out waiting for ${name} #${n}; log: ${JSON.stringify(this.entries)}`),
        );
      }, ms);
      this.#waiters.add(check);
      check();
    });
  }
}

function inspect(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return { Buffer: [...v] };
  if (Array.isArray(v)) return v.map(inspect);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, inspect(x)]));
  }
  return v;
}

const MODES = [
  { mode: "websocket only", transports: ["websocket"], last: "websocket" },
  { mode: "polling only", transports: ["polling"], last: "polling" },
  { mode: "polling → upgrade", transports: ["polling", "websocket"], last: "websocket" },
] as const;

const browser = sharedChromium();

const cleanups = cleanupsAfterEach();

/** Our server with allowEIO3 and the page; records the content types of polling traffic. */
async function start(log: Log): Promise<{ io: Server; port: number; types: Set<string> }> {
  const http = createServer((req, res) => {
    const path = req.url?.split("?")[0];
    if (path === "/app/page.html") res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
    else if (path === "/client.js") {
      res.writeHead(200, { "content-type": "application/javascript" }).end(BUNDLE);
    } else res.writeHead(404).end();
  });
  const io = new Server(http, { allowEIO3: true, serveClient: false });
  const types = new Set<string>();
  io.engine.on("headers", (headers: Record<string, unknown>, req: IncomingMessage) => {
    if (req.method === "POST") types.add(`POST ${req.headers["content-type"]}`);
    else types.add(`GET ${headers["Content-Type"]}`);
  });
  io.on("connection", (socket: any) => {
    log.add("connection", socket);
    socket.on("seq", (...args: unknown[]) => log.add("seq", inspect(args)));
    socket.on("echo", (...args: any[]) => args.pop()(...args));
    socket.on("send-bin", () =>
      socket.emit("bin", Buffer.from([1, 2, 3]), { nested: [new Uint8Array([4, 5]), "x"] }),
    );
  });
  io.of("/chat").on("connection", (socket: any) => log.add("chat", socket));
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    await io.close();
    http.closeAllConnections();
  });
  return { io, port: (http.address() as AddressInfo).port, types };
}

async function open(port: number, transports: readonly string[], log: Log): Promise<Page> {
  const page = await browser().newPage();
  cleanups.push(() => page.close());
  page.on("pageerror", (err) => log.add("pageerror", String(err)));
  await page.exposeFunction("report", (name: string, value: unknown) => log.add(name, value));
  await page.goto(`http://127.0.0.1:${port}/app/page.html?transports=${transports.join(",")}`);
  return page;
}

describe.each(MODES)(
  "socket.io-client 2.x browser bundle → Switchboard server: $mode",
  ({ transports, last }) => {
    it("connects to / and /chat, keeps order, acks and binary both ways", async () => {
      const log = new Log();
      const { port, types } = await start(log);
      const page = await open(port, transports, log);
      await log.nth("connect");
      if (last !== transports[0]) expect(await log.nth("upgrade")).toBe(last);
      const socket: any = await log.nth("connection");
      if (socket.conn.transport.name !== last) {
        await new Promise((resolve) => socket.conn.once("upgrade", resolve));
      }
      expect(socket.conn.protocol).toBe(3);

      // the namespace: query as auth, the id the page computed is the server's
      const chat: any = await log.nth("chat");
      expect(chat.handshake.auth).toEqual({ room: "r1" });
      expect(await log.nth("chat-connect")).toBe(chat.id);

      await log.nth("seq", 20);
      expect(log.values("seq")).toEqual(
        Array.from({ length: 20 }, (_, i) => [i, i % 5 ? null : { Buffer: [i] }]),
      );

      // page → server → page: binary comes back as ArrayBuffer
      const echoed = await page.evaluate(() => {
        const w = window as any;
        return new Promise((resolve) =>
          w.socket.emit("echo", "hi", { bytes: new Uint8Array([1, 2]).buffer }, (...a: unknown[]) =>
            resolve(w.describe(a)),
          ),
        );
      });
      expect(echoed).toEqual(["hi", { bytes: { ArrayBuffer: [1, 2] } }]);

      // server → page with an ack carrying typed arrays
      const answer = await new Promise<unknown[]>((resolve, reject) =>
        socket
          .timeout(5000)
          .emit("question", 7, Buffer.from([1, 2, 3]), (err: Error | null, ...a: unknown[]) =>
            err ? reject(err) : resolve(a),
          ),
      );
      expect(inspect(answer)).toEqual([
        { n: 7, got: { ArrayBuffer: [1, 2, 3] } },
        { Buffer: [3, 2, 1] },
        { Buffer: [1, 0, 254, 255] },
      ]);

      await page.evaluate(() => (window as any).socket.emit("send-bin"));
      expect(await log.nth("bin")).toEqual([
        { ArrayBuffer: [1, 2, 3] },
        { nested: [{ ArrayBuffer: [4, 5] }, "x"] },
      ]);

      if (last === "polling") {
        // XHR2: binary went as Engine.IO v3 binary payloads, both ways
        expect(types).toContain("GET application/octet-stream");
        expect(types).toContain("POST application/octet-stream");
      }
      expect(log.values("error")).toEqual([]);
      expect(log.values("pageerror")).toEqual([]);
    });
  },
);

// biome-ignore-all lint/suspicious/noExplicitAny: server-side sockets are driven through the socket.io API untyped
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { sharedChromium } from "../../../scripts/browser-suite.js";
import { closeAll, type ServerFactory, startServer } from "./helpers.js";
import { serverKinds } from "./servers.js";

const require = createRequire(import.meta.url);
const bundleDir = join(
  dirname(require.resolve("@switchboard/client/package.json")),
  "dist",
  "bundle",
);

const page = `<!doctype html><html><head><meta charset="utf-8"></head><body>
<script src="/sb/socket.io.min.js"></script>
</body></html>`;

/** Serves the test page and the IIFE bundle, then lets the socket.io server attach. */
const withStaticFiles =
  (factory: ServerFactory): ServerFactory =>
  (http, options) => {
    http.on("request", (req, res) => {
      if (req.url === "/") {
        res.writeHead(200, { "content-type": "text/html" }).end(page);
      } else if (req.url === "/sb/socket.io.min.js" || req.url === "/sb/socket.io.min.js.map") {
        res
          .writeHead(200, { "content-type": "application/javascript" })
          .end(readFileSync(join(bundleDir, req.url.slice(4))));
      } else if (req.url?.startsWith("/favicon")) {
        res.writeHead(404).end();
      }
    });
    return factory(http, { ...options, serveClient: false });
  };

function setup(srv: any): void {
  srv
    .of("/locked")
    .use((_s: any, next: (err: Error) => void) =>
      next(Object.assign(new Error("locked out"), { data: { code: 4 } })),
    );
  srv.on("connection", (s: any) => {
    let flakyCalls = 0;
    s.on("flaky", (ack: (n: number) => void) => {
      if (++flakyCalls > 1) ack(flakyCalls); // the first try goes unanswered
    });
    s.on("echo", (...args: any[]) => {
      const ack = args.pop();
      ack(...args);
    });
    s.on("describe", (value: unknown, ack: (d: unknown) => void) =>
      ack(
        Buffer.isBuffer(value)
          ? { buffer: [...value] }
          : Object.fromEntries(
              Object.entries(value as object).map(([k, v]) => [k, Buffer.isBuffer(v) ? [...v] : v]),
            ),
      ),
    );
    s.emit("hello", { bytes: Buffer.from([1, 2, 3]) });
  });
}

const browser = sharedChromium();

let current: Page | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
  await closeAll();
});

describe.each(serverKinds)(
  "the IIFE bundle in Chromium against the $name server",
  ({ factory }) => {
    it.each([
      ["polling then websocket", ["polling", "websocket"]],
      ["websocket only", ["websocket"]],
      ["polling only", ["polling"]],
    ])(
      "connects, exchanges events and binary, and survives a restart (%s)",
      async (_n, transports) => {
        const server = await startServer(withStaticFiles(factory), setup);
        const errors: string[] = [];
        current = await browser().newPage();
        current.on("pageerror", (err) => errors.push(String(err)));
        await current.goto(`${server.url}/`);
        expect(await current.evaluate(() => typeof (window as any).io)).toBe("function");

        const first = await current.evaluate(async (transports) => {
          const w = window as any;
          const socket = w.io({ transports, reconnectionDelay: 50, reconnectionDelayMax: 200 });
          w.socket = socket;
          w.events = [];
          socket.io.on("reconnect_attempt", (n: number) => w.events.push(`attempt ${n}`));
          socket.io.on("reconnect", (n: number) => w.events.push(`reconnect ${n}`));
          socket.on("disconnect", (reason: string) => w.events.push(`disconnect ${reason}`));
          const [hello] = await new Promise<any[]>((resolve) =>
            socket.once("hello", (...a: any[]) => resolve(a)),
          );
          const echoed = await socket.emitWithAck("echo", "text", { n: 1 });
          const bytes = new Uint8Array([10, 20, 30]);
          const described = await socket.emitWithAck("describe", {
            ab: bytes.buffer,
            view: bytes.subarray(1),
            blob: new Blob([new Uint8Array([7, 7])]),
            text: "x",
          });
          const back = await socket.emitWithAck("echo", new Uint8Array([5, 6]));
          return {
            connected: socket.connected,
            helloIsArrayBuffer: hello.bytes instanceof ArrayBuffer,
            hello: [...new Uint8Array(hello.bytes)],
            echoed,
            described,
            back: back instanceof ArrayBuffer ? [...new Uint8Array(back)] : "not an ArrayBuffer",
          };
        }, transports);
        expect(first).toEqual({
          connected: true,
          helloIsArrayBuffer: true,
          hello: [1, 2, 3],
          echoed: "text",
          described: { ab: [10, 20, 30], view: [20, 30], blob: [7, 7], text: "x" },
          back: [5, 6],
        });

        await server.stop();
        await current.waitForFunction(() => (window as any).events.includes("attempt 1"));
        await server.start();
        await current.waitForFunction(() => (window as any).socket.connected, undefined, {
          timeout: 10_000,
        });
        const after = await current.evaluate(async () => {
          const w = window as any;
          return { echoed: await w.socket.emitWithAck("echo", "again"), events: w.events };
        });
        expect(after.echoed).toBe("again");
        expect(after.events[0]).toMatch(/^disconnect transport (close|error)$/);
        expect(after.events).toContain("attempt 1");
        expect(after.events.at(-1)).toMatch(/^reconnect \d+$/);
        expect(errors).toEqual([]);
      },
    );

    it("retries unanswered emits, times out acks and reports a refused namespace", async () => {
      const server = await startServer(withStaticFiles(factory), setup);
      const errors: string[] = [];
      current = await browser().newPage();
      current.on("pageerror", (err) => errors.push(String(err)));
      await current.goto(`${server.url}/`);
      const result = await current.evaluate(async () => {
        const io = (window as any).io;
        const socket = io({ retries: 2, ackTimeout: 200 });
        const flaky = await socket.emitWithAck("flaky");
        const timedOut = await socket
          .timeout(50)
          .emitWithAck("nobody-listens")
          .catch((err: any) => ({ message: err.message, code: err.code }));
        const locked = io("/locked");
        const refusal = await new Promise<any>((resolve) =>
          locked.on("connect_error", (err: any) =>
            resolve({ message: err.message, data: err.data, code: err.code }),
          ),
        );
        return { flaky, timedOut, refusal, active: locked.active };
      });
      expect(result).toEqual({
        flaky: 2,
        timedOut: { message: "operation has timed out", code: "SB_ERR_ACK_TIMEOUT" },
        refusal: { message: "locked out", data: { code: 4 }, code: "SB_ERR_CONNECT_REFUSED" },
        active: false,
      });
      expect(errors).toEqual([]);
    });
  },
);

// biome-ignore-all lint/suspicious/noExplicitAny: the page's globals and the two servers are driven through the same untyped API
import { readFileSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { Server as SwitchboardServer } from "@switchboard/server";
import type { Page } from "playwright-core";
import { Server as OfficialServer } from "socket.io";
import { describe, expect, it } from "vitest";
import { cleanupsAfterEach, sharedChromium } from "../../scripts/browser-suite.js";

// Browsers both ways (issue 13): in Debian's headless Chromium, the official socket.io-client
// browser bundle against our server, and our browser bundle against the official socket.io
// server. The page is served from the server under test (same origin, `io()` without a URL)
// at a path with a query, like a real app page, and reports what it sees through `report`.

const require = createRequire(import.meta.url);
const bundleOf = (pkg: string) =>
  readFileSync(join(dirname(require.resolve(`${pkg}/package.json`)), "dist", "socket.io.min.js"));
const OFFICIAL_BUNDLE = bundleOf("socket.io-client");
// `dist/bundle/` of the client is built by `npm run build`; the package exports it.
const SWITCHBOARD_BUNDLE = readFileSync(
  require.resolve("@switchboard/client/dist/bundle/socket.io.min.js"),
);

const PAGE = `<!doctype html><html><head><meta charset="utf-8"></head><body>
<script src="/client.js"></script>
<script>
// var and function: globals the test reaches as window.socket and window.describe
var transports = new URLSearchParams(location.search).get("transports").split(",");
// what arrived, by type: binary as { <type>: [bytes] } (a Blob by its size)
function describe(v) {
  if (v instanceof ArrayBuffer) return { ArrayBuffer: [...new Uint8Array(v)] };
  if (ArrayBuffer.isView(v)) {
    return { [v.constructor.name]: [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)] };
  }
  if (v instanceof Blob) return { Blob: v.size };
  if (Array.isArray(v)) return v.map(describe);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, describe(x)]));
  }
  return v;
}
var socket = io({ transports, reconnectionDelay: 100, reconnectionDelayMax: 400 });
let connects = 0;
socket.on("connect", () => {
  report("connect", socket.io.engine.transport.name);
  // right at the first connect, while an upgrade probe may be under way: order and binary kept
  if (++connects === 1) for (let i = 0; i < 20; i++) socket.emit("seq", i, i % 5 ? null : new Uint8Array([i]));
});
socket.on("disconnect", (reason) => report("disconnect", reason));
socket.on("connect_error", (err) => report("connect_error", err.message));
socket.io.on("reconnect_error", () => report("reconnect_error", null));
socket.io.on("open", () => {
  report("open", socket.io.engine.transport.name);
  socket.io.engine.on("upgrade", (t) => report("upgrade", t.name));
});
socket.on("bin", (...args) => report("bin", describe(args)));
socket.on("question", (n, bytes, ack) => {
  const reversed = new Uint8Array(bytes.slice(0)).reverse();
  ack({ n, got: describe(bytes) }, reversed, new Int16Array([1, -2]), new Blob([new Uint8Array([9, 8])]));
});
</script></body></html>`;

/** What one side reported, in order, with bounded waits for what has not come yet. */
class Log {
  readonly #entries: [string, unknown][] = [];
  readonly #waiters = new Set<() => void>();

  add(name: string, value: unknown): void {
    this.#entries.push([name, value]);
    for (const wake of this.#waiters) wake();
  }

  values(name: string): unknown[] {
    return this.#entries.filter(([n]) => n === name).map(([, v]) => v);
  }

  /** The `n`th value reported under `name` (1-based), waiting at most `ms`. */
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
          new Error(`timed out waiting for ${name} #${n}; log: ${JSON.stringify(this.#entries)}`),
        );
      }, ms);
      this.#waiters.add(check);
      check();
    });
  }
}

/** The first `event` of `emitter`, waiting at most `ms`. */
function once(emitter: any, event: string, ms = 10_000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), ms);
    emitter.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

/** What the server saw: Node Buffers as { Buffer: [bytes] }, anything else as is. */
function inspect(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return { Buffer: [...v] };
  if (v instanceof ArrayBuffer) return { ArrayBuffer: [...new Uint8Array(v)] };
  if (ArrayBuffer.isView(v)) {
    return { [v.constructor.name]: [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)] };
  }
  if (Array.isArray(v)) return v.map(inspect);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, inspect(x)]));
  }
  return v;
}

/** The same handlers on either server (both have the socket.io server API). */
function setup(io: any, log: Log): void {
  io.on("connection", (socket: any) => {
    log.add("connection", socket);
    socket.on("seq", (...args: unknown[]) => log.add("seq", inspect(args)));
    socket.on("echo", (...args: any[]) => args.pop()(...args));
    socket.on("inspect", (...args: any[]) => args.pop()(inspect(args)));
    socket.on("note", (...args: any[]) => {
      const ack = typeof args.at(-1) === "function" ? args.pop() : undefined;
      log.add("note", inspect(args));
      ack?.("noted");
    });
    socket.on("send-bin", () =>
      socket.emit("bin", Buffer.from([1, 2, 3]), {
        nested: [new Uint8Array([4, 5]), "x"],
        raw: new Uint8Array([6, 7]).buffer,
      }),
    );
  });
}

interface Running {
  port: number;
  close(): Promise<void>;
}

/** An HTTP server with the page and a client bundle, under one of the two servers. */
async function serve(
  bundle: Buffer,
  attach: (http: HttpServer) => { close(): unknown },
  log: Log,
  port: number,
): Promise<Running> {
  const http = createServer((req, res) => {
    const path = req.url?.split("?")[0];
    if (path === "/app/page.html") res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
    else if (path === "/client.js") {
      res.writeHead(200, { "content-type": "application/javascript" }).end(bundle);
    } else res.writeHead(404).end(); // the servers answer their own path themselves
  });
  const io = attach(http);
  setup(io, log);
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, "127.0.0.1", resolve);
  });
  let closed: Promise<void> | undefined;
  return {
    port: (http.address() as AddressInfo).port,
    close() {
      // every connection goes, as when the process dies: sessions, keep-alive, pending polls
      closed ??= Promise.all([io.close(), http.closeAllConnections()]).then(() => undefined);
      return closed;
    },
  };
}

const PAIRINGS = [
  {
    name: "socket.io-client 4.x browser bundle → Switchboard server",
    start: (log: Log, port = 0) =>
      serve(
        OFFICIAL_BUNDLE,
        (http) => new SwitchboardServer(http, { serveClient: false }),
        log,
        port,
      ),
  },
  {
    name: "Switchboard browser bundle → socket.io 4.x server",
    start: (log: Log, port = 0) =>
      serve(
        SWITCHBOARD_BUNDLE,
        (http) => new OfficialServer(http, { serveClient: false }),
        log,
        port,
      ),
  },
] as const;

const MODES = [
  { mode: "websocket only", transports: ["websocket"], first: "websocket", last: "websocket" },
  { mode: "polling only", transports: ["polling"], first: "polling", last: "polling" },
  {
    mode: "polling → upgrade",
    transports: ["polling", "websocket"],
    first: "polling",
    last: "websocket",
  },
] as const;

const browser = sharedChromium();

const cleanups = cleanupsAfterEach();

/** Opens the page against `port`; uncaught page errors are collected. */
async function open(
  port: number,
  transports: readonly string[],
  log: Log,
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser().newPage();
  cleanups.push(() => page.close());
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  await page.exposeFunction("report", (name: string, value: unknown) => log.add(name, value));
  await page.goto(`http://127.0.0.1:${port}/app/page.html?transports=${transports.join(",")}`);
  return { page, errors };
}

describe.each(PAIRINGS)("$name", ({ start }) => {
  describe.each(MODES)("$mode", ({ transports, first, last }) => {
    /** The `n`th connection, upgraded on both ends where the mode upgrades; returns the server-side socket. */
    async function connected(log: Log, page: Page, n = 1): Promise<any> {
      expect(await log.nth("open", n)).toBe(first);
      await log.nth("connect", n); // on either transport: an upgrade may finish before it
      if (last !== first) expect(await log.nth("upgrade", n)).toBe(last);
      const socket: any = await log.nth("connection", n);
      // the page reports its upgrade when it sends the upgrade packet, maybe before we read it
      if (socket.conn.transport.name !== last) await once(socket.conn, "upgrade");
      expect(socket.conn.transport.name).toBe(last);
      expect(await page.evaluate(() => (window as any).socket.io.engine.transport.name)).toBe(last);
      return socket;
    }

    it("connects and keeps the order of what was sent at connect (also during the upgrade)", async () => {
      const log = new Log();
      const server = await start(log);
      cleanups.push(() => server.close());
      const { page, errors } = await open(server.port, transports, log);
      await connected(log, page);
      await log.nth("seq", 20);
      expect(log.values("seq")).toEqual(
        Array.from({ length: 20 }, (_, i) => [i, i % 5 ? null : { Buffer: [i] }]),
      );
      expect(log.values("connect_error")).toEqual([]);
      expect(errors).toEqual([]);
    });

    it("acks both ways, with binary in them", async () => {
      const log = new Log();
      const server = await start(log);
      cleanups.push(() => server.close());
      const { page, errors } = await open(server.port, transports, log);
      const socket = await connected(log, page);

      // page → server, the server answers in the ack (binary arrives as ArrayBuffer)
      const echoed = await page.evaluate(async () => {
        const w = window as any;
        const args = await new Promise<unknown[]>((resolve) =>
          w.socket.emit("echo", "hi", { n: 1 }, new Uint8Array([1, 2]), (...a: unknown[]) =>
            resolve(a),
          ),
        );
        const single = await w.socket.timeout(5000).emitWithAck("echo", [new Uint8Array([3])]);
        return w.describe([args, single]);
      });
      expect(echoed).toEqual([["hi", { n: 1 }, { ArrayBuffer: [1, 2] }], [{ ArrayBuffer: [3] }]]);

      // server → page, the page answers in the ack (typed array and Blob arrive as Buffers)
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
        { Buffer: [9, 8] },
      ]);
      expect(errors).toEqual([]);
    });

    it("sends ArrayBuffer, typed arrays and Blob from the page; receives binary as ArrayBuffer", async () => {
      const log = new Log();
      const server = await start(log);
      cleanups.push(() => server.close());
      const { page, errors } = await open(server.port, transports, log);
      await connected(log, page);

      const seen = await page.evaluate(() => {
        const w = window as any;
        const bytes = new Uint8Array([0, 1, 2, 3, 4, 5]);
        return w.socket
          .timeout(5000)
          .emitWithAck(
            "inspect",
            bytes.buffer,
            new Uint8Array([255, 0]),
            new Int16Array([1, -2]),
            new Float32Array([1.5]),
            new DataView(bytes.buffer, 4, 2),
            bytes.subarray(1, 3),
            { blob: new Blob([new Uint8Array([7, 7, 7])]), text: "t" },
          );
      });
      expect(seen).toEqual([
        { Buffer: [0, 1, 2, 3, 4, 5] },
        { Buffer: [255, 0] },
        { Buffer: [1, 0, 254, 255] },
        { Buffer: [0, 0, 192, 63] },
        { Buffer: [4, 5] },
        { Buffer: [1, 2] },
        { blob: { Buffer: [7, 7, 7] }, text: "t" },
      ]);

      await page.evaluate(() => (window as any).socket.emit("send-bin"));
      expect(await log.nth("bin")).toEqual([
        { ArrayBuffer: [1, 2, 3] },
        { nested: [{ ArrayBuffer: [4, 5] }, "x"], raw: { ArrayBuffer: [6, 7] } },
      ]);
      expect(errors).toEqual([]);
    });

    it("reconnects by itself after the server restarts, delivering what was emitted offline", async () => {
      const log = new Log();
      const server = await start(log);
      cleanups.push(() => server.close());
      const { port } = server;
      const { page, errors } = await open(port, transports, log);
      await connected(log, page);

      await server.close();
      // polling: the pending request may fail before the close packet is read
      const reason = await log.nth("disconnect");
      expect(["transport close", "transport error"]).toContain(reason);
      await page.evaluate(() => {
        const w = window as any;
        w.socket.emit("note", "offline", new Uint8Array([1]));
        w.offlineAck = w.socket.timeout(15_000).emitWithAck("note", "with ack", new Blob(["b"]));
      });
      // the page tried at least once while nothing listened
      await log.nth("reconnect_error");

      const again = await start(log, port);
      cleanups.push(() => again.close());
      await connected(log, page, 2);
      expect(await page.evaluate(() => (window as any).offlineAck)).toBe("noted");
      expect(log.values("note")).toEqual([
        ["offline", { Buffer: [1] }],
        ["with ack", { Buffer: [98] }],
      ]);
      expect(await page.evaluate(() => (window as any).socket.connected)).toBe(true);
      expect(errors).toEqual([]);
    });
  });
});

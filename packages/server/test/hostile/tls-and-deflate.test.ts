import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Server, type ServerOptions, type Socket } from "@switchboard/server";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { until, watchProcess } from "./harness.js";

let dir: string;
let key: Buffer;
let cert: Buffer;

beforeAll(() => {
  // A throwaway self-signed certificate. No openssl → this throws and the suite fails.
  dir = mkdtempSync(join(tmpdir(), "switchboard-tls-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=localhost",
      "-days",
      "1",
      "-keyout",
      join(dir, "k.pem"),
      "-out",
      join(dir, "c.pem"),
    ],
    { stdio: "pipe", timeout: 20_000 },
  );
  key = readFileSync(join(dir, "k.pem"));
  cert = readFileSync(join(dir, "c.pem"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const cleanups: (() => unknown)[] = [];
let watch: ReturnType<typeof watchProcess>;

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  expect(watch.stop()).toEqual([]);
});

/** Payloads in a fixed order: text and binary, under and over the 1024-byte deflate threshold. */
function payloads(): unknown[] {
  const out: unknown[] = [];
  for (const size of [1, 500, 1500, 20_000, 120_000]) {
    out.push("t".repeat(size));
    out.push(Buffer.alloc(size, size % 251));
    out.push({ size, text: "é€😀".repeat(Math.ceil(size / 8)), bin: Buffer.alloc(size, 7) });
  }
  return out;
}

function same(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) || a instanceof Uint8Array) {
    return (Buffer.isBuffer(b) || b instanceof Uint8Array) && Buffer.compare(a, b) === 0;
  }
  if (typeof a === "object" && a !== null) {
    if (typeof b !== "object" || b === null) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) =>
      same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    );
  }
  return a === b;
}

async function start(tls: boolean, options: Partial<ServerOptions> = {}) {
  watch = watchProcess();
  const http = tls ? createHttpsServer({ key, cert }) : createHttpServer();
  const io = new Server(http, { serveClient: false, ...options });
  const received: unknown[] = [];
  io.on("connection", (socket: Socket) => {
    socket.on("up", (i: number, value: unknown, ack: (n: number) => void) => {
      received[i] = value;
      socket.emit("down", i, value);
      ack(i);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  cleanups.push(async () => {
    await io.close();
    http.closeAllConnections();
  });
  return { io, received, url: `${tls ? "https" : "http"}://127.0.0.1:${port}` };
}

function connect(url: string, transports: string[], extra: Record<string, unknown> = {}) {
  const socket = ioc(url, {
    transports,
    forceNew: true,
    reconnection: false,
    rejectUnauthorized: false,
    ...extra,
  });
  cleanups.push(() => socket.disconnect());
  return socket;
}

async function connected(socket: ClientSocket): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no connect")), 10_000);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once("connect_error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Sends every payload up (without waiting), checks acks, echoes and order both ways. */
async function exchange(socket: ClientSocket, received: unknown[]): Promise<void> {
  const sent = payloads();
  const down: [number, unknown][] = [];
  socket.on("down", (i: number, value: unknown) => down.push([i, value]));
  const acks = sent.map((value, i) => socket.timeout(10_000).emitWithAck("up", i, value));
  expect(await Promise.all(acks)).toEqual(sent.map((_v, i) => i));
  await until(() => down.length === sent.length, 10_000, "every echo");
  expect(down.map(([i]) => i)).toEqual(sent.map((_v, i) => i));
  for (let i = 0; i < sent.length; i++) {
    expect(same(received[i], sent[i]), `up ${i}`).toBe(true);
    expect(same(down[i]![1], sent[i]), `down ${i}`).toBe(true);
  }
}

describe("over TLS (https.Server, self-signed)", () => {
  for (const transports of [["polling"], ["websocket"], ["polling", "websocket"]]) {
    it(`official client over ${transports.join("+")}: text and binary intact, in order`, async () => {
      const { io, received, url } = await start(true);
      const socket = connect(url, transports);
      await connected(socket);
      if (transports.length === 2) {
        await until(() => socket.io.engine.transport.name === "websocket", 10_000, "upgrade");
      }
      await exchange(socket, received);
      expect(io.engine.clientsCount).toBe(1);
    });
  }
});

describe("per-message deflate", () => {
  for (const tls of [false, true]) {
    it(`negotiated by the official client${tls ? " over TLS" : ""}: messages intact, in order`, async () => {
      const { received, url } = await start(tls, { perMessageDeflate: true });
      const socket = connect(url, ["websocket"], { perMessageDeflate: { threshold: 1024 } });
      await connected(socket);
      const ws = (socket.io.engine.transport as unknown as { ws: { extensions: string } }).ws;
      expect(ws.extensions).toContain("permessage-deflate");
      await exchange(socket, received);
    });
  }

  it("a client that does not ask for deflate still gets plain frames", async () => {
    const { received, url } = await start(false, { perMessageDeflate: true });
    const socket = connect(url, ["websocket"], { perMessageDeflate: false });
    await connected(socket);
    const ws = (socket.io.engine.transport as unknown as { ws: { extensions: string } }).ws;
    expect(ws.extensions).toBe("");
    await exchange(socket, received);
  });
});

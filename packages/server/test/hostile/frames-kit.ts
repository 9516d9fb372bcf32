import { createServer, type Server as HttpServer } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { Server, type ServerOptions } from "@switchboard/server";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { expect } from "vitest";
import { maskedFrame, track } from "../engine/helpers.js";
import { until } from "./harness.js";

export { maskedFrame as frame };

/** Options of a target server (engine options pass through `Server`). */
export type TargetOptions = Partial<ServerOptions>;

/** The two WebSocket paths: the engine's own framing, and `ws` (chosen by perMessageDeflate). */
export const PATHS = [
  { path: "direct", perMessageDeflate: false },
  { path: "ws", perMessageDeflate: true },
] as const;

// ---- a raw TCP peer: exact bytes out, server frames parsed in ----

/** One frame from the server (never masked). */
export interface ServerFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  payload: Buffer;
}

/**
 * A raw TCP connection to the server: writes exactly the bytes a test gives it, parses the
 * HTTP answer head and then (after a 101) the server's WebSocket frames. Never closes by
 * itself: a close seen here was the server's doing.
 */
export class RawPeer {
  readonly socket: Socket;
  /** Status line and headers of the answer ("" until complete). */
  head = "";
  status = 0;
  /** Bytes after the head of a non-101 answer. */
  body: Buffer = Buffer.alloc(0);
  readonly frames: ServerFrame[] = [];
  /** The server sent FIN (or the socket closed). */
  ended = false;
  closed = false;
  error: Error | undefined;
  #rest: Buffer = Buffer.alloc(0);

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", (err) => {
      this.error = err;
    });
    socket.on("end", () => {
      this.ended = true;
    });
    socket.once("close", () => {
      this.ended = true;
      this.closed = true;
    });
  }

  #onData(chunk: Buffer): void {
    this.#rest = this.#rest.length === 0 ? chunk : Buffer.concat([this.#rest, chunk]);
    if (this.status === 0) {
      const end = this.#rest.indexOf("\r\n\r\n");
      if (end === -1) return;
      this.head = this.#rest.subarray(0, end).toString("latin1");
      this.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(this.head)?.[1] ?? -1);
      this.#rest = this.#rest.subarray(end + 4);
    }
    if (this.status !== 101) {
      this.body = Buffer.concat([this.body, this.#rest]);
      this.#rest = Buffer.alloc(0);
      return;
    }
    for (;;) {
      const r = this.#rest;
      if (r.length < 2) return;
      let len = r[1]! & 0x7f;
      let h = 2;
      if (len === 126) {
        if (r.length < 4) return;
        len = r.readUInt16BE(2);
        h = 4;
      } else if (len === 127) {
        if (r.length < 10) return;
        len = Number(r.readBigUInt64BE(2));
        h = 10;
      }
      if (r.length < h + len) return;
      this.frames.push({
        fin: (r[0]! & 0x80) !== 0,
        rsv: (r[0]! >> 4) & 7,
        opcode: r[0]! & 0x0f,
        payload: Buffer.from(r.subarray(h, h + len)),
      });
      this.#rest = r.subarray(h + len);
    }
  }

  write(bytes: Buffer | string): boolean {
    return this.socket.write(bytes);
  }

  /** Text frames received, in order. */
  texts(): string[] {
    return this.frames.filter((f) => f.opcode === 1).map((f) => f.payload.toString("utf8"));
  }

  /** Payloads of the pong frames received. */
  pongs(): Buffer[] {
    return this.frames.filter((f) => f.opcode === 0xa).map((f) => f.payload);
  }

  /** The server's close frame, if one arrived. */
  closeFrame(): ServerFrame | undefined {
    return this.frames.find((f) => f.opcode === 8);
  }

  /** Code of the server's close frame; 1005 ("no status", RFC 6455 7.1.5) for an empty one. */
  closeCode(): number | undefined {
    const f = this.closeFrame();
    if (f === undefined) return undefined;
    return f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
  }

  /** Waits for the server's close frame; resolves with its code. */
  async waitClose(ms = 3000): Promise<number> {
    await until(() => this.closeFrame() !== undefined, ms, "close frame from the server");
    return this.closeCode()!;
  }

  /** Waits until the server has closed the connection (this peer never closes it). */
  async waitEnd(ms = 3000): Promise<void> {
    await until(() => this.closed, ms, "connection closed by the server");
  }

  /** Waits for a text frame that passes `match`. */
  async waitText(match: (text: string) => boolean, ms = 3000): Promise<string> {
    await until(() => this.texts().some(match), ms, "text frame");
    return this.texts().find(match)!;
  }

  /** Sends Socket.IO CONNECT to "/" and waits for its answer. */
  async joinMain(): Promise<void> {
    this.write(maskedFrame(1, Buffer.from("40")));
    await this.waitText((t) => t.startsWith("40{"));
  }

  /** Resolves true on "drain", false when the socket closes or after `ms` (it stalled). */
  drained(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.socket.off("drain", onDrain);
        this.socket.off("close", onClose);
        resolve(value);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), ms);
      this.socket.on("drain", onDrain);
      this.socket.on("close", onClose);
    });
  }
}

/** Opens a TCP connection to 127.0.0.1:`port` and writes `request` (an HTTP head, maybe more). */
export async function rawRequest(port: number, request: string | Buffer): Promise<RawPeer> {
  const socket = connect(port, "127.0.0.1");
  track(() => {
    socket.destroy();
  });
  const peer = new RawPeer(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.setNoDelay(true);
  socket.write(request);
  return peer;
}

/**
 * A raw WebSocket on the engine path, without Sec-WebSocket-Extensions (so, with
 * perMessageDeflate on, it still goes through `ws`). Waits for the 101 and the open packet.
 */
export async function openWebSocket(
  port: number,
  headers: Record<string, string> = {},
): Promise<RawPeer> {
  let head = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n";
  const all: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
    ...headers,
  };
  for (const [k, v] of Object.entries(all)) head += `${k}: ${v}\r\n`;
  const peer = await rawRequest(port, `${head}\r\n`);
  await until(() => peer.status !== 0 || peer.closed, 3000, "upgrade answer");
  expect(peer.head).toMatch(/^HTTP\/1\.1 101 /);
  await peer.waitText((t) => t.startsWith("0{"));
  return peer;
}

/** `frame` with RSV bits (0x40 RSV1, 0x20 RSV2, 0x10 RSV3) set on its first byte. */
export function withRsv(bytes: Buffer, rsv: number): Buffer {
  const out = Buffer.from(bytes);
  out[0] = out[0]! | rsv;
  return out;
}

/** A close frame from the client with `code` (and `reason` bytes). */
export function closeFrame(code: number, reason: Buffer = Buffer.alloc(0)): Buffer {
  const payload = Buffer.alloc(2 + reason.length);
  payload.writeUInt16BE(code, 0);
  reason.copy(payload, 2);
  return maskedFrame(8, payload);
}

/** `count` copies of `unit` in one Buffer (a flood written in large writes). */
export function repeat(unit: Buffer, count: number): Buffer {
  const out = Buffer.allocUnsafe(unit.length * count);
  for (let i = 0; i < count; i++) unit.copy(out, i * unit.length);
  return out;
}

// ---- a target server with a healthy official client ----

/** A Switchboard server on 127.0.0.1 (port 0) with one healthy socket.io-client. */
export interface Target {
  io: Server;
  http: HttpServer;
  port: number;
  url: string;
  healthy: ClientSocket;
  /** Engine close reasons of every session other than the healthy one. */
  reasons: string[];
  /** The healthy client still gets its acks. */
  check(n: number): Promise<void>;
}

/** Answers "echo" with its argument (acks are what the healthy client checks). */
export function echo(io: Server): void {
  io.on("connection", (socket) => {
    socket.on("echo", (value: unknown, ack?: unknown) => {
      if (typeof ack === "function") ack(value);
    });
  });
}

/** Connects an official socket.io-client over WebSocket and waits for "connect". */
export async function healthyClient(
  url: string,
  extraHeaders: Record<string, string> = {},
): Promise<ClientSocket> {
  const client = ioc(url, {
    transports: ["websocket"],
    forceNew: true,
    reconnection: false,
    extraHeaders,
  });
  track(() => {
    client.disconnect();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("healthy client did not connect")), 5000);
    client.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return client;
}

/** Checks one ack round trip of `client`. */
export async function expectAck(client: ClientSocket, n: number): Promise<void> {
  expect(client.connected).toBe(true);
  expect(await client.timeout(3000).emitWithAck("echo", n)).toBe(n);
}

/** Starts a target server; closed by the engine helpers' `closeAll` in afterEach. */
export async function startTarget(options: TargetOptions = {}): Promise<Target> {
  const http = createServer();
  const io = new Server(http, { serveClient: false, ...options });
  echo(io);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  track(async () => {
    await io.close();
    http.closeAllConnections();
  });
  const port = (http.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const healthy = await healthyClient(url);
  const reasons: string[] = [];
  io.engine.on("connection", (conn: { on(e: "close", f: (reason: string) => void): void }) => {
    conn.on("close", (reason) => reasons.push(reason));
  });
  return { io, http, port, url, healthy, reasons, check: (n) => expectAck(healthy, n) };
}

/**
 * Keeps the healthy client's acks flowing in the background while an attack runs;
 * `stop()` waits for the round trip in flight and reports.
 */
export function ackPump(client: ClientSocket): {
  stop(): Promise<{ ok: number; failed: unknown[] }>;
} {
  let running = true;
  let ok = 0;
  const failed: unknown[] = [];
  const loop = (async () => {
    for (let n = 0; running && n < 10_000; n++) {
      try {
        const answer = await client.timeout(3000).emitWithAck("echo", n);
        if (answer === n) ok++;
        else failed.push(answer);
      } catch (err) {
        failed.push(err);
      }
      // Pacing only (not a correctness wait): a round trip every ~20 ms.
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      // At least one round trip completes while the attack's effects are still there.
      await until(() => ok > 0 || failed.length > 0, 5000, "an ack during the attack");
      running = false;
      await loop;
      return { ok, failed };
    },
  };
}

import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Duplex } from "node:stream";
import { Socket as ClientSocket, type SocketOptions } from "engine.io-client";
import { WebSocket } from "ws";
import {
  type EngineConnection,
  EngineServer,
  type EngineServerOptions,
} from "../../src/engine/index.js";
import type { TransportOwner } from "../../src/engine/transports/transport.js";

/** Everything opened by a test, closed in afterEach through {@link closeAll}. */
const open: Array<() => Promise<void> | void> = [];

/** Closes every server and client opened since the last call. */
export async function closeAll(): Promise<void> {
  const list = open.splice(0).reverse();
  for (const close of list) await close();
}

/** Registers a cleanup step for afterEach. */
export function track(close: () => Promise<void> | void): void {
  open.push(close);
}

export interface TestEngine {
  engine: EngineServer;
  http: HttpServer;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `http://127.0.0.1:<port>/socket.io/?EIO=4&transport=` base for raw requests. */
  base: string;
}

/** Starts an engine attached to a fresh HTTP server on 127.0.0.1, port 0. */
export async function listen(
  options: Partial<EngineServerOptions> = {},
  setup?: (engine: EngineServer, http: HttpServer) => void,
): Promise<TestEngine> {
  const http = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain" }).end("other route");
  });
  const engine = new EngineServer(options);
  setup?.(engine, http);
  engine.attach(http);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  open.push(
    () =>
      new Promise<void>((resolve) => {
        engine.close();
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  );
  const url = `http://127.0.0.1:${port}`;
  return { engine, http, url, base: `${url}/socket.io/?EIO=4&transport=` };
}

/** Waits for one event, failing after `ms`. Resolves with the event arguments. */
/** Anything with Node-style or component-emitter-style `once`/`off`. */
export interface Emitterish {
  once(...args: never[]): unknown;
  off(...args: never[]): unknown;
}
type Listener = (...args: unknown[]) => void;
interface Callable {
  once(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}

export function once<T extends unknown[] = unknown[]>(
  target: Emitterish,
  event: string,
  ms = 5000,
): Promise<T> {
  const emitter = target as unknown as Callable;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out waiting for "${event}"`));
    }, ms);
    const listener = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    };
    emitter.once(event, listener);
  });
}

/** Waits until `check()` is true, polling on each event-loop turn; fails after `ms`. */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Collects the server-side connection's messages and close. */
export function record(conn: EngineConnection): { messages: unknown[]; closed: Promise<string> } {
  const messages: unknown[] = [];
  let resolveClose!: (reason: string) => void;
  const closed = new Promise<string>((r) => {
    resolveClose = r;
  });
  conn.setHandler({
    onMessage: (data) => messages.push(data),
    onClose: (reason) => resolveClose(reason),
  });
  return { messages, closed };
}

/** Opens an official engine.io-client socket and waits for "open". */
export async function connectClient(
  url: string,
  options: Partial<SocketOptions> = {},
): Promise<ClientSocket> {
  const socket = new ClientSocket(url, { path: "/socket.io/", ...options });
  open.push(() => {
    socket.close();
  });
  await once(socket, "open");
  return socket;
}

// ---- raw driver ----

export interface OpenPacket {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

/** Polling handshake: GET, parse the open packet. */
export async function handshake(t: TestEngine, extra = ""): Promise<OpenPacket> {
  const res = await fetch(`${t.base}polling${extra}`);
  const body = await res.text();
  if (res.status !== 200 || !body.startsWith("0")) {
    throw new Error(`handshake failed: ${res.status} ${body}`);
  }
  return JSON.parse(body.slice(1)) as OpenPacket;
}

/** One polling GET; returns status and body. */
export async function poll(
  t: TestEngine,
  sid: string,
  init: RequestInit = {},
): Promise<{ status: number; body: string }> {
  const res = await fetch(`${t.base}polling&sid=${sid}`, init);
  return { status: res.status, body: await res.text() };
}

/** One polling POST with `body`; returns status and body. */
export async function push(
  t: TestEngine,
  sid: string,
  body: string | Uint8Array<ArrayBuffer>,
): Promise<{ status: number; body: string }> {
  const res = await fetch(`${t.base}polling&sid=${sid}`, { method: "POST", body });
  return { status: res.status, body: await res.text() };
}

/** A raw WebSocket whose frames are queued from the start (none are missed). */
export interface RawWs {
  ws: WebSocket;
  /** Next frame: text as a string, binary as a Buffer. */
  next(ms?: number): Promise<string | Buffer>;
  closed: Promise<number>;
}

/** A raw WebSocket on the engine path; `query` is appended (e.g. `&sid=…`). Waits for open. */
export async function rawWebSocket(t: TestEngine, query = ""): Promise<RawWs> {
  const ws = new WebSocket(`${t.base.replace("http", "ws")}websocket${query}`);
  open.push(() => {
    ws.terminate();
  });
  const frames: Array<string | Buffer> = [];
  const waiters: Array<(f: string | Buffer) => void> = [];
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    const frame = isBinary ? data : data.toString("utf8");
    const waiter = waiters.shift();
    if (waiter) waiter(frame);
    else frames.push(frame);
  });
  const closed = new Promise<number>((resolve) =>
    ws.once("close", (code: number) => resolve(code)),
  );
  await once(ws, "open");
  return {
    ws,
    closed,
    next(ms = 5000) {
      const frame = frames.shift();
      if (frame !== undefined) return Promise.resolve(frame);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no frame in time")), ms);
        waiters.push((f) => {
          clearTimeout(timer);
          resolve(f);
        });
      });
    },
  };
}

/** Tries a WebSocket upgrade that should be refused; resolves with the status and JSON body. */
export function refusedUpgrade(
  t: TestEngine,
  query: string,
): Promise<{ status: number; body: unknown }> {
  const ws = new WebSocket(`${t.base.replace("http", "ws")}${query}`);
  open.push(() => {
    ws.terminate();
  });
  return new Promise((resolve, reject) => {
    ws.on("open", () => reject(new Error("upgrade was accepted")));
    ws.on("error", () => {});
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: body ? JSON.parse(body) : null }),
      );
    });
  });
}

/**
 * A masked client frame (RFC 6455 sections 5.2 and 5.3): `mask` is the 4-byte key,
 * big-endian (0 leaves the payload as it is).
 */
export function maskedFrame(
  opcode: number,
  payload: Buffer,
  fin = true,
  mask = 0x01020304,
): Buffer {
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const out = Buffer.alloc(2 + ext + 4 + len);
  out[0] = (fin ? 0x80 : 0) | opcode;
  out[1] = 0x80 | (len < 126 ? len : len < 65536 ? 126 : 127);
  if (ext === 2) out.writeUInt16BE(len, 2);
  if (ext === 8) out.writeBigUInt64BE(BigInt(len), 2);
  out.writeUInt32BE(mask >>> 0, 2 + ext);
  const key = [mask >>> 24, (mask >>> 16) & 0xff, (mask >>> 8) & 0xff, mask & 0xff];
  for (let i = 0; i < len; i++) out[2 + ext + 4 + i] = payload[i]! ^ key[i & 3]!;
  return out;
}

/**
 * A stand-in for a TCP socket under a transport fed in process (`transport.receive(chunk)`),
 * so a test chooses the chunk boundaries exactly; records every write, chunk by chunk.
 */
export class RecordingSocket extends Duplex {
  readonly written: Buffer[] = [];
  setNoDelay(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.written.push(chunk);
    callback();
  }
}

/**
 * A transport owner for receiver tests: the WebSocket messages and the close a transport
 * reports (`onFrame`, `onTransportClose`), the rest ignored.
 */
export function frameOwner(
  onFrame: (data: Buffer, binary: boolean) => void,
  onClose: (error: unknown) => void,
): TransportOwner {
  return {
    onFrame: (_t, data, binary) => onFrame(data, binary),
    onTransportClose: (_t, _reason, error) => onClose(error),
    onPackets: () => {},
    onPoll: () => {},
    onDrain: () => {},
  };
}

/** The session's polling transport holds a GET (an answer written now leaves at once). */
export function holdsGet(conn: EngineConnection): boolean {
  const t = conn.transport;
  return t.name === "polling" && "writable" in t && t.writable === true;
}

import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type Namespace, type ParentNamespace, Server, type Socket } from "@switchboard/server";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { expect } from "vitest";

/** Engine close reasons documented in docs/engine.md ("Close reasons"). */
export const ENGINE_REASONS = new Set([
  "transport close",
  "transport error",
  "parse error",
  "ping timeout",
  "forced close",
  "buffer overflow",
]);

/** Socket disconnect reasons documented in packages/server/README.md. */
export const SOCKET_REASONS = new Set([
  "parse error",
  "client namespace disconnect",
  "server namespace disconnect",
  "transport close",
  "transport error",
  "forced close",
  "ping timeout",
  "buffer overflow",
]);

/** Largest POST body / WebSocket message of the hostile server (small, so floods are cheap). */
export const MAX_BUFFER = 20_000;

/**
 * Records `unhandledRejection` / `uncaughtException` while a test runs; `stop()` removes
 * the listeners and returns what was seen.
 */
export function watchProcess(): { faults: unknown[]; stop(): unknown[] } {
  const faults: unknown[] = [];
  const onFault = (err: unknown) => faults.push(err);
  process.on("unhandledRejection", onFault);
  process.on("uncaughtException", onFault);
  return {
    faults,
    stop() {
      process.off("unhandledRejection", onFault);
      process.off("uncaughtException", onFault);
      return faults;
    },
  };
}

/** Waits until `check()` holds, polling every few ms; fails after `ms`. */
export async function until(check: () => boolean, ms = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not met in time`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A live server with namespaces, rooms and acks, plus one healthy official client. */
export interface Arena {
  io: Server;
  http: HttpServer;
  url: string;
  port: number;
  healthy: ClientSocket;
  /** Engine session id of the healthy client. */
  healthySid: string;
  /** Close reasons of every other engine session. */
  engineReasons: string[];
  /** Disconnect reasons of every server-side socket. */
  socketReasons: string[];
  dynamic: ParentNamespace;
  /** Checks that the healthy client still gets its acks. */
  check(n: number): Promise<void>;
  /** Waits until only the healthy client is left everywhere. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

function handlers(nsp: Namespace | ParentNamespace, reasons: string[]): void {
  nsp.on("connection", (socket: Socket) => {
    socket.on("disconnect", (reason: string) => reasons.push(reason));
    socket.on("echo", (...args: unknown[]) => {
      const ack = args.at(-1);
      if (typeof ack === "function") ack(...args.slice(0, -1));
    });
    socket.on("join", (room: unknown, ack?: unknown) => {
      if (typeof room === "string" && room.length < 64) socket.join(room);
      if (typeof ack === "function") ack(true);
    });
    socket.on("leave", (room: unknown) => {
      if (typeof room === "string") socket.leave(room);
    });
    socket.on("shout", (room: unknown, msg: unknown) => {
      if (typeof room === "string") socket.to(room).emit("shout", typeof msg);
    });
    // leaves a server → client ack pending (the hostile peer never answers it)
    socket.on("ask", () => {
      socket.timeout(60_000).emit("question", () => {});
      socket.emit("question2", () => {});
    });
  });
}

/** Starts the arena on 127.0.0.1, port 0, and connects the healthy client over WebSocket. */
export async function startArena(): Promise<Arena> {
  const http = createServer();
  const io = new Server(http, {
    pingInterval: 2000,
    pingTimeout: 2000,
    connectTimeout: 3000,
    maxHttpBufferSize: MAX_BUFFER,
    cleanupEmptyChildNamespaces: true,
    serveClient: false,
  });
  const engineReasons: string[] = [];
  const socketReasons: string[] = [];
  handlers(io.of("/"), socketReasons);
  const admin = io.of("/admin");
  admin.use((socket, next) => {
    if (socket.handshake.auth.token === "ok") next();
    else next(Object.assign(new Error("not authorized"), { data: { code: 1 } }));
  });
  handlers(admin, socketReasons);
  const dynamic = io.of(/^\/dyn-\d+$/);
  dynamic.use((socket, next) => {
    if (socket.handshake.auth.token === "bad") next(new Error("refused"));
    else if (socket.handshake.auth.token === "slow") setTimeout(next, 5);
    else next();
  });
  handlers(dynamic, socketReasons);

  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  const healthy = ioc(url, { transports: ["websocket"], forceNew: true, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("healthy client did not connect")), 5000);
    healthy.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  await healthy.timeout(3000).emitWithAck("join", "lobby");
  const healthySid = [...io.engine.clients.keys()][0]!;
  io.engine.on(
    "connection",
    (conn: { id: string; on(e: string, f: (r: string) => void): void }) => {
      conn.on("close", (reason: string) => engineReasons.push(reason));
    },
  );

  const arena: Arena = {
    io,
    http,
    url,
    port,
    healthy,
    healthySid,
    engineReasons,
    socketReasons,
    dynamic,
    async check(n) {
      expect(healthy.connected).toBe(true);
      const answer = await healthy.timeout(3000).emitWithAck("echo", n, { n });
      expect(answer).toBe(n);
    },
    async settle() {
      await until(
        () =>
          io.engine.clientsCount === 1 &&
          io.of("/").sockets.size === 1 &&
          admin.sockets.size === 0 &&
          dynamic.children.size === 0,
        8000,
        "hostile sessions gone",
      );
    },
    async close() {
      healthy.disconnect();
      await io.close();
      http.closeAllConnections();
    },
  };
  return arena;
}

/** Asserts that every map holds the healthy client only, and every recorded reason is documented. */
export function expectOnlyHealthy(a: Arena): void {
  const { io } = a;
  expect([...io.engine.clients.keys()]).toEqual([a.healthySid]);
  const root = io.of("/");
  expect(root.sockets.size).toBe(1);
  const id = a.healthy.id!;
  expect([...root.sockets.keys()]).toEqual([id]);
  expect(new Set(root.adapter.rooms.keys())).toEqual(new Set([id, "lobby"]));
  expect([...root.adapter.sids.keys()]).toEqual([id]);
  expect(root.adapter.rooms.get("lobby")).toEqual(new Set([id]));
  const admin = io.of("/admin");
  expect(admin.sockets.size).toBe(0);
  expect(admin.adapter.rooms.size).toBe(0);
  expect(admin.adapter.sids.size).toBe(0);
  expect(a.dynamic.children.size).toBe(0);
  expect([...io.namespaces.keys()].sort()).toEqual(["/", "/admin"]);
  for (const r of a.engineReasons) expect(ENGINE_REASONS, r).toContain(r);
  for (const r of a.socketReasons) expect(SOCKET_REASONS, r).toContain(r);
}

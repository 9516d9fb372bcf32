// biome-ignore-all lint/suspicious/noExplicitAny: test helpers drive two server implementations through their shared untyped API
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { io, type Socket, type TransportName } from "@switchboard/client";
import { Server as OfficialServer } from "socket.io";
import { afterEach, beforeEach, expect } from "vitest";

/** Anything with `once`/`off`: the client's Emitter, Node's EventEmitter, a socket.io Socket. */
interface Listenable {
  once(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}

/** Resolves with the arguments of the next `event`; rejects after `ms` (a bounded wait, not a sleep). */
export function waitFor<T extends unknown[] = any[]>(
  emitter: Listenable,
  event: string,
  ms = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out waiting for "${event}"`));
    }, ms);
    const listener = (...args: any[]) => {
      clearTimeout(timer);
      resolve(args as T);
    };
    emitter.once(event, listener);
  });
}

/** Resolves when `predicate` holds, polling on each `event` of `emitter`. */
export function until(check: () => boolean, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() - started > ms) return reject(new Error("condition not met in time"));
      setTimeout(tick, 5);
    };
    tick();
  });
}

/**
 * The socket.io server API the suites use. Both the official `socket.io` Server and
 * Switchboard's implement it.
 */
export type AnyIoServer = any;

/** A running server: its URL, the socket.io-API server, and stop/restart on the same port. */
export interface TestServer {
  readonly url: string;
  readonly port: number;
  io: AnyIoServer;
  /** Stops the server (connected clients see the connection drop). */
  stop(): Promise<void>;
  /** Starts a fresh server on the same port, set up by the same `setup`. */
  start(): Promise<void>;
}

export type ServerFactory = (http: HttpServer, options: Record<string, unknown>) => AnyIoServer;

export const officialServer: ServerFactory = (http, options) => new OfficialServer(http, options);

/** Registered servers, closed by {@link closeAll}. */
const servers = new Set<TestServer>();
const clients = new Set<Socket>();

/** Tracks a client Socket so {@link closeAll} disconnects it. */
export function track<S extends Socket<any, any>>(socket: S): S {
  clients.add(socket as unknown as Socket);
  return socket;
}

function listen(http: HttpServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, "127.0.0.1", () => {
      http.off("error", reject);
      resolve((http.address() as AddressInfo).port);
    });
  });
}

/**
 * Starts `factory`'s server on 127.0.0.1, port 0, and calls `setup(io)` on it (and again on
 * every restart).
 */
export async function startServer(
  factory: ServerFactory,
  setup: (io: AnyIoServer) => void = () => {},
  options: Record<string, unknown> = {},
): Promise<TestServer> {
  let http = createServer();
  let io = factory(http, options);
  setup(io);
  const port = await listen(http, 0);
  let running = true;
  const server: TestServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    io,
    async stop() {
      if (!running) return;
      running = false;
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      io.close();
      http.closeAllConnections();
      await closed;
    },
    async start() {
      http = createServer();
      io = factory(http, options);
      server.io = io;
      setup(io);
      await listen(http, port);
      running = true;
    },
  };
  servers.add(server);
  return server;
}

/** Disconnects every tracked client and stops every server (for `afterEach`). */
export async function closeAll(): Promise<void> {
  for (const socket of clients) {
    socket.io.disconnect();
    socket.disconnect();
  }
  clients.clear();
  await Promise.all([...servers].map((s) => s.stop()));
  servers.clear();
}

/** Transport settings the suites run under. */
export const transportModes: { name: string; options: { transports: TransportName[] } }[] = [
  { name: "polling", options: { transports: ["polling"] } },
  { name: "websocket", options: { transports: ["websocket"] } },
  { name: "polling+upgrade", options: { transports: ["polling", "websocket"] } },
];

/**
 * A client of the fake-server suites: WebSocket only, a new connection, fast reconnection
 * (10–20 ms), tracked for {@link closeAll}; `extra` overrides.
 */
export const connectFast = (url: string, extra: Record<string, unknown> = {}): Socket =>
  track(
    io(url, {
      forceNew: true,
      transports: ["websocket"],
      reconnectionDelay: 10,
      reconnectionDelayMax: 20,
      ...extra,
    }),
  );

/**
 * For a suite of fake servers: registers an `afterEach` that disconnects the tracked clients
 * ({@link closeAll}) and closes every server handed to the returned function, which listens
 * on a free loopback port and resolves with the server's URL.
 */
export function fakeServers(): (http: HttpServer) => Promise<string> {
  const fakes: HttpServer[] = [];
  afterEach(async () => {
    await closeAll();
    for (const http of fakes.splice(0)) {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });
  return async (http) => {
    fakes.push(http);
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  };
}

/**
 * For the hostile suites: every test must end without an unhandled rejection or uncaught
 * exception (the client reports what a server does through its events, never by throwing);
 * the returned list's functions run after each test, last first.
 */
export function expectNoFaults(): (() => unknown)[] {
  let faults: unknown[] = [];
  const onFault = (err: unknown) => faults.push(err);
  const cleanups: (() => unknown)[] = [];
  beforeEach(() => {
    faults = [];
    process.on("unhandledRejection", onFault);
    process.on("uncaughtException", onFault);
  });
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
    process.off("unhandledRejection", onFault);
    process.off("uncaughtException", onFault);
    expect(faults).toEqual([]);
  });
  return cleanups;
}

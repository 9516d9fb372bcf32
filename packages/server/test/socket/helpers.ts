import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type ServerOptions } from "@switchboard/server";
import {
  type Socket as ClientSocket,
  io as ioc,
  type ManagerOptions,
  type SocketOptions,
} from "socket.io-client";
import { afterEach } from "vitest";

/** The three ways a client reaches the server. */
export const TRANSPORTS = [
  { name: "websocket", transports: ["websocket"] },
  { name: "polling", transports: ["polling"] },
  { name: "upgrade", transports: ["polling", "websocket"] },
] as const;

export type TransportCase = (typeof TRANSPORTS)[number];

const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  const pending = cleanups.splice(0).reverse();
  for (const cleanup of pending) await cleanup();
});

// biome-ignore lint/suspicious/noExplicitAny: tests use untyped servers unless they say otherwise
export interface Listening<S = Server<any, any, any, any>> {
  io: S;
  url: string;
  port: number;
}

/**
 * Tests close their servers with clients still connected: a drain over the default
 * `drainSpread` (3 s, when connection state recovery is on) would add seconds to each one.
 * drain.test.ts covers the spread; the helpers close at once unless a test asks otherwise.
 */
const CLOSE_AT_ONCE: Partial<ServerOptions> = { drainSpread: 0 };

/** A Server without an HTTP listener (for the in-process test client), closed after the test. */
export function inProcessServer(options: Partial<ServerOptions> = {}): Server {
  const io = new Server({ ...CLOSE_AT_ONCE, ...options });
  cleanups.push(() => io.close());
  return io;
}

/** A Server on an ephemeral loopback port, closed after the test. */
export async function listen(options: Partial<ServerOptions> = {}): Promise<Listening<Server>> {
  const http = createServer();
  const io = new Server(http, { ...CLOSE_AT_ONCE, ...options });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  cleanups.push(() => io.close());
  return { io, url: `http://127.0.0.1:${port}`, port };
}

/** An official socket.io-client socket, closed after the test. */
export function client(
  url: string,
  transport: TransportCase,
  opts: Partial<ManagerOptions & SocketOptions> = {},
): ClientSocket {
  const socket = ioc(url, {
    transports: [...transport.transports],
    forceNew: true,
    reconnection: false,
    ...opts,
  });
  cleanups.push(() => socket.disconnect());
  return socket;
}

/** Resolves with the arguments of the next `event` on `emitter`, or rejects after `ms`. */
export function once<T extends unknown[] = unknown[]>(
  emitter: { once(event: string, fn: (...args: never[]) => void): unknown },
  event: string,
  ms = 5000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for "${event}"`)), ms);
    emitter.once(event, ((...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    }) as never);
  });
}

/** Connects and resolves once the client is connected. */
export async function connected(socket: ClientSocket): Promise<ClientSocket> {
  if (!socket.connected) {
    await Promise.race([
      once(socket, "connect"),
      once<[Error]>(socket, "connect_error").then(([err]) => {
        throw err;
      }),
    ]);
  }
  return socket;
}

/** Register extra cleanup. */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

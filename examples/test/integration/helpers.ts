import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { io, type Socket } from "@switchboard/client";
import { createApp, type RunningApp } from "../../src/server.js";

export interface Harness {
  app: RunningApp;
  dataDir: string;
  /** Connects a Node client to a namespace of the app; closed by `close()`. */
  connect(namespace: string, opts?: Parameters<typeof io>[1]): Socket;
  close(): Promise<void>;
}

export async function startHarness(
  options: Parameters<typeof createApp>[0] = {},
): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "sb-demo-it-"));
  const app = await createApp({ ...options, port: 0, host: "127.0.0.1", dataDir });
  const sockets: Socket[] = [];
  return {
    app,
    dataDir,
    connect(namespace, opts = {}) {
      const socket = io(`${app.url}${namespace}`, {
        forceNew: true,
        reconnection: false,
        transports: ["websocket"],
        ...opts,
      });
      sockets.push(socket);
      return socket;
    },
    async close() {
      for (const s of sockets) s.disconnect();
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolves with the arguments of the next `event`, or rejects after `ms`. */
// biome-ignore lint/suspicious/noExplicitAny: event payloads are JSON of the demo
export function once(socket: Socket, event: string, ms = 10_000): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), ms);
    socket.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

/** Emits with an acknowledgement; rejects after `ms`. */
// biome-ignore lint/suspicious/noExplicitAny: answers are JSON of the demo
export function ask(socket: Socket, event: string, ...args: unknown[]): Promise<any> {
  return socket.timeout(10_000).emitWithAck(event, ...args);
}

/** Every file under `root`, relative to it. */
export async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

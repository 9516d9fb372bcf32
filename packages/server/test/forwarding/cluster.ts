import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";
import {
  createMemoryDirectory,
  type NodeDirectory,
  Server,
  type ServerOptions,
} from "../../src/index.js";
import { type Balancer, createBalancer } from "../../src/testing/index.js";
import { once as onceWithin } from "../socket/helpers.js";

const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  const pending = cleanups.splice(0).reverse();
  for (const cleanup of pending) await cleanup();
});

/** Runs `fn` after the test (last registered first). */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

/** One Switchboard node of a test cluster. */
export interface TestNode {
  // biome-ignore lint/suspicious/noExplicitAny: tests use untyped servers
  io: Server<any, any, any, any>;
  http: HttpServer;
  port: number;
  url: string;
  /** The node tag (first 6 characters of its session ids). */
  tag: string;
}

/** A forwarding node on a loopback port, in the directory, closed after the test. */
export async function startNode(
  directory: NodeDirectory,
  options: Partial<ServerOptions> = {},
): Promise<TestNode> {
  const http = createServer();
  const io = new Server(http, { ...options, forwarding: { directory, ...options.forwarding } });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  await io.engine.forwardingReady();
  const port = (http.address() as AddressInfo).port;
  onCleanup(() => io.close());
  return { io, http, port, url: `http://127.0.0.1:${port}`, tag: io.engine.nodeTag! };
}

/** `n` nodes sharing one memory directory, behind a round-robin balancer. */
export async function startCluster(
  n: number,
  options: Partial<ServerOptions> = {},
): Promise<{ nodes: TestNode[]; lb: Balancer; directory: NodeDirectory }> {
  const directory = createMemoryDirectory();
  const nodes: TestNode[] = [];
  for (let i = 0; i < n; i++) nodes.push(await startNode(directory, options));
  const lb = await createBalancer(nodes.map((node) => `127.0.0.1:${node.port}`));
  onCleanup(() => lb.close());
  return { nodes, lb, directory };
}

/** Resolves with the arguments of the next `event` on `emitter`, or rejects after `ms` (10 s here). */
export function once<T extends unknown[] = unknown[]>(
  emitter: Parameters<typeof onceWithin>[0],
  event: string,
  ms = 10_000,
): Promise<T> {
  return onceWithin<T>(emitter, event, ms);
}

/** Waits until `check()` holds, polling every 10 ms, or rejects after `ms`. */
export async function until(check: () => boolean, ms = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Every node's forwarding state, summed (0 everywhere once nothing is in flight). */
export function forwardingState(nodes: readonly TestNode[]): Record<string, number> {
  const sum: Record<string, number> = { lookups: 0, requests: 0, tunnels: 0, sessions: 0 };
  for (const node of nodes) {
    const sizes = node.io.engine.forwardingSizes();
    if (sizes === null) continue;
    sum.lookups! += sizes.lookups;
    sum.requests! += sizes.requests;
    sum.tunnels! += sizes.tunnels;
    sum.sessions! += node.io.engine.clientsCount;
  }
  return sum;
}

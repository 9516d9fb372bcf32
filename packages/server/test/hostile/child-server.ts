import { createRequire } from "node:module";
import { spawnNode } from "@switchboard/server/testing";
import type { Socket as ClientSocket } from "socket.io-client";
import { expect } from "vitest";
import { track } from "../engine/helpers.js";
import { type ackPump, expectAck, healthyClient } from "./frames-kit.js";

/** How much the attacked server's heap (after GC) may grow over its baseline. */
export const HEAP_BOUND = 16 * 1024 * 1024;

/** What the attacked server reports over IPC. */
export interface ChildReport {
  memory: NodeJS.MemoryUsage;
  /** Engine close reasons of every session closed so far. */
  reasons: string[];
  /** Live engine sessions. */
  clients: number;
}

/** A Switchboard server in a child process (attacked-server.mjs), 128 MB of old space. */
export interface AttackedServer {
  port: number;
  url: string;
  /** The child has not exited (an attack did not kill the server). */
  alive(): boolean;
  report(): Promise<ChildReport>;
  /** Closes an engine session from the server side; false when no such session. */
  closeSession(sid: string): Promise<boolean>;
  /** Heap growth after GC: `sample()` during and after an attack, `growth()` = peak − baseline. */
  heap: { sample(): Promise<void>; growth(): number };
}

const SCRIPT = new URL("./attacked-server.mjs", import.meta.url);

interface Reply {
  type: string;
  id?: number;
  port?: number;
  [key: string]: unknown;
}

/**
 * Starts attacked-server.mjs with `options` (JSON: numbers, booleans, strings) and waits for
 * its port. The child imports the built package: `npm run build` first.
 */
export async function startAttackedServer(
  options: Record<string, unknown>,
): Promise<AttackedServer> {
  try {
    createRequire(import.meta.url).resolve("@switchboard/server");
  } catch (err) {
    throw new Error(`@switchboard/server is not built (run npm run build first): ${String(err)}`);
  }
  const child = await spawnNode<{ port: number }>(SCRIPT, {
    args: [JSON.stringify(options)],
    execArgv: ["--expose-gc", "--max-old-space-size=128"],
  });
  track(async () => {
    await child.kill();
  });
  const stderr = () => child.stderr().slice(-4000);
  const pending = new Map<number, (reply: Reply) => void>();
  child.onMessage((message) => {
    const reply = message as Reply;
    if (reply.id === undefined) return;
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  let nextId = 1;
  const request = (message: Record<string, unknown>): Promise<Reply> => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      if (!child.running) {
        reject(new Error(`attacked server exited: ${stderr()}`));
        return;
      }
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`attacked server did not answer ${String(message.type)}`));
      }, 10_000);
      pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      child.send({ ...message, id });
    });
  };
  const { port } = child.info;
  const report = async (): Promise<ChildReport> => {
    const reply = await request({ type: "memory" });
    return reply as unknown as ChildReport;
  };
  let baseline = -1;
  let peak = 0;
  const server: AttackedServer = {
    port,
    url: `http://127.0.0.1:${port}`,
    alive: () => child.running,
    report,
    async closeSession(sid) {
      return (await request({ type: "close-session", sid })).found === true;
    },
    heap: {
      async sample() {
        const used = (await report()).memory.heapUsed;
        if (baseline < 0) baseline = used;
        peak = Math.max(peak, used);
      },
      growth: () => peak - baseline,
    },
  };
  return server;
}

/** Polls the child's report until `check` holds (bounded). */
export async function waitReport(
  server: AttackedServer,
  check: (r: ChildReport) => boolean,
  ms = 5000,
  what = "attacked server state",
): Promise<ChildReport> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await server.report();
    if (check(r)) return r;
    if (Date.now() > deadline) throw new Error(`${what} not reached: ${JSON.stringify(r)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The server lived through the attack and its heap stayed within {@link HEAP_BOUND}. */
export async function expectSurvived(server: AttackedServer): Promise<void> {
  await server.heap.sample();
  expect(server.alive()).toBe(true);
  const growth = server.heap.growth();
  expect(growth, `heap grew ${(growth / 1048576).toFixed(1)} MB`).toBeLessThan(HEAP_BOUND);
}

/** An attacked server with a healthy official client connected to it. */
export interface Scene {
  server: AttackedServer;
  healthy: ClientSocket;
}

/** Starts the attacked server, connects the healthy client, takes the heap baseline. */
export async function scene(options: Record<string, unknown>): Promise<Scene> {
  const server = await startAttackedServer(options);
  const healthy = await healthyClient(server.url);
  await expectAck(healthy, 0);
  await server.heap.sample(); // the baseline
  return { server, healthy };
}

/** Acks flowed during the attack, the server survived it, and they still flow after it. */
export async function endOfAttack(s: Scene, pump: ReturnType<typeof ackPump>): Promise<void> {
  const acks = await pump.stop();
  expect(acks.failed).toEqual([]);
  expect(acks.ok).toBeGreaterThan(0);
  await expectSurvived(s.server);
  await expectAck(s.healthy, 1);
}

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { io as ioc, type Socket } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { REDIS_URL, requireRedis } from "../redis.js";
import { REPO_ROOT } from "../server-process.js";

// `npm run start:cluster` without CLUSTER_PORTS: N workers of Node's `cluster` module on ONE
// port, no sticky sessions. The official client with its default transports (polling, then
// the upgrade) and on long-polling only, each request on a new TCP connection (so the
// primary spreads them over the workers), chats through it: requests of a session that
// reach another worker are forwarded to its owner.

const LAUNCHER = fileURLToPath(new URL("../../src/start-cluster.ts", import.meta.url));
const haveRedis = await requireRedis("the cluster workers demo test");

let child: ChildProcess | undefined;
let dataDir: string | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child?.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  child = undefined;
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Starts 2 workers on a free port; resolves with its URL once both listen. */
async function startWorkers(): Promise<{ url: string; output: () => string }> {
  dataDir = await mkdtemp(path.join(tmpdir(), "sb-demo-workers-"));
  const proc = spawn(process.execPath, ["--import", "tsx", LAUNCHER], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DEBUG: "",
      CLUSTER_PORTS: "",
      CLUSTER_WORKERS: "2",
      PORT: "0",
      REDIS_URL,
      REDIS_KEY: `demo-workers-${randomBytes(5).toString("hex")}`,
      DATA_DIR: dataDir,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  let out = "";
  proc.stdout?.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  proc.stderr?.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`workers did not start within 30 s\n${out}`)),
      30_000,
    );
    const check = () => {
      const ports = [...out.matchAll(/^\[node \d\]\s+http:\/\/localhost:(\d+)\//gm)].map((m) =>
        Number(m[1]),
      );
      if (ports.length < 2 || !/\[node 1\] Data in/.test(out) || !/\[node 2\] Data in/.test(out)) {
        return;
      }
      clearTimeout(timer);
      proc.stdout?.off("data", check);
      resolve(ports[0]!);
    };
    proc.stdout?.on("data", check);
    proc.once("exit", (code) => reject(new Error(`launcher exited (${code})\n${out}`)));
  });
  expect(out).toMatch(/Starting 2 workers on port 0/);
  // Both workers listen on the same port.
  expect(
    new Set([...out.matchAll(/^\[node \d\]\s+http:\/\/localhost:(\d+)\//gm)].map((m) => m[1])).size,
  ).toBe(1);
  return { url: `http://127.0.0.1:${port}`, output: () => out };
}

function once(socket: Socket, ev: string): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${ev} within 10 s`)), 10_000);
    socket.once(ev, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

describe.skipIf(!haveRedis)(
  "the demo on every core (npm run start:cluster, cluster module)",
  () => {
    it("chats between clients on default transports and on polling with a new connection per request", async () => {
      const { url, output } = await startWorkers();
      const noKeepAlive = new Agent({ keepAlive: false });
      const users = ["ada", "bob", "cy", "dee"].map((username, i) => {
        const socket = ioc(`${url}/chat`, {
          forceNew: true,
          reconnection: false,
          auth: { username },
          // Two on the default transports, two on long-polling only with every request on a
          // new TCP connection: the primary spreads those over both workers.
          ...(i < 2 ? {} : { transports: ["polling"], agent: noKeepAlive as never }),
        });
        sockets.push(socket);
        return socket;
      });
      await Promise.all(users.map((s) => once(s, "welcome")));
      const inboxes = users.map(() => new Set<string>());
      for (const [i, s] of users.entries()) {
        s.on("message", (m: { text?: string }) => {
          if (typeof m.text === "string") inboxes[i]?.add(m.text);
        });
      }
      const sent: string[] = [];
      for (let round = 0; round < 5; round++) {
        for (const [i, sender] of users.entries()) {
          const text = `m${round}-${i}`;
          sent.push(text);
          expect(await sender.timeout(10_000).emitWithAck("message", { text })).toEqual({
            ok: true,
          });
        }
      }
      // Everyone gets every message (each sees the others'; the chat echoes one's own too).
      for (const [i] of users.entries()) {
        const expected = sent.filter((t) => !t.endsWith(`-${i}`));
        await expect
          .poll(() => expected.every((t) => inboxes[i]?.has(t)), { timeout: 10_000 })
          .toBe(true);
      }
      for (const s of users) expect(s.connected).toBe(true);
      expect(output()).not.toMatch(/Session ID unknown/);
    });
  },
);

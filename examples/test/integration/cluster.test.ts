import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { io, type Socket } from "@switchboard/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { REDIS_URL, requireRedis } from "../redis.js";
import { REPO_ROOT } from "../server-process.js";
import { ask, once } from "./helpers.js";

// `npm run start:cluster`: the launcher (src/start-cluster.ts, through tsx) starts two demo
// processes on free ports (CLUSTER_PORTS=0,0) sharing the machine's Redis under a key of
// this test's own; Socket.IO clients on each node check that the chat crosses them.

const LAUNCHER = fileURLToPath(new URL("../../src/start-cluster.ts", import.meta.url));
// A missing Redis fails the suite in CI (CI=true), and skips these tests elsewhere.
const haveRedis = await requireRedis("the cluster demo tests");

interface Cluster {
  /** Base URL of each node, `http://127.0.0.1:PORT`. */
  readonly urls: string[];
  output(): string;
  /** SIGTERM to the launcher; resolves with its exit code once it has exited. */
  stop(): Promise<number | null>;
}

/** Starts the launcher and resolves once both nodes printed where they listen. */
async function startCluster(env: Record<string, string>): Promise<Cluster> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", LAUNCHER], {
    cwd: REPO_ROOT,
    env: { ...process.env, DEBUG: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  child.stderr?.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  const ports = await new Promise<number[]>((resolve, reject) => {
    const timer = setTimeout(() => fail("no start-up output of both nodes within 20 s"), 20_000);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${why}\n${out}`));
    };
    void exited.then((code) => fail(`the launcher exited with ${code}`));
    const onData = () => {
      if (!/^\[node 1\] Data in /m.test(out) || !/^\[node 2\] Data in /m.test(out)) return;
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      const port = (n: number) =>
        Number(new RegExp(`^\\[node ${n}\\]\\s+http://localhost:(\\d+)/`, "m").exec(out)?.[1]);
      resolve([port(1), port(2)]);
    };
    child.stdout?.on("data", onData);
  });
  return {
    urls: ports.map((p) => `http://127.0.0.1:${p}`),
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

let dataDir: string;
let cluster: Cluster | undefined;

/** Two nodes on free ports, a Redis key and a data folder of this test's own. */
const startOwnCluster = () =>
  startCluster({
    CLUSTER_PORTS: "0,0",
    REDIS_URL,
    REDIS_KEY: `demo-test-${randomBytes(5).toString("hex")}`,
    DATA_DIR: dataDir,
  });
const sockets: Socket[] = [];

function client(url: string, namespace: string, opts: Parameters<typeof io>[1] = {}): Socket {
  const socket = io(`${url}${namespace}`, {
    forceNew: true,
    reconnection: false,
    transports: ["websocket"],
    ...opts,
  });
  sockets.push(socket);
  return socket;
}

/** The first `ev` on `socket` whose payload satisfies `ok` (as `once` resolves: `[payload]`). */
function next(
  socket: Socket,
  ev: string,
  ok: (payload: Record<string, unknown>) => boolean,
): Promise<[Record<string, unknown>]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching ${ev} within 10 s`)), 10_000);
    const check = (payload: Record<string, unknown>) => {
      if (!ok(payload)) return;
      clearTimeout(timer);
      socket.off(ev, check);
      resolve([payload]);
    };
    socket.on(ev, check);
  });
}

/** Waits for the next `users` list that satisfies `ok`. */
function usersUntil(socket: Socket, ok: (users: string[]) => boolean): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out waiting for users")), 10_000);
    const check = (users: string[]) => {
      if (!ok(users)) return;
      clearTimeout(timer);
      socket.off("users", check);
      resolve(users);
    };
    socket.on("users", check);
  });
}

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "sb-demo-cluster-"));
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  await cluster?.stop();
  cluster = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

describe.skipIf(!haveRedis)("the demo as a cluster (npm run start:cluster)", () => {
  it("carries the chat between a page on one node and a page on the other", async () => {
    cluster = await startOwnCluster();
    const [one, two] = cluster.urls as [string, string];
    expect(one).not.toBe(two);
    expect(cluster.output()).toMatch(/^\[node 1\] Cluster: Redis at /m);

    const ada = client(one, "/chat", { auth: { username: "ada" } });
    await once(ada, "welcome");
    const bob = client(two, "/chat", { auth: { username: "bob" } });
    // The user list is read across the nodes (fetchSockets): each sees both users.
    const adaSeesBob = usersUntil(ada, (u) => u.includes("bob"));
    const [welcome] = await once(bob, "welcome");
    expect(welcome.users).toEqual(["ada", "bob"]);
    expect(await adaSeesBob).toEqual(["ada", "bob"]);

    // A message on node 1 reaches the page on node 2, and back.
    // With cluster recovery, broadcasts reach everyone (the sender too) through the log,
    // after the sender's ack: wait for the message that is meant, not just the next one.
    const toBob = next(bob, "message", (m) => m.from === "ada");
    expect(await ask(ada, "message", { text: "hello from 1" })).toEqual({ ok: true });
    expect((await toBob)[0]).toMatchObject({ from: "ada", text: "hello from 1" });
    const toAda = next(ada, "message", (m) => m.from === "bob");
    expect(await ask(bob, "message", { text: "hello from 2" })).toEqual({ ok: true });
    expect((await toAda)[0]).toMatchObject({ from: "bob", text: "hello from 2" });

    // Rooms span the nodes too.
    expect(await ask(ada, "room:join", "ops")).toMatchObject({ ok: true });
    const joined = next(ada, "room:members", (m) => m.username === "bob");
    expect(await ask(bob, "room:join", "ops")).toMatchObject({ ok: true });
    expect((await joined)[0]).toMatchObject({ room: "ops", event: "joined", username: "bob" });
    const inRoom = next(bob, "message", (m) => m.room === "ops");
    expect(await ask(ada, "message", { text: "ops only", room: "ops" })).toEqual({ ok: true });
    expect((await inRoom)[0]).toMatchObject({ from: "ada", room: "ops", text: "ops only" });

    // A user who leaves node 2 is gone from node 1's list.
    const left = once(ada, "user:left");
    const adaAlone = usersUntil(ada, (u) => !u.includes("bob"));
    bob.disconnect();
    expect((await left)[0]).toMatchObject({ username: "bob" });
    expect(await adaAlone).toEqual(["ada"]);
  });

  it("shows a pin dropped on one node live on the other, and stops both nodes on SIGTERM", async () => {
    cluster = await startOwnCluster();
    const [one, two] = cluster.urls as [string, string];
    const watcher = client(two, "/where-admin");
    await once(watcher, "pins");
    const dropper = client(one, "/where");
    await once(dropper, "pins");
    const seen = once(watcher, "pin:set");
    expect(await ask(dropper, "pin:set", { lon: 2.35, lat: 48.85, label: "Paris" })).toMatchObject({
      ok: true,
    });
    expect((await seen)[0]).toMatchObject({ lon: 2.35, lat: 48.85 });

    expect(await cluster.stop()).toBe(0);
    for (const url of cluster.urls) {
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    }
  });
});

/**
 * A throwaway 3-master Redis Cluster on loopback for tests (issue 16: the adapters on a Redis
 * Cluster). Three `redis-server --cluster-enabled yes` processes on free ports, each with its
 * own directory under os.tmpdir(), joined by `redis-cli --cluster create`, ready once every
 * node reports `cluster_state:ok`. {@link RedisCluster.stop} kills the processes and removes
 * the directories; a process exit hook does the same if a test run dies before that.
 *
 * @example
 * ```ts
 * let cluster: RedisCluster;
 * beforeAll(async () => { cluster = await startRedisCluster(); });
 * afterAll(() => cluster.stop());
 * // cluster.nodes: [{ host: "127.0.0.1", port: 40123 }, …]
 * ```
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll } from "vitest";
import { freePort } from "./redis.js";

const run = promisify(execFile);

/** One node of the cluster. */
export interface ClusterNode {
  host: string;
  port: number;
}

/** A running local cluster. */
export interface RedisCluster {
  readonly nodes: ClusterNode[];
  /** Kill every node and remove their directories (idempotent). */
  stop(): Promise<void>;
}

/**
 * Starts a cluster before the tests of the calling file and stops it after them; the
 * returned function gives its nodes (within the tests).
 */
export function useRedisCluster(): () => ClusterNode[] {
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterAll(() => cluster?.stop());
  return () => {
    if (cluster === undefined) throw new Error("the local Redis Cluster is not running");
    return cluster.nodes;
  };
}

/** Bounds of the start-up, in ms: a cluster of three empty nodes forms in about a second. */
const START_TIMEOUT = 20_000;

const running = new Set<ChildProcess>();
const dirs = new Set<string>();
let exitHook = false;

/** Starts a cluster of `masters` nodes (default 3) with no replicas. */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  if (!exitHook) {
    exitHook = true;
    process.once("exit", () => {
      for (const child of running) child.kill("SIGKILL");
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });
  }
  const dir = mkdtempSync(join(tmpdir(), "sb-redis-cluster-"));
  dirs.add(dir);
  const children: ChildProcess[] = [];
  const nodes: ClusterNode[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(children.map(kill));
    rmSync(dir, { recursive: true, force: true });
    dirs.delete(dir);
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      const busPort = await freePort();
      const child = spawn(
        "redis-server",
        [
          "--port",
          String(port),
          "--cluster-port",
          String(busPort),
          "--bind",
          "127.0.0.1",
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          `nodes-${port}.conf`,
          "--cluster-node-timeout",
          "5000",
          "--save",
          "",
          "--appendonly",
          "no",
          "--dir",
          dir,
        ],
        { stdio: "ignore" },
      );
      running.add(child);
      child.once("exit", () => running.delete(child));
      children.push(child);
      nodes.push({ host: "127.0.0.1", port });
    }
    const deadline = Date.now() + START_TIMEOUT;
    for (const node of nodes)
      await until(deadline, async () => (await cli(node, "ping")) === "PONG");
    await run(
      "redis-cli",
      [
        "--cluster",
        "create",
        ...nodes.map((n) => `${n.host}:${n.port}`),
        "--cluster-replicas",
        "0",
        "--cluster-yes",
      ],
      { timeout: START_TIMEOUT },
    );
    for (const node of nodes) {
      await until(deadline, async () =>
        (await cli(node, "cluster", "info")).includes("cluster_state:ok"),
      );
    }
    return { nodes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function cli(node: ClusterNode, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await run("redis-cli", ["-h", node.host, "-p", String(node.port), ...args], {
      timeout: 2000,
    });
    return stdout.trim();
  } catch {
    return "";
  }
}

async function until(deadline: number, check: () => Promise<boolean>): Promise<void> {
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error("the local Redis Cluster did not start in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 2000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

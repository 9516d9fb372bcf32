/**
 * A throwaway 3-master Redis Cluster on loopback for tests (issue 16: the adapters on a Redis
 * Cluster). Three `redis-server --cluster-enabled yes` processes on free ports (started with
 * startRedisServer of @switchboard/server/testing, which never leaves them running after
 * this process), sharing a directory under os.tmpdir(), joined by `redis-cli --cluster
 * create`, ready once every node reports `cluster_state:ok`. {@link RedisCluster.stop} stops
 * the processes and removes the directory; a process exit hook removes it if a test run
 * ends before that.
 *
 * @example
 * ```ts
 * let cluster: RedisCluster;
 * beforeAll(async () => { cluster = await startRedisCluster(); });
 * afterAll(() => cluster.stop());
 * // cluster.nodes: [{ host: "127.0.0.1", port: 40123 }, …]
 * ```
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, type RedisProcess, startRedisServer } from "@switchboard/server/testing";
import { afterAll, beforeAll } from "vitest";

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

const dirs = new Set<string>();
let exitHook = false;

/** Starts a cluster of `masters` nodes (default 3) with no replicas. */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  if (!exitHook) {
    exitHook = true;
    process.once("exit", () => {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });
  }
  const dir = mkdtempSync(join(tmpdir(), "sb-redis-cluster-"));
  dirs.add(dir);
  const servers: RedisProcess[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
    dirs.delete(dir);
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      const busPort = await freePort();
      servers.push(
        await startRedisServer({
          port,
          startTimeout: START_TIMEOUT,
          stopGrace: 2000,
          args: [
            "--cluster-port",
            String(busPort),
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            `nodes-${port}.conf`,
            "--cluster-node-timeout",
            "5000",
            "--dir",
            dir,
          ],
        }),
      );
    }
    const nodes: ClusterNode[] = servers.map((s) => ({ host: s.host, port: s.port }));
    const deadline = Date.now() + START_TIMEOUT;
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

import { type ChildProcess, spawn } from "node:child_process";
import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

// `npm run start:cluster`: the demo on every core. By default N worker processes (Node's
// `cluster` module) share ONE port (`PORT`, default 5000): the primary hands each new TCP
// connection to the next worker, so the requests of one long-polling session land on
// different workers — which works without sticky sessions because each worker forwards a
// request of another worker's session to it (the server's `forwarding` option, nodes found
// in Redis), and connection state recovery is cluster-wide (a page whose worker died
// recovers on another). Environment (all optional): `CLUSTER_WORKERS` (default: the
// machine's cores, at least 2), `PORT`, `REDIS_URL` (default `redis://127.0.0.1:6379`),
// `REDIS_KEY` (default `switchboard-demo`); `HOST`, `DATA_DIR` (one data folder for all),
// `ALLOWED_ORIGINS` and `DEBUG` as for `npm start`. A worker that dies is replaced. With
// `CLUSTER_PORTS` (comma-separated, e.g. `5000,5001`) it instead starts one process per
// port, as separate machines behind a balancer would be. Each output line is prefixed with
// the node's number. Ctrl-C stops them all (each drains: its pages reconnect elsewhere).

/**
 * The ports of `CLUSTER_PORTS`: two or more, comma-separated, each 0–65535 (0 picks a
 * free one). Throws on anything else.
 *
 * @example
 * clusterPorts("5000,5001"); // [5000, 5001]
 */
export function clusterPorts(raw = "5000,5001"): number[] {
  const ports = raw.split(",").map((p) => Number(p.trim()));
  if (ports.length < 2 || ports.some((p) => !Number.isInteger(p) || p < 0 || p > 65535)) {
    throw new Error(`CLUSTER_PORTS must be two or more TCP ports, got ${JSON.stringify(raw)}`);
  }
  return ports;
}

/** Copies `from` to `to` line by line, each line prefixed with `prefix`. */
function prefixLines(from: NodeJS.ReadableStream, to: NodeJS.WritableStream, prefix: string) {
  let rest = "";
  from.setEncoding("utf8");
  from.on("data", (chunk: string) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) to.write(`${prefix}${line}\n`);
  });
  from.on("end", () => {
    if (rest !== "") to.write(`${prefix}${rest}\n`);
  });
}

/**
 * `CLUSTER_WORKERS`: a positive integer, default the machine's cores (at least 2). Throws
 * on anything else.
 *
 * @example
 * clusterWorkers("4"); // 4
 */
export function clusterWorkers(raw?: string, cores = availableParallelism()): number {
  if (raw === undefined || raw.trim() === "") return Math.max(2, cores);
  const n = Number(raw.trim());
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new Error(
      `CLUSTER_WORKERS must be a whole number from 1 to 256, got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

/** The environment every node gets: where the cluster meets. */
function clusterEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    REDIS_URL: process.env.REDIS_URL || "redis://127.0.0.1:6379",
    REDIS_KEY: process.env.REDIS_KEY || "switchboard-demo",
  };
}

/** The demo server's entry: dist/server.js next to this file (or src/server.ts under tsx). */
function serverEntry(): string {
  const here = fileURLToPath(import.meta.url);
  return path.join(path.dirname(here), `server${path.extname(here)}`);
}

/** N workers on one port with Node's `cluster` module; a worker that dies is replaced. */
function startWorkers(): void {
  const workers = clusterWorkers(process.env.CLUSTER_WORKERS);
  const port = process.env.PORT || "5000";
  cluster.setupPrimary({ exec: serverEntry(), execArgv: process.execArgv, silent: true });
  let stopping = false;
  const fork = (n: number) => {
    const worker = cluster.fork({ ...clusterEnv(), PORT: port, CLUSTER_WORKER: String(n) });
    const prefix = `[node ${n}] `;
    if (worker.process.stdout) prefixLines(worker.process.stdout, process.stdout, prefix);
    if (worker.process.stderr) prefixLines(worker.process.stderr, process.stderr, prefix);
    worker.once("exit", (code, signal) => {
      if (stopping) return;
      console.error(`${prefix}exited (${code ?? signal}); starting a new one`);
      setTimeout(() => fork(n), 500).unref();
    });
  };
  console.log(`Starting ${workers} workers on port ${port} (Node's cluster module)`);
  for (let n = 1; n <= workers; n++) fork(n);
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const alive = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    const exits = alive.map((w) => new Promise<void>((resolve) => w.once("exit", () => resolve())));
    for (const w of alive) w.process.kill("SIGTERM");
    void Promise.all(exits).then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

function main(): void {
  if (!process.env.CLUSTER_PORTS) {
    startWorkers();
    return;
  }
  const ports = clusterPorts(process.env.CLUSTER_PORTS);
  // dist/server.js next to dist/start-cluster.js (or src/server.ts under tsx, whose
  // --import flag process.execArgv carries over)
  const entry = serverEntry();
  const env = clusterEnv();
  let stopping = false;
  const children: ChildProcess[] = ports.map((port, i) => {
    const child = spawn(process.execPath, [...process.execArgv, entry], {
      env: { ...env, PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const prefix = `[node ${i + 1}] `;
    if (child.stdout) prefixLines(child.stdout, process.stdout, prefix);
    if (child.stderr) prefixLines(child.stderr, process.stderr, prefix);
    child.once("exit", (code, signal) => {
      if (!stopping) {
        console.error(`${prefix}exited (${code ?? signal}); stopping the cluster`);
        stop(code === 0 || code === null ? 1 : code);
      }
    });
    return child;
  });
  const stop = (exitCode: number) => {
    stopping = true;
    const exits = children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once("exit", () => resolve());
          c.kill("SIGTERM");
        }),
    );
    void Promise.all(exits).then(() => process.exit(exitCode));
  };
  process.once("SIGINT", () => stop(0));
  process.once("SIGTERM", () => stop(0));
}

const entryArg = process.argv[1];
if (entryArg && import.meta.url === pathToFileURL(path.resolve(entryArg)).href) {
  try {
    main();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}

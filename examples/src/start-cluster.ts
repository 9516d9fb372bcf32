import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

// `npm run start:cluster`: two demo processes sharing one Redis, so a page on one port
// and a page on the other are in the same chat. Environment (all optional):
// `CLUSTER_PORTS` (comma-separated, default `5000,5001`), `REDIS_URL` (default
// `redis://127.0.0.1:6379`), `REDIS_KEY` (default `switchboard-demo`); `HOST`, `DATA_DIR`
// (one data folder for both: an upload made on one node downloads from the other),
// `ALLOWED_ORIGINS` and `DEBUG` as for `npm start`. Each output line is prefixed with the
// node's number. Ctrl-C stops both; if one exits, the other is stopped too.

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

function main(): void {
  const ports = clusterPorts(process.env.CLUSTER_PORTS || undefined);
  const here = fileURLToPath(import.meta.url);
  // dist/server.js next to dist/start-cluster.js (or src/server.ts under tsx, whose
  // --import flag process.execArgv carries over)
  const entry = path.join(path.dirname(here), `server${path.extname(here)}`);
  const env = {
    ...process.env,
    REDIS_URL: process.env.REDIS_URL || "redis://127.0.0.1:6379",
    REDIS_KEY: process.env.REDIS_KEY || "switchboard-demo",
  };
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

import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The repository root (the child runs from there, as `npm start` does). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ENTRY = fileURLToPath(new URL("../src/server.ts", import.meta.url));

export interface DemoProcess {
  /** The port it listens on (the one asked for, or the one picked for PORT=0). */
  readonly port: number;
  /** The URLs it printed on start. */
  readonly urls: string[];
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Sends `signal` and resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs the demo's entry point (`src/server.ts`, through tsx: the same `main()` as
 * `node examples/dist/server.js`) in a child process, and resolves once it has printed
 * where it listens. `env` adds to (or, with `undefined`, removes from) the environment.
 */
export async function spawnDemo(env: Record<string, string | undefined>): Promise<DemoProcess> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DEBUG: undefined };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key];
    else childEnv[key] = value;
  }
  if (childEnv.DEBUG === undefined) delete childEnv.DEBUG;
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", ENTRY], {
    cwd: REPO_ROOT,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
  });
  let onExit: ((code: number | null) => void) | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code) => {
      onExit?.(code);
      resolve();
    }),
  );

  const urls = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error("no start-up output within 20 s")), 20_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${e.message}\nstdout: ${out}\nstderr: ${err}`));
    };
    onExit = (code) => fail(new Error(`the demo exited with ${code}`));
    const onData = () => {
      // The URLs come one per line between "listening on:" and "Data in …".
      if (!/^Data in /m.test(out)) return;
      clearTimeout(timer);
      onExit = undefined;
      child.stdout?.off("data", onData);
      resolve(out.split("\n").flatMap((line) => (/^\s+http/.test(line) ? [line.trim()] : [])));
    };
    child.stdout?.on("data", onData);
  });
  const first = urls[0];
  if (first === undefined) throw new Error(`no URL printed:\n${out}`);
  return {
    port: Number(new URL(first).port),
    urls,
    stdout: () => out,
    stderr: () => err,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

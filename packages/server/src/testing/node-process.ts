import { fork, type Serializable } from "node:child_process";
import { fileURLToPath } from "node:url";
import { childOptions, type ExitStatus, ManagedChild, outputTail } from "./managed-child.js";
import { DEFAULT_OUTPUT_LIMIT, OutputRing } from "./output-ring.js";
import { ProcessError, ProcessErrorCode } from "./process-error.js";
import { READY_MESSAGE_TYPE } from "./report-ready.js";

export type { ExitStatus } from "./managed-child.js";

/** Options of {@link spawnNode}. */
export interface SpawnNodeOptions {
  /** Variables added to this process's environment. Default `{}`. */
  env?: Record<string, string>;
  /** Arguments after the module path (`process.argv.slice(2)` in the child). Default `[]`. */
  args?: string[];
  /**
   * Node options of the child, e.g. `["--import", "tsx"]` to run TypeScript. Default `[]`
   * (not this process's `execArgv`).
   */
  execArgv?: string[];
  /** Working directory of the child. Default: this process's. */
  cwd?: string;
  /** Time for the child to call `reportReady` after each start, ms. Default `10000`. */
  readyTimeout?: number;
  /** Wait between SIGTERM and SIGKILL of `stop()`, ms. Default `5000`. */
  stopGrace?: number;
  /** Size of each of the stdout and stderr rings, bytes. Default `65536` (the last 64 KB). */
  outputLimit?: number;
}

/** A Node.js script in a child process, from {@link spawnNode}. */
export interface NodeProcess<Info extends Record<string, unknown> = Record<string, unknown>> {
  /** What the current run passed to `reportReady` (without `type`); a restart replaces it. */
  readonly info: Info;
  /** Process id of the current (or last) run. */
  readonly pid: number;
  /** The current run is running (started and not exited). */
  readonly running: boolean;
  /** Resolves when the current run has exited; a restart replaces it. Never rejects. */
  readonly exited: Promise<ExitStatus>;
  /**
   * Sends `signal` (default `SIGKILL`, a crash) and resolves with the exit code once the
   * process has exited and its output is read (`null` when a signal ended it; at once when
   * not running). A signal that the script handles without exiting leaves the promise
   * pending.
   */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /**
   * SIGTERM, SIGKILL after `stopGrace` ms if still running; resolves once it has exited and
   * its output is read.
   */
  stop(): Promise<void>;
  /**
   * Starts the script again with the same options (stopped first as by {@link stop} when
   * still running) and resolves once it has reported ready again, with the new `info`.
   */
  restart(): Promise<void>;
  /**
   * Sends a message over the IPC channel (the child gets it with `process.on("message")`);
   * false when the current run has exited.
   */
  send(message: Serializable): boolean;
  /**
   * Calls `listener` with each IPC message the script sends (`process.send`), of this run
   * and of the runs after a restart, except the ready message. Returns the function that
   * removes it.
   */
  onMessage(listener: (message: unknown) => void): () => void;
  /** The last `outputLimit` bytes the script wrote to stdout, over every run. */
  stdout(): string;
  /** The last `outputLimit` bytes the script wrote to stderr, over every run. */
  stderr(): string;
}

const DEFAULT_READY_TIMEOUT = 10_000;

/**
 * Runs a Node.js script in a child process (`fork`, with an IPC channel) and resolves once
 * it calls `reportReady(info)` (from this same module), with that `info`. A fault test kills
 * it (`kill()`: SIGKILL by default), stops it (`stop()`: SIGTERM first) and starts it again
 * (`restart()`). Its stdout and stderr are piped into bounded rings (`stdout()`,
 * `stderr()`), not to the terminal.
 *
 * It never outlives the calling process: an `exit` hook SIGKILLs it, and a watchdog does
 * when the calling process is killed (see the README, "Fault tests").
 *
 * @param modulePath - the script (a path, or a `file:` URL such as
 *   `new URL("./node.mjs", import.meta.url)`).
 * @throws {@link ProcessError} `SB_ERR_PROCESS_READY_TIMEOUT` (no `reportReady` within
 *   `readyTimeout`: the child is killed, its output is in the message), or
 *   `SB_ERR_PROCESS_EXITED` (it exited first, e.g. threw at start: its output is in the
 *   message).
 * @example
 * ```ts
 * const redis = await startRedisServer();
 * const node = await spawnNode<{ port: number }>("./node.mjs", { env: { REDIS_URL: redis.url } });
 * const socket = io(`http://127.0.0.1:${node.info.port}`);
 * await node.kill(); // SIGKILL: the node crashes
 * await node.restart(); // a new process, node.info.port its new port
 * ```
 */
export async function spawnNode<Info extends Record<string, unknown> = Record<string, unknown>>(
  modulePath: string | URL,
  options: SpawnNodeOptions = {},
): Promise<NodeProcess<Info>> {
  const limits = childOptions("spawnNode", options, { outputLimit: DEFAULT_OUTPUT_LIMIT });
  const readyTimeout = options.readyTimeout ?? DEFAULT_READY_TIMEOUT;
  if (!Number.isFinite(readyTimeout) || readyTimeout <= 0) {
    throw new TypeError("spawnNode: readyTimeout must be a positive number (ms)");
  }
  const script = modulePath instanceof URL ? fileURLToPath(modulePath) : modulePath;
  const stdout = new OutputRing(limits.outputLimit);
  const stderr = new OutputRing(limits.outputLimit);
  let run: ManagedChild | undefined;
  let info = {} as Info;
  const listeners = new Set<(message: unknown) => void>();

  const start = async (): Promise<void> => {
    const current = new ManagedChild(
      fork(script, options.args ?? [], {
        env: { ...process.env, ...options.env },
        execArgv: options.execArgv ?? [],
        cwd: options.cwd,
        stdio: ["ignore", "pipe", "pipe", "ipc"],
      }),
      stdout,
      stderr,
      limits.stopGrace,
    );
    run = current;
    current.child.on("message", (message: unknown) => {
      if (isReadyMessage(message)) return;
      for (const listener of listeners) listener(message);
    });
    info = await untilReady<Info>(current, script, readyTimeout, stdout, stderr);
  };

  await start();
  return {
    get info() {
      return info;
    },
    get pid() {
      return run?.child.pid ?? 0;
    },
    get running() {
      return run?.running ?? false;
    },
    get exited() {
      return run?.exited ?? Promise.resolve({ code: null, signal: null });
    },
    async kill(signal = "SIGKILL") {
      return (await run?.kill(signal))?.code ?? null;
    },
    async stop() {
      await run?.stop();
    },
    async restart() {
      await run?.stop();
      await start();
    },
    send(message) {
      const child = run?.child;
      if (child === undefined || !run?.running || !child.connected) return false;
      // A process that dies between the check above and the write fails the write with
      // EPIPE; the callback takes that error so it is not thrown as an unhandled 'error'
      // event (the message is lost with the process, as `false` below reports).
      return child.send(message, () => {});
    },
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stdout: () => stdout.text(),
    stderr: () => stderr.text(),
  };
}

function isReadyMessage(message: unknown): message is Record<string, unknown> {
  return (
    typeof message === "object" &&
    message !== null &&
    (message as { type?: unknown }).type === READY_MESSAGE_TYPE
  );
}

/** The `info` of `run`'s ready message; throws (and kills it) on exit or timeout. */
function untilReady<Info>(
  run: ManagedChild,
  script: string,
  timeout: number,
  stdout: OutputRing,
  stderr: OutputRing,
): Promise<Info> {
  const { child } = run;
  return new Promise<Info>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.off("message", onMessage);
      outcome();
    };
    const onMessage = (message: unknown) => {
      if (!isReadyMessage(message)) return;
      const { type: _type, ...rest } = message;
      finish(() => resolve(rest as Info));
    };
    const timer = setTimeout(() => {
      finish(() => {
        void run
          .kill("SIGKILL")
          .then(() =>
            reject(
              new ProcessError(
                ProcessErrorCode.READY_TIMEOUT,
                `spawnNode: ${script} did not call reportReady within ${timeout} ms (killed)${outputTail(stdout, stderr)}`,
              ),
            ),
          );
      });
    }, timeout);
    child.on("message", onMessage);
    void run
      .outputDone()
      .then((status) =>
        finish(() =>
          reject(
            new ProcessError(
              ProcessErrorCode.EXITED,
              `spawnNode: ${script} exited before reportReady (code ${status.code}, signal ${status.signal})${run.spawnError ? `: ${run.spawnError.message}` : ""}${outputTail(stdout, stderr)}`,
              { cause: run.spawnError },
            ),
          ),
        ),
      );
  });
}

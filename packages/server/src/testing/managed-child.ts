// A child process of the process helpers (spawnNode, startRedisServer): its exit as a
// promise, its output in bounded rings, kill-and-wait, stop with a grace period, and the
// orphan guard. Module-internal: the testing entry does not re-export it.
import { type ChildProcess, spawn } from "node:child_process";
import { Socket } from "node:net";
import createDebug from "debug";
import type { OutputRing } from "./output-ring.js";

const debug = createDebug("switchboard:testing:process");

/** How a child process ended: its exit code, or the signal that ended it. */
export interface ExitStatus {
  /** The exit code, `null` when a signal ended it. */
  code: number | null;
  /** The signal that ended it, `null` when it exited by itself. */
  signal: NodeJS.Signals | null;
}

/** Default wait between SIGTERM and SIGKILL of `stop()`, ms. */
export const DEFAULT_STOP_GRACE = 5000;

const guarded = new Map<ChildProcess, ChildProcess | undefined>();
let exitHook = false;

/**
 * No orphans, however this process ends. On a normal exit (end of the event loop,
 * `process.exit`), an `exit` hook SIGKILLs every child still running. A crash or a SIGKILL
 * of this process runs no hook: for that, each child has a watchdog, `sh` blocked reading a
 * pipe from this process; the kernel closes the pipe when this process dies, whatever
 * kills it, and the watchdog then SIGKILLs the child. No watchdog on Windows (no `sh`).
 */
function guard(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  if (!exitHook) {
    exitHook = true;
    process.on("exit", () => {
      for (const [orphan, watchdog] of guarded) {
        watchdog?.kill("SIGKILL");
        orphan.kill("SIGKILL");
      }
    });
  }
  let watchdog: ChildProcess | undefined;
  if (process.platform !== "win32") {
    watchdog = spawn(
      "sh",
      ["-c", 'read _ignored; kill -9 "$1" 2>/dev/null', "sb-watchdog", `${pid}`],
      {
        stdio: ["pipe", "ignore", "ignore"],
      },
    );
    // A missing sh leaves the exit hook only: worth a debug line, not a failed test.
    watchdog.on("error", (err) => debug("watchdog of %d: %s", pid, err.message));
    watchdog.stdin?.on("error", (err) => debug("watchdog pipe of %d: %s", pid, err.message));
    watchdog.unref();
    if (watchdog.stdin instanceof Socket) watchdog.stdin.unref();
  }
  guarded.set(child, watchdog);
  child.once("exit", () => {
    guarded.delete(child);
    watchdog?.kill("SIGKILL");
  });
}

/** Options of {@link ManagedChild}. */
export interface ManagedChildOptions {
  /** Size of each output ring, bytes. */
  outputLimit: number;
  /** Wait between SIGTERM and SIGKILL of {@link ManagedChild.stop}, ms. */
  stopGrace: number;
}

/**
 * One run of a child process. `spawned` is called with the rings the child's stdout and
 * stderr (when piped) write to; the child is guarded against orphaning at once.
 */
export class ManagedChild {
  readonly child: ChildProcess;
  /** Resolves when the child has exited (or could not be started: `code` and `signal` null). */
  readonly exited: Promise<ExitStatus>;
  /** The error of a child that could not be started (ENOENT, …). */
  spawnError: NodeJS.ErrnoException | undefined;
  #status: ExitStatus | undefined;
  #closed = false;
  readonly #stopGrace: number;

  constructor(child: ChildProcess, stdout: OutputRing, stderr: OutputRing, stopGrace: number) {
    this.child = child;
    this.#stopGrace = stopGrace;
    child.once("close", () => {
      this.#closed = true;
    });
    child.stdout?.on("data", (chunk: Buffer) => stdout.write(chunk));
    child.stderr?.on("data", (chunk: Buffer) => stderr.write(chunk));
    this.exited = new Promise((resolve) => {
      const settle = (status: ExitStatus) => {
        if (this.#status !== undefined) return;
        this.#status = status;
        debug("%d exited (code %s, signal %s)", child.pid, status.code, status.signal);
        resolve(status);
      };
      child.once("exit", (code, signal) => settle({ code, signal }));
      child.on("error", (err: NodeJS.ErrnoException) => {
        // "error" also reports a failed kill or send of a running child: only a child that
        // never started (no pid) is over.
        if (child.pid === undefined) {
          this.spawnError = err;
          settle({ code: null, signal: null });
        } else debug("%d: %s", child.pid, err.message);
      });
    });
    guard(child);
  }

  /**
   * Resolves once the child has exited and its stdout and stderr have closed (their last
   * words are in the rings), or 1 s after the exit (a grandchild may hold the pipes).
   */
  async outputDone(): Promise<ExitStatus> {
    const status = await this.exited;
    if (this.child.stdout === null && this.child.stderr === null) return status;
    if (this.#closed) return status;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      this.child.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return status;
  }

  /** The child is running (started and not exited). */
  get running(): boolean {
    return this.#status === undefined && this.child.pid !== undefined;
  }

  /**
   * Sends `signal` (if still running) and resolves once the child has exited and its
   * output is read ({@link outputDone}).
   */
  async kill(signal: NodeJS.Signals): Promise<ExitStatus> {
    if (this.running) this.child.kill(signal);
    return this.outputDone();
  }

  /**
   * SIGTERM, then SIGKILL if still running after the grace period; resolves once the child
   * has exited and its output is read ({@link outputDone}).
   */
  async stop(): Promise<ExitStatus> {
    if (!this.running) return this.outputDone();
    const force = setTimeout(() => this.child.kill("SIGKILL"), this.#stopGrace);
    this.child.kill("SIGTERM");
    try {
      await this.exited;
    } finally {
      clearTimeout(force);
    }
    return this.outputDone();
  }
}

/** Validated sizes and times of the helpers' options. */
export function childOptions(
  what: string,
  options: { outputLimit?: number; stopGrace?: number },
  defaults: { outputLimit: number },
): ManagedChildOptions {
  const outputLimit = options.outputLimit ?? defaults.outputLimit;
  const stopGrace = options.stopGrace ?? DEFAULT_STOP_GRACE;
  if (!Number.isInteger(outputLimit) || outputLimit <= 0) {
    throw new TypeError(`${what}: outputLimit must be a positive integer (bytes)`);
  }
  if (!Number.isFinite(stopGrace) || stopGrace < 0) {
    throw new TypeError(`${what}: stopGrace must be a non-negative number (ms)`);
  }
  return { outputLimit, stopGrace };
}

/** The end of a child's output, for an error message. */
export function outputTail(stdout: OutputRing, stderr: OutputRing, bytes = 4000): string {
  const out = stdout.text().slice(-bytes).trimEnd();
  const err = stderr.text().slice(-bytes).trimEnd();
  return `\n--- stdout (end) ---\n${out || "(nothing)"}\n--- stderr (end) ---\n${err || "(nothing)"}`;
}

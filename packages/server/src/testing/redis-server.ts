import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./free-port.js";
import { childOptions, ManagedChild, outputTail } from "./managed-child.js";
import { DEFAULT_OUTPUT_LIMIT, OutputRing } from "./output-ring.js";
import { ProcessError, ProcessErrorCode } from "./process-error.js";
import { probeRedis } from "./redis-probe.js";

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** The port; default: a free one ({@link freePort}). */
  port?: number;
  /** The address it binds (`--bind`); default `"127.0.0.1"`. */
  host?: string;
  /**
   * More `redis-server` arguments, after the defaults (`--port P --bind H --save ""
   * --appendonly no`); for most options the last value given wins. Default `[]`.
   */
  args?: string[];
  /** The executable; default `"redis-server"`, looked up on PATH. */
  binary?: string;
  /** Time to answer PING after each start, ms; default `10000`. */
  startTimeout?: number;
  /** Wait between SIGTERM and SIGKILL of `stop()`, ms; default `5000`. */
  stopGrace?: number;
  /** Size of each of the stdout and stderr rings, bytes; default `65536`. */
  outputLimit?: number;
}

/** A `redis-server` of the caller's own, from {@link startRedisServer}. */
export interface RedisProcess {
  /** Its port: the same across restarts. */
  readonly port: number;
  /** The address it binds. */
  readonly host: string;
  /** `redis://host:port`. */
  readonly url: string;
  /** Process id of the current (or last) run; a restart changes it. */
  readonly pid: number;
  /** The server process is running (started and not exited). */
  readonly running: boolean;
  /**
   * Sends `signal` (default `SIGKILL`, a crash) and resolves once it has exited and its
   * output is read (at once when not running). A signal that does not end Redis leaves the
   * promise pending.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /**
   * Starts it again on the same port (stopped first as by {@link stop} when still
   * running) and resolves once the new process answers PING.
   */
  restart(): Promise<void>;
  /**
   * SIGTERM, SIGKILL after `stopGrace` ms if still running; resolves once it has exited and
   * its output is read.
   */
  stop(): Promise<void>;
  /** The last `outputLimit` bytes it wrote to stdout (its log), over every run. */
  stdout(): string;
  /** The last `outputLimit` bytes it wrote to stderr, over every run. */
  stderr(): string;
}

const DEFAULT_START_TIMEOUT = 10_000;

/**
 * Starts a `redis-server` of your own, for tests that kill and restart Redis: `redis-server
 * --port P --bind 127.0.0.1 --save "" --appendonly no` (nothing written to disk), on a free
 * port by default, resolved once it answers PING on that port (and is the process started:
 * a Redis already listening there is not taken for it). The binary comes from PATH.
 *
 * It never outlives the calling process: an `exit` hook SIGKILLs it, and a watchdog does
 * when the calling process is killed (see the README, "Fault tests").
 *
 * @throws {@link ProcessError} `SB_ERR_PROCESS_NOT_FOUND` (no `redis-server` on PATH),
 *   `SB_ERR_PROCESS_EXITED` (it exited at start, e.g. port in use: its output is in the
 *   message), `SB_ERR_PROCESS_READY_TIMEOUT` (no PONG within `startTimeout`; it is killed).
 * @example
 * ```ts
 * const redis = await startRedisServer();
 * const pub = new Redis(redis.url); // ioredis
 * await redis.kill(); // SIGKILL: Redis crashes
 * await redis.restart(); // same port, answering PING
 * await redis.stop();
 * ```
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisProcess> {
  const limits = childOptions("startRedisServer", options, { outputLimit: DEFAULT_OUTPUT_LIMIT });
  const startTimeout = options.startTimeout ?? DEFAULT_START_TIMEOUT;
  if (!Number.isFinite(startTimeout) || startTimeout <= 0) {
    throw new TypeError("startRedisServer: startTimeout must be a positive number (ms)");
  }
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? (await freePort(host));
  const binary = options.binary ?? "redis-server";
  const args = [
    "--port",
    `${port}`,
    "--bind",
    host,
    "--save",
    "",
    "--appendonly",
    "no",
    ...(options.args ?? []),
  ];
  const stdout = new OutputRing(limits.outputLimit);
  const stderr = new OutputRing(limits.outputLimit);
  let run: ManagedChild | undefined;

  const start = async (): Promise<void> => {
    const current = new ManagedChild(
      spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] }),
      stdout,
      stderr,
      limits.stopGrace,
    );
    run = current;
    await untilAnswers(current, binary, host, port, startTimeout, stdout, stderr);
  };

  await start();
  const url = `redis://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    port,
    host,
    url,
    get pid() {
      return run?.child.pid ?? 0;
    },
    get running() {
      return run?.running ?? false;
    },
    async kill(signal = "SIGKILL") {
      await run?.kill(signal);
    },
    async restart() {
      await run?.stop();
      await start();
    },
    async stop() {
      await run?.stop();
    },
    stdout: () => stdout.text(),
    stderr: () => stderr.text(),
  };
}

/** Resolves once `run`'s own process answers PING on `port`; else kills it and throws. */
async function untilAnswers(
  run: ManagedChild,
  binary: string,
  host: string,
  port: number,
  timeout: number,
  stdout: OutputRing,
  stderr: OutputRing,
): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    // wait for the spawn result before the first probe: a missing binary is known at once
    await Promise.race([sleep(50), run.exited]);
    if (!run.running) {
      if (run.spawnError?.code === "ENOENT") {
        throw new ProcessError(
          ProcessErrorCode.NOT_FOUND,
          `${binary} not found${binary.includes("/") ? "" : " on PATH"}: install Redis (e.g. apt install redis-server, brew install redis) or pass its path as the binary option`,
          { cause: run.spawnError },
        );
      }
      const status = await run.outputDone();
      throw new ProcessError(
        ProcessErrorCode.EXITED,
        `${binary} on port ${port} exited at start (code ${status.code}, signal ${status.signal})${run.spawnError ? `: ${run.spawnError.message}` : ""}${outputTail(stdout, stderr)}`,
        { cause: run.spawnError },
      );
    }
    const probe = await probeRedis(port, host, 1000, true);
    // Another Redis on that port answers too: only our process counts (it then exits
    // with "Address already in use", reported above on the next turn).
    if (probe.answers && (probe.pid === undefined || probe.pid === run.child.pid)) return;
    if (Date.now() > deadline) {
      await run.kill("SIGKILL");
      throw new ProcessError(
        ProcessErrorCode.READY_TIMEOUT,
        `${binary} on port ${port} did not answer PING within ${timeout} ms${outputTail(stdout, stderr)}`,
      );
    }
  }
}

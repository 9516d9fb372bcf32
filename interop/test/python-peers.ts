import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe } from "vitest";

/**
 * Python peers for the interop tests: Debian's python3-socketio 5.7.2, python3-engineio
 * 4.3.4, python3-flask-socketio 5.3.2 and python3-eventlet 0.33.1 (plus python3-requests
 * and python3-websocket, which the Python client needs for polling and WebSocket). They
 * live in Debian's /usr/bin/python3, not in whatever `python3` comes first on PATH.
 * `scripts/setup.sh` installs them when they are missing.
 */
export const PYTHON = "/usr/bin/python3";
const SCRIPTS = fileURLToPath(new URL("../python/", import.meta.url));
const MODULES = ["socketio", "engineio", "flask_socketio", "eventlet", "requests", "websocket"];

function checkPython(): { ok: true } | { ok: false; reason: string } {
  const result = spawnSync(PYTHON, ["-c", `import ${MODULES.join(", ")}`], {
    encoding: "utf8",
    timeout: 30_000,
  });
  if (result.error) return { ok: false, reason: result.error.message };
  if (result.status !== 0) return { ok: false, reason: result.stderr.trim().split("\n").at(-1)! };
  return { ok: true };
}

const python = checkPython();

/**
 * `describe` when the Python peers can run, or when `CI=true` (where their absence must
 * fail the tests: every helper below then throws); `describe.skip` on a developer machine
 * without them.
 */
export const describePython = python.ok || process.env.CI === "true" ? describe : describe.skip;

function requirePython(): void {
  if (!python.ok) {
    throw new Error(
      `the Python peers cannot run (${python.reason}); scripts/setup.sh installs python3-socketio, python3-flask-socketio, python3-eventlet, python3-requests and python3-websocket`,
    );
  }
}

/** Every child started by a test; {@link killChildren} (in `afterEach`) ends them. */
const children = new Set<ChildProcess>();

function startChild(script: string, args: string[]): ChildProcess {
  requirePython();
  const child = spawn(PYTHON, [`${SCRIPTS}${script}`, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" },
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Kills every child process the tests started, and waits (bounded) for each to exit. */
export async function killChildren(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => {
            child.kill("SIGKILL");
            resolve();
          }, 5_000);
          child.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill("SIGTERM");
        }),
    ),
  );
  children.clear();
}

/** Collects a child's stderr (the last 8 KB) for error messages. */
function stderrOf(child: ChildProcess): () => string {
  let text = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    text = (text + chunk).slice(-8192);
  });
  return () => text;
}

/** A running Flask-SocketIO server (interop/python/flask_server.py). */
export interface FlaskServer {
  readonly url: string;
  readonly stderr: () => string;
}

/**
 * Starts interop/python/flask_server.py on 127.0.0.1 (a free port it picks and prints).
 *
 * @param args - e.g. `["--ping-interval", "0.25"]` (seconds)
 */
export function startFlaskServer(args: string[] = [], ms = 20_000): Promise<FlaskServer> {
  const child = startChild("flask_server.py", args);
  const stderr = stderrOf(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error("no PORT line in time")), ms);
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(new Error(`flask_server.py: ${err.message}\n${stderr()}`));
    };
    child.once("error", fail);
    child.once("exit", (code) => fail(new Error(`exited with ${code}`)));
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      const port = /^PORT (\d+)$/.exec(line)?.[1];
      if (port === undefined) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      resolve({ url: `http://127.0.0.1:${port}`, stderr });
    });
  });
}

/** Binary values cross the JSON-lines pipe as `{"$bin": base64}`. */
export const bin = (bytes: Uint8Array): { $bin: string } => ({
  $bin: Buffer.from(bytes).toString("base64"),
});

/** One JSON line from interop/python/client_driver.py. */
export interface DriverEvent {
  ev: string;
  ref?: number;
  ns?: string;
  name?: string;
  args?: unknown[];
  data?: unknown[];
  transport?: string;
  error?: string;
}

/**
 * A python-socketio `socketio.Client` in a child process (interop/python/client_driver.py),
 * driven by JSON lines: {@link PythonClient.request} sends a command, {@link
 * PythonClient.next} waits (bounded) for an event.
 */
export class PythonClient {
  readonly #child: ChildProcess;
  readonly #stderr: () => string;
  /** Every event received, in order; `next` takes them out. */
  readonly #pending: DriverEvent[] = [];
  readonly #waiters = new Set<() => void>();
  #refs = 0;
  #exited = false;

  constructor() {
    this.#child = startChild("client_driver.py", []);
    this.#stderr = stderrOf(this.#child);
    this.#child.once("exit", () => {
      this.#exited = true;
      for (const wake of this.#waiters) wake();
    });
    createInterface({ input: this.#child.stdout! }).on("line", (line) => {
      this.#pending.push(JSON.parse(line) as DriverEvent);
      for (const wake of this.#waiters) wake();
    });
  }

  /** Sends a command; resolves with its reference number. */
  send(command: Record<string, unknown>): number {
    const ref = ++this.#refs;
    this.#child.stdin!.write(`${JSON.stringify({ ...command, ref })}\n`);
    return ref;
  }

  /** The next event (not taken yet) that matches; rejects after `ms` or if the driver exits. */
  next(match: (event: DriverEvent) => boolean, ms = 10_000): Promise<DriverEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const index = this.#pending.findIndex(match);
        if (index !== -1) {
          done();
          resolve(this.#pending.splice(index, 1)[0]!);
          return;
        }
        const error = this.#pending.find((e) => e.ev === "error");
        if (error !== undefined || this.#exited) {
          done();
          reject(new Error(`client_driver.py: ${error?.error ?? "exited"}\n${this.#stderr()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`client_driver.py: no matching event in time\n${this.#stderr()}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** The next event named `ev` (and of namespace `ns`, when given). */
  nextEvent(ev: string, ns?: string, ms?: number): Promise<DriverEvent> {
    return this.next((e) => e.ev === ev && (ns === undefined || e.ns === ns), ms);
  }

  /** The next server event `name` on namespace `ns`. */
  nextServerEvent(name: string, ns = "/", ms?: number): Promise<DriverEvent> {
    return this.next((e) => e.ev === "event" && e.name === name && e.ns === ns, ms);
  }

  /** Whether an event matching has been received and not taken. */
  has(match: (event: DriverEvent) => boolean): boolean {
    return this.#pending.some(match);
  }

  /** Sends a command and waits for its answer (`connected`, `emitted`, `disconnected`, …). */
  async request(command: Record<string, unknown>, answers: string[]): Promise<DriverEvent> {
    const ref = this.send(command);
    return this.next((e) => e.ref === ref && answers.includes(e.ev));
  }

  /** Connects (`transports` null: python-engineio's default, polling then upgrade). */
  connect(options: {
    url: string;
    transports: string[] | null;
    namespaces: string[];
    auth?: Record<string, unknown>;
  }): Promise<DriverEvent> {
    return this.request({ op: "connect", ...options }, ["connected", "connect_failed"]);
  }

  /** Emits; with `ack`, resolves with the acknowledgement's arguments. */
  async emit(event: string, args: unknown[], opts: { ns?: string; ack?: boolean } = {}) {
    const ref = this.send({ op: "emit", event, args, ns: opts.ns ?? "/", ack: opts.ack ?? false });
    await this.next((e) => e.ref === ref && e.ev === "emitted");
    if (!opts.ack) return undefined;
    return (await this.next((e) => e.ref === ref && e.ev === "ack")).args;
  }
}

// Parent/child plumbing: spawn a Node process pinned to one core (taskset) and talk to it
// over the IPC channel with request/response calls. Every child also exits by itself:
// when the parent goes away, and after a hard lifetime limit.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

/** @type {boolean | null} */
let canPin = null;
/** True when children can be pinned to distinct cores (taskset present, >= 2 cores). */
export function canPinCores() {
  if (canPin === null) {
    let hasTaskset = false;
    try {
      hasTaskset = spawnSync("taskset", ["-V"], { stdio: "ignore" }).status === 0;
    } catch {}
    canPin = hasTaskset && os.availableParallelism() >= 2;
  }
  return canPin;
}

// Raises the soft limit of open files to the hard one, then execs the rest of the command
// line: Node cannot call setrlimit itself, and a shell's `ulimit -n` may start at 1024 while
// the hard limit allows tens of thousands. `exec` keeps the process id (so a SIGKILL sent to
// the child's pid reaches Node, not a shell).
const RAISE_FD_LIMIT = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';

/**
 * Spawn `node [execArgv] script [args]`, pinned to `cpu` when possible; with `manyFds`, its
 * soft limit of open files raised to the hard limit first.
 * @param {string} script
 * @param {string[]} args
 * @param {{ cpu?: number, execArgv?: string[], name: string, env?: Record<string, string> | undefined, manyFds?: boolean }} opts
 */
export function startChild(script, args, opts) {
  const nodeArgv = [...(opts.execArgv ?? []), script, ...args];
  const pin = canPinCores() && opts.cpu !== undefined;
  let command = pin ? "taskset" : process.execPath;
  let argv = pin ? ["-c", String(opts.cpu), process.execPath, ...nodeArgv] : nodeArgv;
  if (opts.manyFds) {
    argv = ["-c", RAISE_FD_LIMIT, "sh", command, ...argv];
    command = "/bin/sh";
  }
  const child = spawn(command, argv, {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: opts.env ? { ...process.env, ...opts.env } : process.env,
  });
  let nextId = 1;
  /** @type {Map<number, {resolve: (v: any) => void, reject: (e: Error) => void, timer: NodeJS.Timeout}>} */
  const pending = new Map();
  let exited = false;
  /** @type {(msg: any) => void} */
  let onReady = () => {};
  const ready = new Promise((resolve, reject) => {
    onReady = resolve;
    child.once("error", reject);
  });
  const exit = new Promise((resolve) => {
    child.once("exit", (code, signal) => {
      exited = true;
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`${opts.name} exited (${code ?? signal}) during a call`));
      }
      pending.clear();
      onReady({ error: `${opts.name} exited before ready (${code ?? signal})` });
      resolve(code);
    });
  });
  child.on("message", (/** @type {any} */ msg) => {
    if (msg?.ready) {
      onReady(msg);
      return;
    }
    const p = pending.get(msg?.id);
    if (!p) return;
    pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.error) p.reject(new Error(`${opts.name}: ${msg.error}`));
    else p.resolve(msg.result);
  });
  return {
    name: opts.name,
    pid: child.pid,
    ready,
    /**
     * @param {string} cmd
     * @param {any} [payload]
     * @param {number} [timeoutMs]
     * @returns {Promise<any>}
     */
    call(cmd, payload = {}, timeoutMs = 120_000) {
      if (exited) return Promise.reject(new Error(`${opts.name} has exited`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${opts.name}: ${cmd} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        child.send({ id, cmd, payload });
      });
    },
    /**
     * Send `signal` to the child now (a crash on purpose); resolves when it has exited.
     * @param {NodeJS.Signals} signal
     */
    async kill(signal) {
      if (!exited) child.kill(signal);
      await exit;
    },
    /** Ask the child to exit; kill it if it does not within 3 s. */
    async stop() {
      if (exited) return;
      try {
        child.send({ id: 0, cmd: "exit", payload: {} });
      } catch {}
      const t = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exit;
      clearTimeout(t);
    },
  };
}

/**
 * Child side: answer calls with `handlers[cmd](payload)`, announce readiness.
 * @param {Record<string, (payload: any) => any>} handlers
 * @param {Record<string, unknown>} readyInfo
 * @param {number} [maxLifetimeMs]
 */
export function serveRpc(handlers, readyInfo, maxLifetimeMs = 15 * 60_000) {
  const send = /** @type {(m: unknown) => void} */ (process.send?.bind(process));
  if (!send) throw new Error("serveRpc: no IPC channel (start this file through bench/run.js)");
  process.on("disconnect", () => process.exit(0));
  setTimeout(() => process.exit(3), maxLifetimeMs).unref();
  process.on("message", async (/** @type {any} */ msg) => {
    if (msg.cmd === "exit") {
      setImmediate(() => process.exit(0));
      return;
    }
    const handler = handlers[msg.cmd];
    try {
      if (!handler) throw new Error(`unknown command ${msg.cmd}`);
      const result = await handler(msg.payload);
      send({ id: msg.id, result: result ?? null });
    } catch (err) {
      send({ id: msg.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  });
  send({ ready: true, ...readyInfo });
}

/** Busy CPU time of the whole machine (all cores) in µs, from /proc/stat; null elsewhere. */
export function machineBusyUs() {
  try {
    const line = readFileSync("/proc/stat", "latin1").split("\n", 1)[0] ?? "";
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (USER_HZ = 100 ticks/s)
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
    return busy * 10_000;
  } catch {
    return null;
  }
}

/**
 * CPU time (user+system, µs) of this process since `start()`, the wall time, and the busy
 * time of the whole machine over the same window (to show load from other processes).
 */
export class CpuMeter {
  /** @type {NodeJS.CpuUsage | null} */
  #cpu = null;
  #t0 = 0;
  /** @type {number | null} */
  #machine0 = null;
  #faults0 = 0;
  start() {
    this.#cpu = process.cpuUsage();
    this.#t0 = performance.now();
    this.#machine0 = machineBusyUs();
    this.#faults0 = process.resourceUsage().minorPageFault;
    return { ok: true };
  }
  stop() {
    const d = process.cpuUsage(this.#cpu ?? undefined);
    const wallMs = performance.now() - this.#t0;
    const m1 = machineBusyUs();
    const machineUs = m1 !== null && this.#machine0 !== null ? m1 - this.#machine0 : null;
    // Minor page faults over the window: large counts mean the allocator gave pages back to
    // the kernel and touched them again (see bench/README.md, "Binary echo and malloc").
    const minorFaults = process.resourceUsage().minorPageFault - this.#faults0;
    return {
      cpuUs: d.user + d.system,
      userUs: d.user,
      systemUs: d.system,
      wallMs,
      machineUs,
      minorFaults,
    };
  }
}

/** Epoch milliseconds with sub-millisecond precision, comparable across processes. */
export function nowMs() {
  return performance.timeOrigin + performance.now();
}

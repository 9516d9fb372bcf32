// Runs Debian's python3-socketio / Flask-SocketIO (in /usr/bin/python3, installed by
// scripts/setup.sh) as the real publisher of the Python channel tests.
import { spawn, spawnSync } from "node:child_process";

const PYTHON = "/usr/bin/python3";

/**
 * Whether python-socketio, Flask-SocketIO and redis-py import. Without them the tests are
 * not registered, except with CI=true: then this throws and the suite fails.
 */
export function pythonPublisherAvailable(): boolean {
  const probe = spawnSync(PYTHON, ["-c", "import socketio, flask_socketio, redis"], {
    stdio: "ignore",
  });
  const ok = probe.status === 0;
  if (!ok && process.env.CI === "true") {
    throw new Error(
      "python3-socketio, python3-flask-socketio and python3-redis are required (CI=true): run scripts/setup.sh",
    );
  }
  return ok;
}

/**
 * Runs `script` with `URL` (the Redis URL) and `CHANNEL` defined as Python globals, plus
 * `pickle`, `json`, `redis` (a redis-py client `r`) and `socketio` imported. Resolves when
 * it exits 0; rejects with its stderr otherwise (bounded by `timeoutMs`).
 */
export function runPython(
  script: string,
  vars: { url: string; channel: string },
  timeoutMs = 15_000,
): Promise<void> {
  const prelude = [
    "import json, pickle, os, redis, socketio",
    `URL = ${JSON.stringify(vars.url)}`,
    `CHANNEL = ${JSON.stringify(vars.channel)}`,
    "r = redis.Redis.from_url(URL)",
  ].join("\n");
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ["-c", `${prelude}\n${script}`], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`python exited ${code ?? signal}: ${stderr.slice(-2000)}`));
    });
  });
}

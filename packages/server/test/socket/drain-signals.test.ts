import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { client, connected, onCleanup, once, TRANSPORTS } from "./helpers.js";

const SCRIPT = fileURLToPath(new URL("./signalled-server.mjs", import.meta.url));

interface ChildMessage {
  type: string;
  [key: string]: unknown;
}

/** signalled-server.mjs in a child process: its IPC messages, its exit, its URL. */
async function startChild(config: { options: Record<string, unknown>; custom?: boolean }) {
  const child: ChildProcess = fork(SCRIPT, [JSON.stringify(config)], {
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const messages: ChildMessage[] = [];
  child.on("message", (m: ChildMessage) => messages.push(m));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  });
  const [ready] = await once<[ChildMessage]>(child, "message", 10_000).catch((err: Error) => {
    throw new Error(`${err.message}: ${stderr}`);
  });
  expect(ready.type).toBe("ready");
  /** Resolves with the first message (past or future) of `type`. */
  const next = async (type: string, ms = 5000): Promise<ChildMessage> => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const found = messages.find((m) => m.type === type);
      if (found !== undefined) return found;
      await once(child, "message", deadline - Date.now()).catch(() => undefined);
    }
    throw new Error(`no "${type}" message from the child: ${stderr}`);
  };
  return { child, url: `http://127.0.0.1:${ready.port as number}`, next, exited };
}

describe("shutdown signals", () => {
  it("SIGTERM drains, clients start to reconnect, and the process exits with code 0", async () => {
    const server = await startChild({
      options: { shutdownSignals: ["SIGTERM"], connectionStateRecovery: {}, drainSpread: 200 },
    });
    const c = await connected(
      client(server.url, TRANSPORTS[0], {
        reconnection: true,
        reconnectionDelay: 50,
        reconnectionDelayMax: 100,
      }),
    );
    const reason = once<[string]>(c, "disconnect", 10_000);
    const attempt = once(c.io, "reconnect_attempt", 10_000);
    server.child.kill("SIGTERM");
    expect(await server.next("draining")).toEqual({ type: "draining", spread: 200 });
    expect(await server.next("disconnect")).toEqual({
      type: "disconnect",
      reason: "server shutting down",
    });
    expect((await reason)[0]).toBe("transport close");
    await attempt;
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });

  it("a second signal closes what is left at once; the listeners are gone before the handler runs", async () => {
    // A spread far longer than the test's waits: only the second signal can end the drain.
    const server = await startChild({
      options: { shutdownSignals: ["SIGTERM", "SIGINT"], drainSpread: 600_000 },
      custom: true,
    });
    await connected(client(server.url, TRANSPORTS[0]));
    server.child.kill("SIGTERM");
    await server.next("draining");
    server.child.kill("SIGINT");
    expect(await server.next("disconnect")).toEqual({
      type: "disconnect",
      reason: "server shutting down",
    });
    expect(await server.next("closed")).toEqual({
      type: "closed",
      signal: "SIGTERM",
      listeners: 0,
    });
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });
});

// spawnNode and reportReady with fixtures/ready-node.mjs (the built package: npm run build).
// Waits are bounded (ready timeouts, expect.poll); no timing assertions.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type NodeProcess, ProcessError, spawnNode } from "@switchboard/server/testing";
import { afterEach, describe, expect, it } from "vitest";
import { alive } from "./processes.js";

const READY_NODE = new URL("./fixtures/ready-node.mjs", import.meta.url);

interface ReadyInfo extends Record<string, unknown> {
  port: number;
  args: string[];
  value: string | null;
}

const spawned: NodeProcess[] = [];

afterEach(async () => {
  for (const node of spawned.splice(0)) await node.kill();
});

async function start(args: string[] = [], options: Parameters<typeof spawnNode>[1] = {}) {
  const node = await spawnNode<ReadyInfo>(READY_NODE, { ...options, args });
  spawned.push(node);
  return node;
}

async function get(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/`)).text();
}

function failure(promise: Promise<unknown>): Promise<ProcessError> {
  return promise.then(
    () => {
      throw new Error("resolved, expected a ProcessError");
    },
    (err: unknown) => {
      if (err instanceof ProcessError) return err;
      throw err;
    },
  );
}

describe("spawnNode", () => {
  it("resolves with what the child reported, its args and env reaching it", async () => {
    const node = await start(["a", "b"], { env: { SB_FIXTURE_VALUE: "from the parent" } });
    // `type` is the protocol's and is not part of info
    expect(node.info).toEqual({ port: node.info.port, args: ["a", "b"], value: "from the parent" });
    expect(node.running).toBe(true);
    expect(await get(node.info.port)).toBe(`pid ${node.pid}`);
  });

  it("takes a path as well as a file URL", async () => {
    const node = await spawnNode<ReadyInfo>(fileURLToPath(READY_NODE));
    spawned.push(node);
    expect(await get(node.info.port)).toBe(`pid ${node.pid}`);
  });

  it("kill() SIGKILLs it: exit code null, exited says SIGKILL, the port refuses", async () => {
    const node = await start();
    const { pid } = node;
    expect(await node.kill()).toBeNull();
    expect(await node.exited).toEqual({ code: null, signal: "SIGKILL" });
    expect(node.running).toBe(false);
    expect(alive(pid)).toBe(false);
    await expect(get(node.info.port)).rejects.toThrow();
    expect(await node.kill()).toBeNull(); // already dead: at once
    expect(node.send("anything")).toBe(false);
  });

  it("kill(signal) resolves with the exit code of a script that handles the signal", async () => {
    const node = await start(["--exit-3-on-sigterm"]);
    expect(await node.kill("SIGTERM")).toBe(3);
    expect(await node.exited).toEqual({ code: 3, signal: null });
  });

  it("stop() sends SIGTERM, and SIGKILL after the grace period to a script ignoring it", async () => {
    const polite = await start();
    await polite.stop();
    expect(await polite.exited).toEqual({ code: null, signal: "SIGTERM" });

    const stubborn = await start(["--ignore-sigterm"], { stopGrace: 200 });
    await stubborn.stop();
    expect(await stubborn.exited).toEqual({ code: null, signal: "SIGKILL" });
    expect(alive(stubborn.pid)).toBe(false);
  });

  it("restart() runs it again with the same options: new pid, new info", async () => {
    const node = await start(["again"], { env: { SB_FIXTURE_VALUE: "kept" } });
    const first = { pid: node.pid, port: node.info.port, exited: node.exited };
    await node.kill();
    await node.restart();
    expect(node.running).toBe(true);
    expect(node.pid).not.toBe(first.pid);
    expect(node.info).toEqual({ port: node.info.port, args: ["again"], value: "kept" });
    expect(await get(node.info.port)).toBe(`pid ${node.pid}`);
    expect(node.exited).not.toBe(first.exited);
    // while running: stopped first
    const second = node.pid;
    await node.restart();
    expect(alive(second)).toBe(false);
    expect(await get(node.info.port)).toBe(`pid ${node.pid}`);
  });

  it("no reportReady in time: SB_ERR_PROCESS_READY_TIMEOUT, the child killed, its output shown", async () => {
    const err = await failure(
      // the marker is the script's first output: 2 s leave a loaded machine time for it
      spawnNode(READY_NODE, { args: ["--never-ready"], readyTimeout: 2000 }),
    );
    expect(err.code).toBe("SB_ERR_PROCESS_READY_TIMEOUT");
    expect(err.message).toContain(fileURLToPath(READY_NODE));
    expect(err.message).toContain("fixture-booting-forever");
  });

  it("a script that exits first: SB_ERR_PROCESS_EXITED with its stderr", async () => {
    const err = await failure(spawnNode(READY_NODE, { args: ["--throw"] }));
    expect(err.code).toBe("SB_ERR_PROCESS_EXITED");
    expect(err.message).toContain("fixture-failed-at-start");
    const missing = await failure(spawnNode(new URL("./fixtures/missing.mjs", import.meta.url)));
    expect(missing.code).toBe("SB_ERR_PROCESS_EXITED");
    expect(missing.message).toMatch(/MODULE_NOT_FOUND/);
  });

  it("keeps the last outputLimit bytes of stdout (default 64 KB)", async () => {
    const node = await start(["--flood", String(1024 * 1024)]);
    await expect.poll(() => node.stdout().endsWith("END\n"), { timeout: 10_000 }).toBe(true);
    expect(node.stdout().length).toBe(64 * 1024); // ASCII: characters are bytes
    expect(node.stderr()).toBe("");

    const small = await start(["--flood", String(64 * 1024)], { outputLimit: 1000 });
    await expect.poll(() => small.stdout().endsWith("END\n"), { timeout: 10_000 }).toBe(true);
    expect(small.stdout()).toBe(`${"x".repeat(1023)}\n`.repeat(64).concat("END\n").slice(-1000));
  });

  it("send() reaches the child over IPC", async () => {
    const node = await start();
    expect(node.send({ exit: 7 })).toBe(true);
    expect(await node.exited).toEqual({ code: 7, signal: null });
  });

  it("onMessage() hears the child's messages, across restarts, until removed", async () => {
    const node = await start();
    const heard: unknown[] = [];
    const off = node.onMessage((message) => heard.push(message));
    node.send({ echo: 1 });
    await expect.poll(() => heard.length, { timeout: 5000 }).toBe(1);
    await node.restart();
    node.send({ echo: 2 });
    await expect.poll(() => heard.length, { timeout: 5000 }).toBe(2);
    // the ready message of the restart is not among them
    expect(heard).toEqual([
      { echoed: 1, pid: expect.any(Number) },
      { echoed: 2, pid: node.pid },
    ]);
    off();
    const later = new Promise((resolve) => node.onMessage(resolve));
    node.send({ echo: 3 });
    expect(await later).toEqual({ echoed: 3, pid: node.pid });
    expect(heard).toHaveLength(2);
  });

  it("bad option values throw TypeError", async () => {
    await expect(spawnNode(READY_NODE, { readyTimeout: 0 })).rejects.toThrow(TypeError);
    await expect(spawnNode(READY_NODE, { outputLimit: 1.5 })).rejects.toThrow(TypeError);
  });
});

describe("reportReady", () => {
  it("outside spawnNode (no IPC channel): SB_ERR_PROCESS_NO_IPC", async () => {
    const script = `import("@switchboard/server/testing").then(({ reportReady }) => {
      try { reportReady({}); console.log("sent"); } catch (err) { console.log(err.code); }
    });`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ["-e", script], { timeout: 10_000 }, (err, stdout) =>
        err ? reject(err) : resolve(stdout.trim()),
      ),
    );
    expect(out).toBe("SB_ERR_PROCESS_NO_IPC");
  });
});

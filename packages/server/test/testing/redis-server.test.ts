// startRedisServer and pingRedis against real redis-server processes of the test's own
// (redis-server on PATH, as for the Redis package's tests). Waits are bounded polls.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server as NetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  freePort,
  ProcessError,
  pingRedis,
  type RedisProcess,
  startRedisServer,
} from "@switchboard/server/testing";
import { afterEach, describe, expect, it } from "vitest";
import { alive, redisCommand } from "./processes.js";

const started: RedisProcess[] = [];
const servers: NetServer[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const redis of started.splice(0)) await redis.stop();
  for (const server of servers.splice(0)) server.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "sb-redis-test-"));
  dirs.push(dir);
  return dir;
}

async function start(options?: Parameters<typeof startRedisServer>[0]): Promise<RedisProcess> {
  const redis = await startRedisServer(options);
  started.push(redis);
  return redis;
}

function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => "resolved",
    (err: unknown) => (err instanceof ProcessError ? err.code : `not a ProcessError: ${err}`),
  );
}

describe("startRedisServer", () => {
  it("starts on a free port, answering PING, with nothing written to disk", async () => {
    const redis = await start();
    expect(redis.host).toBe("127.0.0.1");
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(redis.running).toBe(true);
    expect(alive(redis.pid)).toBe(true);
    expect(await pingRedis(redis.port)).toBe(true);
    expect(await redisCommand(redis.port, "CONFIG", "GET", "save")).toBe(
      "*2\r\n$4\r\nsave\r\n$0\r\n\r\n",
    );
    expect(await redisCommand(redis.port, "CONFIG", "GET", "appendonly")).toBe(
      "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n",
    );
    expect(redis.stdout()).toContain("Ready to accept connections");
  });

  it("kill() SIGKILLs it: the process is gone and the port answers no more", async () => {
    const redis = await start();
    const pid = redis.pid;
    await redis.kill();
    expect(redis.running).toBe(false);
    expect(alive(pid)).toBe(false);
    expect(await pingRedis(redis.port)).toBe(false);
    await redis.kill(); // already dead: resolves at once
  });

  it("kill('SIGTERM') lets it shut down by itself", async () => {
    const redis = await start();
    await redis.kill("SIGTERM");
    expect(alive(redis.pid)).toBe(false);
    expect(redis.stdout()).toMatch(/Received SIGTERM/);
  });

  it("restart() comes back on the same port as a new process, data gone", async () => {
    const redis = await start();
    const first = redis.pid;
    expect(await redisCommand(redis.port, "SET", "k", "v")).toBe("+OK\r\n");
    await redis.kill();
    await redis.restart();
    expect(redis.running).toBe(true);
    expect(redis.pid).not.toBe(first);
    expect(alive(redis.pid)).toBe(true);
    expect(await pingRedis(redis.port)).toBe(true);
    expect(await redisCommand(redis.port, "GET", "k")).toBe("$-1\r\n");
    // while running: stopped first, then started again
    const second = redis.pid;
    await redis.restart();
    expect(alive(second)).toBe(false);
    expect(await pingRedis(redis.port)).toBe(true);
  });

  it("takes the port and arguments given (later arguments win)", async () => {
    const port = await freePort();
    const dir = tempDir();
    const redis = await start({
      port,
      args: ["--maxmemory", "2mb", "--appendonly", "yes", "--dir", dir],
    });
    expect(redis.port).toBe(port);
    expect(await redisCommand(port, "CONFIG", "GET", "maxmemory")).toBe(
      "*2\r\n$9\r\nmaxmemory\r\n$7\r\n2097152\r\n",
    );
    expect(await redisCommand(port, "CONFIG", "GET", "appendonly")).toContain("yes");
  });

  it("stop() shuts it down; a stopped server stays stopped", async () => {
    const redis = await start();
    await redis.stop();
    expect(alive(redis.pid)).toBe(false);
    await redis.stop();
    expect(await pingRedis(redis.port)).toBe(false);
  });

  it("a missing binary: SB_ERR_PROCESS_NOT_FOUND", async () => {
    expect(await codeOf(startRedisServer({ binary: "redis-server-that-is-not-installed" }))).toBe(
      "SB_ERR_PROCESS_NOT_FOUND",
    );
    expect(await codeOf(startRedisServer({ binary: "/nonexistent/redis-server" }))).toBe(
      "SB_ERR_PROCESS_NOT_FOUND",
    );
  });

  it("a port in use: SB_ERR_PROCESS_EXITED with Redis's own words in the message", async () => {
    const blocker = createServer();
    servers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const address = blocker.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const attempt = startRedisServer({ port });
    expect(await codeOf(attempt)).toBe("SB_ERR_PROCESS_EXITED");
    expect(String(await attempt.catch((err: unknown) => err))).toMatch(/already in use/i);
  });

  it("another Redis answering on the port is not taken for the one started", async () => {
    const other = await start();
    expect(await codeOf(startRedisServer({ port: other.port }))).toBe("SB_ERR_PROCESS_EXITED");
    expect(other.running).toBe(true);
  });

  it("no PONG in time: SB_ERR_PROCESS_READY_TIMEOUT, and the process is killed", async () => {
    // A process that runs but never answers: `sleep` given Redis's arguments would refuse
    // them, so a tiny shell script stands in for the binary.
    const fake = join(tempDir(), "fake-redis");
    writeFileSync(fake, '#!/bin/sh\necho "fake redis pid $$"\nexec sleep 60\n');
    chmodSync(fake, 0o755);
    // its first line tells its pid: 2 s leave a loaded machine time to print it
    const attempt = startRedisServer({ binary: fake, startTimeout: 2000 });
    expect(await codeOf(attempt)).toBe("SB_ERR_PROCESS_READY_TIMEOUT");
    const pid = Number(
      /fake redis pid (\d+)/.exec(String(await attempt.catch((err: unknown) => err)))?.[1],
    );
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
  });

  it("bad option values throw TypeError", async () => {
    await expect(startRedisServer({ outputLimit: 0 })).rejects.toThrow(TypeError);
    await expect(startRedisServer({ stopGrace: -1 })).rejects.toThrow(TypeError);
    await expect(startRedisServer({ startTimeout: 0 })).rejects.toThrow(TypeError);
  });
});

describe("pingRedis", () => {
  it("is false where nothing listens, true where Redis answers", async () => {
    expect(await pingRedis(await freePort())).toBe(false);
    const redis = await start();
    expect(await pingRedis(redis.port, "127.0.0.1", 1000)).toBe(true);
  });

  it("is true for a Redis that requires a password (-NOAUTH)", async () => {
    const redis = await start({ args: ["--requirepass", "secret"] });
    expect(await redisCommand(redis.port, "PING")).toMatch(/^-NOAUTH/);
    expect(await pingRedis(redis.port)).toBe(true);
  });

  it("is false for a server that speaks something else", async () => {
    const http = createServer((socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    servers.push(http);
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const address = http.address();
    expect(await pingRedis(typeof address === "object" && address ? address.port : 0)).toBe(false);
  });
});

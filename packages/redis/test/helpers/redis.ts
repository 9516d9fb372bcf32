// Test helpers for a real Redis: where it is (the machine's 127.0.0.1:6379, or a
// redis-server this process starts when that one is missing, unless CI=true: then a missing
// Redis fails the suite), per-test channel keys, and client pairs of both libraries.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { connect, createServer } from "node:net";
import { Redis } from "ioredis";
import { createClient } from "redis";

/** The two Redis client libraries the package supports. */
export const CLIENT_KINDS = ["ioredis", "node-redis"] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** A channel key of this test's own: parallel test files never see each other's traffic. */
export function uniqueKey(prefix = "t"): string {
  return `${prefix}-${randomBytes(5).toString("hex")}`;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => {
      socket.write("PING\r\n");
      socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
    });
  });
}

/** A TCP port free on this machine now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

/** A redis-server of the test's own (for restarts and kills), stopped by `stop()`. */
export class OwnRedis {
  readonly port: number;
  #child: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
  }

  static async start(port?: number): Promise<OwnRedis> {
    const redis = new OwnRedis(port ?? (await freePort()));
    await redis.restart();
    return redis;
  }

  /** (Re)starts the server on the same port and waits until it answers PING. */
  async restart(): Promise<void> {
    if (this.#child !== undefined) return;
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
      { stdio: "ignore" },
    );
    this.#child = child;
    child.once("exit", () => {
      if (this.#child === child) this.#child = undefined;
    });
    const deadline = Date.now() + 10_000;
    while (!(await answers(this.port))) {
      if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kills the server (SIGKILL: as a crash) and waits for its exit. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }

  stop(): Promise<void> {
    return this.kill();
  }
}

let shared: Promise<number> | undefined;

/**
 * The port of the Redis the tests share: 6379 when it answers; otherwise, unless CI=true
 * (a missing Redis then fails), a redis-server started for this test process.
 */
export function redisPort(): Promise<number> {
  shared ??= (async () => {
    if (await answers(6379)) return 6379;
    if (process.env.CI === "true") {
      throw new Error("Redis is required (CI=true) but 127.0.0.1:6379 does not answer");
    }
    const own = await OwnRedis.start();
    process.once("exit", () => void own.stop());
    return own.port;
  })();
  return shared;
}

/** A connected publisher/subscriber pair of `kind` on `port`, and how to close both. */
export interface ClientPair {
  pub: object;
  sub: object;
  quit(): Promise<void>;
}

export async function clientPair(kind: ClientKind, port?: number): Promise<ClientPair> {
  const p = port ?? (await redisPort());
  if (kind === "ioredis") {
    const pub = new Redis({ port: p, host: "127.0.0.1", lazyConnect: true });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    return {
      pub,
      sub,
      quit: async () => {
        pub.disconnect();
        sub.disconnect();
      },
    };
  }
  const pub = createClient({ url: `redis://127.0.0.1:${p}` });
  const sub = pub.duplicate();
  // node-redis rejects reconnection errors as "error" events: listened by the adapter.
  pub.on("error", () => {});
  sub.on("error", () => {});
  await Promise.all([pub.connect(), sub.connect()]);
  return {
    pub,
    sub,
    quit: async () => {
      pub.destroy();
      sub.destroy();
    },
  };
}

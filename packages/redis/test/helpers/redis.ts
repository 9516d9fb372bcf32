// Test helpers for a real Redis: where it is (the machine's 127.0.0.1:6379, or a
// redis-server this process starts when that one is missing, unless CI=true: then a missing
// Redis fails the suite), per-test channel keys, and client pairs of both libraries. A Redis
// of a test's own (to kill and restart) comes from startRedisServer of
// @switchboard/server/testing.
import { randomBytes } from "node:crypto";
import { pingRedis, startRedisServer } from "@switchboard/server/testing";
import { Redis } from "ioredis";
import { createClient } from "redis";

/** The two Redis client libraries the package supports. */
export const CLIENT_KINDS = ["ioredis", "node-redis"] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** A channel key of this test's own: parallel test files never see each other's traffic. */
export function uniqueKey(prefix = "t"): string {
  return `${prefix}-${randomBytes(5).toString("hex")}`;
}

let shared: Promise<number> | undefined;

/**
 * The port of the Redis the tests share: 6379 when it answers; otherwise, unless CI=true
 * (a missing Redis then fails), a redis-server started for this test process.
 */
export function redisPort(): Promise<number> {
  shared ??= (async () => {
    if (await pingRedis(6379)) return 6379;
    if (process.env.CI === "true") {
      throw new Error("Redis is required (CI=true) but 127.0.0.1:6379 does not answer");
    }
    // killed with this process (startRedisServer's exit hook and watchdog)
    return (await startRedisServer()).port;
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

// Redis for the cluster scenarios: where it is, whether it answers, and one publisher +
// subscriber pair of ioredis clients per server process (the same client library for
// every target, so the comparison is between the adapters, not the Redis clients).
import net from "node:net";

/** `BENCH_REDIS_URL`, default redis://127.0.0.1:6379. */
export function redisUrl() {
  return process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
}

/** Does Redis answer PING within 2 s? (a bare RESP exchange, no client library) */
export function redisReachable() {
  const u = new URL(redisUrl());
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port || 6379), u.hostname);
    const done = (/** @type {boolean} */ ok) => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 2000);
    s.once("connect", () => s.write("PING\r\n"));
    s.once("data", (d) => done(d.toString("latin1").startsWith("+PONG")));
    s.once("error", () => done(false));
  });
}

/**
 * @typedef {{ key: string, pub: import("ioredis").Redis, sub: import("ioredis").Redis,
 *   close(): Promise<void> }} ClusterLink
 */

/**
 * The cluster link of this server process when it runs a cluster scenario
 * (`BENCH_CLUSTER_KEY` is set by run.js, unique per measurement), else null.
 * @returns {Promise<ClusterLink | null>}
 */
export async function clusterLink() {
  const key = process.env.BENCH_CLUSTER_KEY;
  if (!key) return null;
  const { Redis } = await import("ioredis");
  const opts = { lazyConnect: true, maxRetriesPerRequest: 3 };
  const pub = new Redis(redisUrl(), opts);
  const sub = new Redis(redisUrl(), opts);
  await Promise.all([pub.connect(), sub.connect()]);
  return {
    key,
    pub,
    sub,
    async close() {
      pub.disconnect();
      sub.disconnect();
    },
  };
}

/**
 * CPU time redis-server has used since it started (user + system, µs, from `INFO cpu`:
 * every thread of the server process), or null when Redis does not answer.
 * @returns {Promise<number | null>}
 */
export function redisCpuUs() {
  const u = new URL(redisUrl());
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port || 6379), u.hostname);
    let text = "";
    const done = (/** @type {number | null} */ v) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(null), 2000);
    s.once("connect", () => s.write("INFO cpu\r\n"));
    s.on("data", (d) => {
      text += d.toString("latin1");
      const user = /used_cpu_user:([\d.]+)/.exec(text);
      const sys = /used_cpu_sys:([\d.]+)/.exec(text);
      if (user && sys) done(Math.round((Number(user[1]) + Number(sys[1])) * 1e6));
    });
    s.once("error", () => done(null));
  });
}

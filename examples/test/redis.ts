import { pingRedis } from "@switchboard/server/testing";

/** The Redis the cluster tests share (the machine's, as scripts/setup.sh starts it). */
export const REDIS_URL = "redis://127.0.0.1:6379";

/**
 * Whether the cluster tests can run: a missing Redis (no PING answer within 1 s) fails the
 * suite with CI=true (it throws), and skips them elsewhere (false).
 */
export async function requireRedis(what: string): Promise<boolean> {
  const ok = await pingRedis(6379, "127.0.0.1", 1000);
  if (!ok && process.env.CI === "true") {
    throw new Error(`${what} needs Redis at ${REDIS_URL} (CI=true)`);
  }
  return ok;
}

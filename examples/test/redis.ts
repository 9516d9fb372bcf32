import { connect } from "node:net";

/** The Redis the cluster tests share (the machine's, as scripts/setup.sh starts it). */
export const REDIS_URL = "redis://127.0.0.1:6379";

/** Does the machine's Redis answer PING within 1 s? */
export function redisAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(6379, "127.0.0.1");
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

/**
 * Whether the cluster tests can run: a missing Redis fails the suite with CI=true (it
 * throws), and skips them elsewhere (false).
 */
export async function requireRedis(what: string): Promise<boolean> {
  const ok = await redisAnswers();
  if (!ok && process.env.CI === "true") {
    throw new Error(`${what} needs Redis at ${REDIS_URL} (CI=true)`);
  }
  return ok;
}

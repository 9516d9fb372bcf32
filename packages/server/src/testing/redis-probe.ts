// Asks a Redis server over a raw TCP socket, in RESP (no client library: the server package
// depends on none). https://redis.io/docs/latest/develop/reference/protocol-spec/
import { connect } from "node:net";

/** What a probe learnt: PONG (or NOAUTH), and the server's process id when it told it. */
export interface RedisProbe {
  /** PING answered `+PONG`, or `-NOAUTH` (the server runs and wants a password). */
  answers: boolean;
  /** `process_id` of `INFO server`; undefined when not asked or not told. */
  pid: number | undefined;
}

const PING = "*1\r\n$4\r\nPING\r\n";
const INFO_SERVER = "*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n";

/**
 * Sends PING (and `INFO server` when `withPid`) on a connection of its own and reads the
 * replies; `{ answers: false }` when nothing listens, the connection fails or the replies
 * do not come within `timeout` ms.
 */
export function probeRedis(
  port: number,
  host: string,
  timeout: number,
  withPid: boolean,
): Promise<RedisProbe> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    let received = "";
    let settled = false;
    const done = (probe: RedisProbe) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(probe);
    };
    const silent: RedisProbe = { answers: false, pid: undefined };
    socket.setTimeout(timeout, () => done(silent));
    socket.once("error", () => done(silent));
    socket.once("close", () => done(silent));
    socket.once("connect", () => socket.write(withPid ? PING + INFO_SERVER : PING));
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      // bounded: a Redis answers these two with a few kB
      received += chunk;
      if (received.length > 1 << 20) return done(silent);
      const first = received.indexOf("\r\n");
      if (first < 0) return;
      const line = received.slice(0, first);
      const answers = line === "+PONG" || line.startsWith("-NOAUTH");
      if (!answers || !withPid) return done({ answers, pid: undefined });
      const info = bulkString(received.slice(first + 2));
      if (info === "incomplete") return;
      const pid = info === undefined ? undefined : /^process_id:(\d+)\r?$/m.exec(info)?.[1];
      done({ answers, pid: pid === undefined ? undefined : Number(pid) });
    });
  });
}

/** A RESP bulk string at the start of `text`; undefined for another reply (an error). */
function bulkString(text: string): string | undefined | "incomplete" {
  const end = text.indexOf("\r\n");
  if (end < 0) return "incomplete";
  if (!text.startsWith("$")) return undefined;
  const length = Number(text.slice(1, end));
  // the length counts bytes; INFO server is ASCII, so bytes are characters
  if (text.length < end + 2 + length) return "incomplete";
  return text.slice(end + 2, end + 2 + length);
}

/**
 * Whether a Redis server answers PING at `host:port` within `timeout` ms (a `+PONG`, or a
 * `-NOAUTH` from one that requires a password). Speaks RESP over a plain TCP socket: no
 * Redis client needed.
 *
 * @param port - the server's port.
 * @param host - default `"127.0.0.1"`.
 * @param timeout - ms, default `1000`.
 * @example
 * ```ts
 * const haveRedis = await pingRedis(6379);
 * describe.runIf(haveRedis || process.env.CI === "true")("on Redis", () => {  });
 * ```
 */
export async function pingRedis(
  port: number,
  host = "127.0.0.1",
  timeout = 1000,
): Promise<boolean> {
  return (await probeRedis(port, host, timeout, false)).answers;
}

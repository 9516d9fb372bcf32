// Helpers of the process-helper tests: is a pid alive, and a raw RESP command.
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { connect } from "node:net";

/**
 * Whether `pid` is a live process. A zombie counts as dead: PID 1 of a container may never
 * reap a killed orphan, which is dead all the same.
 */
export function alive(pid: number): boolean {
  if (process.platform === "linux") {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // the state follows the command name, which is in parentheses and may hold spaces
      return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends one command in RESP and resolves with the raw reply (the first chunk). */
export async function redisCommand(port: number, ...args: string[]): Promise<string> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  socket.write(
    `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`,
  );
  const [data] = await once(socket, "data");
  socket.destroy();
  return String(data);
}

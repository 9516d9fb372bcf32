// Socket helpers of the tests with real servers and clients: listen on a free port, wait
// for an event with a bound.
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";

/** How long a test waits for an event before failing. */
export const WAIT_MS = 5000;

/** Listens on a free loopback port; resolves with the server's http URL. */
export function listen(http: HttpServer): Promise<string> {
  return new Promise((resolve) =>
    http.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(http.address() as AddressInfo).port}`),
    ),
  );
}

/** Anything with `once(event, listener)`: a client socket. */
interface Once {
  once(ev: string, listener: (...args: never[]) => void): unknown;
}

/** The arguments of the next `ev` on `socket`; rejects after {@link WAIT_MS}. */
export function received(socket: Once, ev: string): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${ev}" within ${WAIT_MS} ms`)), WAIT_MS);
    socket.once(ev, (...args: never[]) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

/** Anything with namespaces whose adapters count the nodes: a Switchboard or socket.io Server. */
interface WithAdapters {
  of(nsp: string): { adapter: { serverCount(): Promise<number> | number } };
}

/** Waits until every server's adapter of each namespace in `nsps` counts `count` nodes. */
export async function untilNodes(
  servers: readonly WithAdapters[],
  count: number,
  nsps: readonly string[] = ["/"],
): Promise<void> {
  for (const io of servers) {
    for (const nsp of nsps) {
      await expect.poll(() => io.of(nsp).adapter.serverCount(), { timeout: WAIT_MS }).toBe(count);
    }
  }
}

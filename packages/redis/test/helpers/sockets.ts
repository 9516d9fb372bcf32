// Socket helpers of the tests with real servers and clients: listen on a free port, wait
// for an event with a bound.
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";

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

// A TCP proxy whose target can change between connections: what a load balancer does when
// a client reconnects (to test a session recovered on another node, with any client).
import { type AddressInfo, connect, createServer, type Socket } from "node:net";

/** A running proxy: its URL, where it sends new connections, and how to stop it. */
export interface Balancer {
  readonly url: string;
  /** New connections go to `url` (an `http://127.0.0.1:<port>` URL) from now on. */
  retarget(url: string): void;
  /** Closes the proxy and every connection through it. */
  close(): void;
}

/** Starts a proxy on a free loopback port, sending connections to `target`. */
export async function balancer(target: string): Promise<Balancer> {
  let port = Number(new URL(target).port);
  const open = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = connect(port, "127.0.0.1");
    open.add(inbound);
    open.add(outbound);
    inbound.pipe(outbound).pipe(inbound);
    const close = () => {
      inbound.destroy();
      outbound.destroy();
      open.delete(inbound);
      open.delete(outbound);
    };
    inbound.on("error", close).on("close", close);
    outbound.on("error", close).on("close", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    retarget: (url) => {
      port = Number(new URL(url).port);
    },
    close: () => {
      for (const socket of open) socket.destroy();
      server.close();
    },
  };
}

// biome-ignore-all lint/suspicious/noExplicitAny: server-side sockets are driven through the socket.io API untyped
import type { Socket as NetSocket } from "node:net";
import { io } from "@switchboard/client";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, startServer, track } from "./helpers.js";
import { serverKinds } from "./servers.js";

afterEach(closeAll);

// With per-message deflate negotiated (Node.js client over `ws`), `compress(false)` sends a
// packet uncompressed; the default deflates it. Measured as bytes the server's TCP socket
// read for one 64 KiB, highly compressible event.
describe.each(serverKinds)("compress flag against $name server", ({ factory }) => {
  it("deflates by default and not after compress(false)", async () => {
    const server = await startServer(
      factory,
      (srv) => {
        srv.on("connection", (s: any) => {
          const tcp = s.request.socket as NetSocket;
          s.on("blob", (_data: string, ack: (n: number) => void) => ack(tcp.bytesRead));
        });
      },
      { perMessageDeflate: { threshold: 0 } },
    );
    const socket = track(
      io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"] }),
    );
    const blob = "a".repeat(64 * 1024);
    const first: number = await socket.emitWithAck("blob", blob);
    const deflated: number = await socket.emitWithAck("blob", blob);
    const plain: number = await socket.compress(false).emitWithAck("blob", blob);
    const again: number = await socket.emitWithAck("blob", blob);
    expect(first).toBeGreaterThan(0);
    expect(deflated - first).toBeLessThan(4096);
    expect(plain - deflated).toBeGreaterThan(64 * 1024);
    expect(again - plain).toBeLessThan(4096);
  });
});

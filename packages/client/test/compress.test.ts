// biome-ignore-all lint/suspicious/noExplicitAny: server-side sockets are driven through the socket.io API untyped
import type { Socket as NetSocket } from "node:net";
import { io } from "@switchboard/client";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, startServer, track } from "./helpers.js";
import { serverKinds } from "./servers.js";

afterEach(closeAll);

// With per-message deflate negotiated (Node.js client over `ws`, asked for with
// `perMessageDeflate`), `compress(false)` sends a packet uncompressed; the default deflates
// it. The default lean WebSocket offers no deflate: every event crosses as it is. Measured
// as bytes the server's TCP socket read for one 64 KiB, highly compressible event.
describe.each(serverKinds)("compress flag against $name server", ({ factory }) => {
  it("with perMessageDeflate (ws), deflates by default and not after compress(false)", async () => {
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
      io(server.url, {
        forceNew: true,
        reconnection: false,
        transports: ["websocket"],
        perMessageDeflate: true,
      }),
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

describe.each(serverKinds)("lean WebSocket against $name server with deflate on", ({ factory }) => {
  it("offers no extension by default: events cross uncompressed", async () => {
    let extensions: string | undefined = "unset";
    const server = await startServer(
      factory,
      (srv) => {
        srv.on("connection", (s: any) => {
          extensions = s.request.headers["sec-websocket-extensions"];
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
    const second: number = await socket.emitWithAck("blob", blob);
    expect(extensions).toBeUndefined();
    expect(second - first).toBeGreaterThan(64 * 1024);
  });
});

describe("webSocketImpl", () => {
  it('"ws" offers deflate as before (ws\'s default); "lean" and "auto" do not', async () => {
    const offers: (string | undefined)[] = [];
    const server = await startServer(serverKinds[1]!.factory, (srv) => {
      srv.on("connection", (s: any) => offers.push(s.request.headers["sec-websocket-extensions"]));
    });
    for (const webSocketImpl of ["ws", "lean", "auto"] as const) {
      const socket = track(
        io(server.url, {
          forceNew: true,
          reconnection: false,
          transports: ["websocket"],
          webSocketImpl,
        }),
      );
      await new Promise((resolve) => socket.once("connect", () => resolve(undefined)));
      socket.disconnect();
    }
    expect(offers).toEqual(["permessage-deflate; client_max_window_bits", undefined, undefined]);
  });

  it("refuses an unknown implementation, and deflate with the lean one", () => {
    const url = "http://127.0.0.1:1";
    const invalid = expect.objectContaining({ name: "TypeError", code: "SB_ERR_INVALID_OPTION" });
    expect(() => io(url, { forceNew: true, webSocketImpl: "fast" as never })).toThrow(invalid);
    expect(() =>
      io(url, { forceNew: true, webSocketImpl: "lean", perMessageDeflate: true }),
    ).toThrow(invalid);
  });
});

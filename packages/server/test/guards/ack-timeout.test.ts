import { io as sbio } from "@switchboard/client";
import { Server, type Socket, SocketErrorCode } from "@switchboard/server";
import { TestClient } from "@switchboard/server/testing";
import { describe, expect, it } from "vitest";
import { listen, onCleanup } from "../socket/helpers.js";
import { CLIENTS, ready } from "./clients.js";

/** Default ack timeouts (issue 18 part 4): no ack callback waits forever. */
describe.each(CLIENTS)("server ackTimeout with $name", (client) => {
  it("fails an unanswered ack with SB_ERR_ACK_TIMEOUT and forgets it; answered acks are error-first", async () => {
    const { io, url } = await listen({ ackTimeout: 100 });
    const result = new Promise<unknown[]>((resolve) => {
      io.on("connection", (socket) => {
        socket.emit("answer", (err: Error | null, value: unknown) => {
          socket.emit("ignore", (timeoutErr: Error & { code?: string }) => {
            resolve([err, value, timeoutErr.code, socket.pendingAcks]);
          });
        });
      });
    });
    const socket = client.connect(url);
    socket.on("answer", ((ack: (v: number) => void) => ack(42)) as never);
    socket.on("ignore", () => {});
    await ready(socket);
    expect(await result).toEqual([null, 42, SocketErrorCode.ACK_TIMEOUT, 0]);
  });
});

describe("ackTimeout: details", () => {
  it("lets timeout() win over the default, and makes emitWithAck reject", async () => {
    const { io, url } = await listen({ ackTimeout: 60_000 });
    const result = new Promise<unknown[]>((resolve) => {
      io.on("connection", async (socket) => {
        const started = socket.pendingAcks;
        const err = await socket
          .timeout(50)
          .emitWithAck("ignore")
          .catch((e: { code: string }) => e.code);
        resolve([started, err, socket.pendingAcks]);
      });
    });
    const socket = CLIENTS[0].connect(url);
    socket.on("ignore", () => {});
    await ready(socket);
    expect(await result).toEqual([0, SocketErrorCode.ACK_TIMEOUT, 0]);
  });

  it("fails pending acks at once with SB_ERR_ACK_DISCONNECTED when the socket leaves", async () => {
    const { io, url } = await listen({ ackTimeout: 60_000 });
    const result = new Promise<string>((resolve) => {
      io.on("connection", (socket) => {
        socket.emit("leave", (err: { code: string } | null) => resolve(err?.code ?? "answered"));
      });
    });
    const socket = CLIENTS[1].connect(url);
    socket.on("leave", () => socket.disconnect());
    await ready(socket);
    expect(await result).toBe(SocketErrorCode.ACK_DISCONNECTED);
  });

  it("gives broadcast and remote-socket acks the default timeout too", async () => {
    const { io, url } = await listen({ ackTimeout: 100 });
    const socket = CLIENTS[0].connect(url);
    socket.on("q", ((ack: (n: number) => void) => ack(1)) as never);
    socket.on("ignore", () => {});
    await ready(socket);
    // answered: every answer, no error
    expect(await io.to(socketRoom(io)).emitWithAck("q")).toEqual([1]);
    const broadcast = await new Promise<unknown>((resolve) =>
      io.emit("ignore", (err: { code: string } | null) => resolve(err?.code)),
    );
    expect(broadcast).toBe(SocketErrorCode.ACK_TIMEOUT);
    const [remote] = await io.fetchSockets();
    const code = await new Promise<unknown>((resolve) =>
      remote!.emit("ignore", (err: { code: string } | null) => resolve(err?.code)),
    );
    expect(code).toBe(SocketErrorCode.ACK_TIMEOUT);
  });

  // the one socket's own room
  function socketRoom(io: Server): string {
    return [...io.sockets.sockets.keys()][0]!;
  }

  it("rejects an invalid ackTimeout with SB_ERR_INVALID_OPTION", () => {
    expect(() => new Server({ ackTimeout: -1 })).toThrow(
      expect.objectContaining({ code: SocketErrorCode.INVALID_OPTION }),
    );
  });

  it("leaves no ack behind: hundreds of sockets with unanswered acks, all timed out", async () => {
    const io = new Server({ ackTimeout: 30 });
    onCleanup(() => io.close());
    const sockets: Socket[] = [];
    const timedOut: Promise<string>[] = [];
    io.on("connection", (socket) => {
      sockets.push(socket);
      for (let i = 0; i < 5; i++) {
        timedOut.push(
          new Promise((resolve) => socket.emit("q", (err: { code: string }) => resolve(err.code))),
        );
      }
    });
    const clients = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const c = new TestClient(io);
        await (await c.connect("/")).waitFor("q");
        return c;
      }),
    );
    const codes = await Promise.all(timedOut);
    expect(codes).toHaveLength(1000);
    expect(new Set(codes)).toEqual(new Set([SocketErrorCode.ACK_TIMEOUT]));
    expect(sockets.reduce((n, s) => n + s.pendingAcks, 0)).toBe(0);
    for (const c of clients) c.close();
  });

  it("@switchboard/client's ackTimeout fails an ack the server never answers with SB_ERR_ACK_TIMEOUT", async () => {
    const { io, url } = await listen();
    io.on("connection", (socket) => socket.on("ignored", () => {}));
    const socket = sbio(url, {
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      ackTimeout: 50,
    });
    onCleanup(() => socket.disconnect());
    await ready(socket as never);
    const code = await new Promise<string>((resolve) =>
      socket.emit("ignored", (err: { code: string } | null) => resolve(err?.code ?? "answered")),
    );
    expect(code).toBe("SB_ERR_ACK_TIMEOUT");
  });
});

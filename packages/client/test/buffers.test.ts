// biome-ignore-all lint/suspicious/noExplicitAny: server-side sockets are driven through the socket.io API untyped
import { ClientErrorCode, io, SocketError } from "@switchboard/client";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, startServer, track, until } from "./helpers.js";
import { serverKinds } from "./servers.js";

afterEach(closeAll);

/** A Socket that stays offline until `connect()`, over WebSocket, without reconnection. */
const offline = (url: string, extra: Record<string, unknown>) =>
  track(
    io(url, {
      forceNew: true,
      reconnection: false,
      autoConnect: false,
      transports: ["websocket"],
      ...extra,
    }),
  );

// Every buffer that grows while the client is offline is bounded by maxBufferedPackets.
describe.each(serverKinds)("bounded client buffers against $name server", ({ factory }) => {
  it("keeps the first maxBufferedPackets offline emits, in order, and refuses the rest", async () => {
    const received: number[] = [];
    const server = await startServer(factory, (srv) => {
      srv.on("connection", (s: any) => s.on("n", (n: number) => received.push(n)));
    });
    const socket = offline(server.url, { maxBufferedPackets: 3 });
    for (let n = 0; n < 3; n++) socket.emit("n", n);
    const errors: unknown[] = [];
    socket.emit("n", 3); // dropped, no ack to tell
    socket.timeout(5_000).emit("n", 4, (err: unknown) => errors.push(err));
    const rejected = socket.emitWithAck("n", 5).catch((err: unknown) => err);
    expect(socket.sendBuffer).toHaveLength(3);
    // the code is the contract; the message is socket.io-client's, for apps written against it
    const full = { code: ClientErrorCode.SEND_BUFFER_FULL, message: "send buffer full" };
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SocketError);
    expect(errors[0]).toMatchObject(full);
    expect(await rejected).toMatchObject(full);

    socket.connect();
    await until(() => received.length === 3);
    socket.emit("n", 6); // connected: not buffered, not bounded
    await until(() => received.length === 4);
    expect(received).toEqual([0, 1, 2, 6]);
  });

  it("bounds the retries queue the same way", async () => {
    const server = await startServer(factory, (srv) => {
      srv.on("connection", (s: any) => s.on("q", (n: number, ack: (n: number) => void) => ack(n)));
    });
    const socket = offline(server.url, { retries: 2, ackTimeout: 2_000, maxBufferedPackets: 2 });
    const answers = [0, 1, 2].map((n) =>
      socket.emitWithAck("q", n).then(
        (v: unknown) => v,
        (err: SocketError) => err.code,
      ),
    );
    expect(await answers[2]).toBe(ClientErrorCode.SEND_BUFFER_FULL);
    socket.connect();
    expect(await Promise.all(answers)).toEqual([0, 1, ClientErrorCode.SEND_BUFFER_FULL]);
  });
});

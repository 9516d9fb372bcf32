// biome-ignore-all lint/suspicious/noExplicitAny: server-side sockets are driven through the socket.io API untyped
import { ClientErrorCode, io, type Socket } from "@switchboard/client";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, startServer, track, transportModes, until, waitFor } from "./helpers.js";
import { serverKinds } from "./servers.js";

afterEach(closeAll);

/** Fast backoff so attempts happen quickly; assertions are on counts and events only. */
const fastBackoff = { reconnectionDelay: 20, reconnectionDelayMax: 80, randomizationFactor: 0.5 };

describe.each(serverKinds)("reconnection against $name server", ({ factory }) => {
  describe.each(transportModes)("over $name", ({ options }) => {
    const connect = (url: string, extra: Record<string, unknown> = {}): Socket =>
      track(io(url, { forceNew: true, ...fastBackoff, ...options, ...extra }));

    it("reconnects after the server restarts on the same port, with attempt events", async () => {
      const server = await startServer(factory, (srv) => {
        srv.on("connection", (s: any) => s.on("echo", (v: unknown, ack: any) => ack(v)));
      });
      const socket = connect(server.url);
      await waitFor(socket, "connect");
      const firstId = socket.id;
      const attempts: number[] = [];
      const errors: Error[] = [];
      socket.io.on("reconnect_attempt", (n: number) => attempts.push(n));
      socket.io.on("reconnect_error", (err: Error) => errors.push(err));
      const connectErrors: Error[] = [];
      socket.on("connect_error", (err) => connectErrors.push(err));

      const disconnected = waitFor(socket, "disconnect");
      await server.stop();
      await disconnected;
      expect(socket.connected).toBe(false);
      expect(socket.active).toBe(true);
      // Let a few attempts fail against the closed port before restarting.
      await until(() => errors.length >= 2);
      const reconnected = waitFor<[number]>(socket.io, "reconnect");
      await server.start();
      const [attempt] = await reconnected;
      await until(() => socket.connected);

      expect(attempt).toBeGreaterThanOrEqual(3);
      // reconnect_attempt counts up from 1, one per try, with backoff in between.
      expect(attempts).toEqual(Array.from({ length: attempts.length }, (_, i) => i + 1));
      expect(attempt).toBe(attempts.length);
      expect(errors.length).toBe(attempts.length - 1);
      expect(connectErrors.length).toBe(errors.length);
      expect(socket.id).not.toBe(firstId);
      expect(await socket.emitWithAck("echo", "after restart")).toBe("after restart");
    });

    it("gives up with reconnect_failed after reconnectionAttempts", async () => {
      const server = await startServer(factory);
      const socket = connect(server.url, { reconnectionAttempts: 3 });
      await waitFor(socket, "connect");
      const attempts: number[] = [];
      socket.io.on("reconnect_attempt", (n: number) => attempts.push(n));
      const failed = waitFor(socket.io, "reconnect_failed");
      await server.stop();
      await failed;
      expect(attempts).toEqual([1, 2, 3]);
    });

    it("sends what was emitted while offline, in order, after reconnecting", async () => {
      const received: number[] = [];
      const server = await startServer(factory, (srv) => {
        srv.on("connection", (s: any) =>
          s.on("n", (n: number) => {
            received.push(n);
            if (n === 9) s.emit("done");
          }),
        );
      });
      const socket = connect(server.url);
      await waitFor(socket, "connect");
      const disconnected = waitFor(socket, "disconnect");
      await server.stop();
      await disconnected;
      for (let n = 0; n < 10; n++) socket.emit("n", n);
      const done = waitFor(socket, "done");
      await server.start();
      await done;
      expect(received).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it("does not reconnect after socket.disconnect(), and connect() starts again", async () => {
      const server = await startServer(factory);
      const socket = connect(server.url);
      await waitFor(socket, "connect");
      let attempts = 0;
      socket.io.on("reconnect_attempt", () => attempts++);
      socket.disconnect();
      expect(socket.active).toBe(false);
      expect(["closing", "closed"]).toContain(socket.io.engine!.readyState);
      socket.connect();
      await waitFor(socket, "connect");
      expect(attempts).toBe(0);
    });

    it("resends with retries until acknowledged, calling back once", async () => {
      let calls = 0;
      const server = await startServer(factory, (srv) => {
        srv.on("connection", (s: any) =>
          s.on("flaky", (value: string, ack: (r: string) => void) => {
            calls++;
            if (calls >= 3) ack(`${value} after ${calls}`);
          }),
        );
      });
      const socket = connect(server.url, { retries: 5, ackTimeout: 100 });
      const results: unknown[][] = [];
      const done = new Promise<void>((resolve) =>
        socket.emit("flaky", "v", (...args: unknown[]) => {
          results.push(args);
          resolve();
        }),
      );
      await done;
      expect(results).toEqual([[null, "v after 3"]]);
      expect(calls).toBe(3);
      // retries exhausted: the callback gets the timeout error once
      const failure = await new Promise<unknown[]>((resolve) => {
        const quiet = connect(server.url, { retries: 1, ackTimeout: 50 });
        quiet.emit("unknown-event", (...args: unknown[]) => resolve(args));
      });
      expect(failure.length).toBe(1);
      expect(failure[0]).toMatchObject({
        code: ClientErrorCode.ACK_TIMEOUT,
        message: "operation has timed out",
      });
    });

    it("rejects pending emitWithAck on disconnection", async () => {
      const server = await startServer(factory, (srv) => {
        srv.on("connection", (s: any) => s.on("hang", () => s.disconnect()));
      });
      const socket = connect(server.url);
      await waitFor(socket, "connect");
      await expect(socket.emitWithAck("hang")).rejects.toMatchObject({
        code: ClientErrorCode.DISCONNECTED,
        message: "socket has been disconnected",
      });
    });
  });
});

describe.each(serverKinds)("connection state recovery with the $name server", ({ factory }) => {
  it("recovers the session and delivers the packets missed while offline", async () => {
    const server = await startServer(
      factory,
      (srv) => {
        srv.on("connection", (s: any) => {
          s.emit("recovered", s.recovered);
          s.on("join", (room: string, ack: () => void) => {
            s.join(room);
            ack();
          });
          s.on("drop", () => s.conn.close()); // transport-level drop: the session is kept
        });
      },
      { connectionStateRecovery: { maxDisconnectionDuration: 60_000 } },
    );
    const socket = connect();
    function connect(): Socket {
      return track(io(server.url, { forceNew: true, ...fastBackoff, transports: ["websocket"] }));
    }
    // With recovery on, the server appends the offset to each event it sends.
    const [wasRecovered, offset] = await waitFor(socket, "recovered");
    expect(wasRecovered).toBe(false);
    expect(typeof offset).toBe("string");
    expect(socket.recovered).toBe(false);
    await socket.emitWithAck("join", "room1");
    const firstId = socket.id;
    const received: unknown[] = [];
    socket.on("news", (n: unknown) => received.push(n));
    server.io.to("room1").emit("news", 1);
    await until(() => received.length === 1);

    const disconnected = waitFor(socket, "disconnect");
    socket.emit("drop");
    await disconnected;
    // Broadcast while the client is away; the server keeps it for the session.
    server.io.to("room1").emit("news", 2);
    server.io.to("room1").emit("news", 3);
    await waitFor(socket, "connect");
    await until(() => received.length === 3);
    expect(socket.recovered).toBe(true);
    expect(socket.id).toBe(firstId);
    // The server appends the offset to each broadcast argument list; the first arg is ours.
    expect(received).toEqual([1, 2, 3]);
  });
});

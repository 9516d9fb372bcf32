import { connectTestClient, TestClient, TestConnectError } from "@switchboard/server/testing";
import { describe, expect, it } from "vitest";
import { inProcessServer } from "./helpers.js";

const server = inProcessServer;

describe("in-process test client", () => {
  it("connects to the main namespace and gets a socket id distinct from the engine id", async () => {
    const io = server();
    const connected = new Promise<string>((resolve) => io.on("connection", (s) => resolve(s.id)));
    const socket = await connectTestClient(io);
    expect(socket.id).toBe(await connected);
    expect(socket.id).not.toBe(socket.client.connection.id);
    expect(io.sockets.sockets.size).toBe(1);
  });

  it("passes auth, headers and query into the handshake", async () => {
    const io = server();
    const seen = new Promise<unknown>((resolve) =>
      io.on("connection", (s) => resolve(s.handshake)),
    );
    await connectTestClient(io, "/", {
      auth: { token: "abc" },
      headers: { "x-test": "1", origin: "http://example.com" },
      query: { room: "42" },
    });
    expect(await seen).toMatchObject({
      auth: { token: "abc" },
      headers: { "x-test": "1" },
      query: { room: "42", EIO: "4" },
      xdomain: true,
      secure: false,
      address: "127.0.0.1",
    });
  });

  it("delivers events both ways", async () => {
    const io = server();
    io.on("connection", (socket) => {
      socket.on("ping", (n: number) => socket.emit("pong", n + 1));
    });
    const socket = await connectTestClient(io);
    socket.emit("ping", 1);
    expect(await socket.waitFor("pong")).toEqual([2]);
    expect(socket.received).toEqual([["pong", 2]]);
  });

  it("acks client → server and server → client", async () => {
    const io = server();
    let serverAnswer: Promise<unknown> | undefined;
    io.on("connection", (socket) => {
      socket.on("add", (a: number, b: number, cb: (sum: number) => void) => cb(a + b));
      serverAnswer = socket.timeout(1000).emitWithAck("question", "life");
    });
    const socket = await connectTestClient(io);
    const [question, cb] = await socket.waitFor("question");
    expect(question).toBe("life");
    (cb as (a: number) => void)(42);
    expect(await socket.emitWithAck("add", 1, 2)).toEqual([3]);
    expect(await serverAnswer).toBe(42);
  });

  it("rejects with the middleware error's message and data", async () => {
    const io = server();
    io.use((_socket, next) => {
      const err = Object.assign(new Error("not authorized"), { data: { code: 401 } });
      next(err);
    });
    const err = await connectTestClient(io).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TestConnectError);
    expect(err).toMatchObject({ message: "not authorized", data: { code: 401 } });
    expect(io.sockets.sockets.size).toBe(0);
  });

  it("rejects an unknown namespace with Invalid namespace", async () => {
    const io = server();
    await expect(connectTestClient(io, "/nope")).rejects.toMatchObject({
      message: "Invalid namespace",
    });
  });

  it("multiplexes namespaces over one connection", async () => {
    const io = server();
    io.of("/admin").on("connection", (s) => s.emit("hello", "admin"));
    io.on("connection", (s) => s.emit("hello", "main"));
    const client = new TestClient(io);
    const main = await client.connect("/");
    const admin = await client.connect("/admin");
    expect(await main.waitFor("hello")).toEqual(["main"]);
    expect(await admin.waitFor("hello")).toEqual(["admin"]);
    client.close();
    expect(await main.waitForDisconnect()).toBe("transport close");
  });

  it("reports disconnect reasons on both sides", async () => {
    const io = server();
    const reasons: string[] = [];
    io.on("connection", (s) => {
      s.on("disconnect", (reason) => reasons.push(reason));
      s.on("kick", () => s.disconnect());
    });
    const a = await connectTestClient(io);
    a.emit("kick");
    expect(await a.waitForDisconnect()).toBe("io server disconnect");
    const b = await connectTestClient(io);
    b.disconnect();
    await expect
      .poll(() => reasons)
      .toEqual(["server namespace disconnect", "client namespace disconnect"]);
    expect(io.sockets.sockets.size).toBe(0);
  });
});

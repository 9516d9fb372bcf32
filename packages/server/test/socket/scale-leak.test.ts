import { Server } from "@switchboard/server";
import { connectTestClient, TestClient } from "@switchboard/server/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { client, listen, once, TRANSPORTS } from "./helpers.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((io) => io.close()));
});

describe("leaks", () => {
  it("empties every per-connection map after hundreds of connections with rooms and pending acks", async () => {
    const io = new Server({ cleanupEmptyChildNamespaces: true });
    servers.push(io);
    const dynamic = io.of(/^\/dyn-\d+$/);
    const handler = (socket: import("@switchboard/server").Socket) => {
      socket.join(["shared", `own-${socket.id}`]);
      // an ack the client never answers: must not outlive the socket
      socket.emit("question", () => {});
    };
    io.on("connection", handler);
    dynamic.on("connection", handler);
    const acksPending: number[] = [];
    for (let round = 0; round < 5; round++) {
      const clients = await Promise.all(
        Array.from({ length: 60 }, async (_v, i) => {
          const c = new TestClient(io);
          const main = await c.connect("/");
          await c.connect(`/dyn-${i % 7}`);
          await main.waitFor("question");
          return c;
        }),
      );
      acksPending.push([...io.sockets.sockets.values()].reduce((n, s) => n + s.pendingAcks, 0));
      for (const c of clients) c.close();
      await Promise.all(clients.map((c) => c.waitForClose()));
    }
    expect(acksPending.every((n) => n === 60)).toBe(true);
    expect(io.sockets.sockets.size).toBe(0);
    expect(io.sockets.adapter.rooms.size).toBe(0);
    expect(io.sockets.adapter.sids.size).toBe(0);
    expect(io.clientsCount).toBe(0);
    expect([...io.namespaces.keys()]).toEqual(["/"]);
    expect(dynamic.children.size).toBe(0);
  });
});

describe("encoding", () => {
  it("encodes a broadcast once whatever the number of recipients", async () => {
    const io = new Server();
    servers.push(io);
    const sockets = await Promise.all(Array.from({ length: 50 }, () => connectTestClient(io)));
    const spy = vi.spyOn(io.sockets, "encode");
    io.to(sockets.slice(0, 25).map((s) => s.id!)).emit("x", Buffer.from([1]));
    io.emit("x", 2);
    await Promise.all(sockets.map((s) => s.waitFor("x")));
    expect(spy).toHaveBeenCalledTimes(2);
  });
});

describe.each(TRANSPORTS)("fan-out over $name", (transport) => {
  it("delivers one broadcast to 500 concurrent clients", async () => {
    const { io, url } = await listen();
    const clients = Array.from({ length: 500 }, () => client(url, transport));
    await Promise.all(clients.map((c) => once(c, "connect", 20_000)));
    expect(io.sockets.sockets.size).toBe(500);
    const received = clients.map((c) => once<[string, { n: number }]>(c, "news", 20_000));
    io.emit("news", "hello", { n: 1 });
    const all = await Promise.all(received);
    expect(all.every(([text, obj]) => text === "hello" && obj.n === 1)).toBe(true);
  }, 60_000);
});

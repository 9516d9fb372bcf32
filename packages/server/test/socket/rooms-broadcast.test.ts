import type { Server } from "@switchboard/server";
import type { Socket as ClientSocket } from "socket.io-client";
import { describe, expect, it } from "vitest";
import { client, connected, listen, once, TRANSPORTS, type TransportCase } from "./helpers.js";

/** Connect `n` clients; each joins the rooms the factory gives it (by index). */
async function crowd(
  io: Server,
  url: string,
  transport: TransportCase,
  rooms: string[][],
): Promise<ClientSocket[]> {
  io.on("connection", (socket) => {
    const index = Number(socket.handshake.auth.index);
    socket.join(rooms[index] ?? []);
    socket.emit("ready");
  });
  return Promise.all(
    rooms.map(async (_r, index) => {
      const socket = client(url, transport, { auth: { index } });
      await once(socket, "ready");
      return socket;
    }),
  );
}

/** Which of the sockets get `event` (the others get "done" only; "done" goes to everyone). */
async function receivers(sockets: ClientSocket[], io: Server, event: string): Promise<number[]> {
  const got: number[] = [];
  sockets.forEach((s, i) => {
    s.on(event, () => got.push(i));
  });
  const done = sockets.map((s) => once(s, "done"));
  io.emit("done");
  await Promise.all(done);
  return got.sort();
}

describe.each(TRANSPORTS)("rooms and broadcasting over $name", (transport) => {
  it("puts every socket in the room of its own id, join/leave/rooms", async () => {
    const { io, url } = await listen();
    const rooms = new Promise<string[][]>((resolve) => {
      io.on("connection", (socket) => {
        const before = [...socket.rooms];
        socket.join(["a", "b"]);
        socket.leave("a");
        resolve([before, [...socket.rooms], [socket.id]]);
      });
    });
    await connected(client(url, transport));
    const [before, after, ids] = await rooms;
    const id = ids?.[0];
    expect(before).toEqual([id]);
    expect(after).toEqual([id, "b"]);
  });

  it("io.to / io.in / io.except / chained rooms", async () => {
    const { io, url } = await listen();
    const sockets = await crowd(io, url, transport, [["a"], ["b"], ["a", "b"], []]);
    const wait = receivers(sockets, io, "x");
    io.to("a").emit("x");
    expect(await wait).toEqual([0, 2]);
    const wait2 = receivers(sockets, io, "y");
    io.in("a").to("b").emit("y");
    expect(await wait2).toEqual([0, 1, 2]);
    const wait3 = receivers(sockets, io, "z");
    io.except("b").emit("z");
    expect(await wait3).toEqual([0, 3]);
    const wait4 = receivers(sockets, io, "w");
    io.to("a").except("b").emit("w");
    expect(await wait4).toEqual([0]);
  });

  it("socket.to and socket.broadcast exclude the sender", async () => {
    const { io, url } = await listen();
    const sockets = await crowd(io, url, transport, [["a"], ["a"], []]);
    const [server0] = await io.in("a").fetchSockets();
    const sender = io.sockets.sockets.get(server0!.id)!;
    const senderIndex = sockets.findIndex((s) => s.id === sender.id);
    const wait = receivers(sockets, io, "x");
    sender.to("a").emit("x");
    const got = await wait;
    expect(got).toHaveLength(1);
    expect(got).not.toContain(senderIndex);
    const wait2 = receivers(sockets, io, "y");
    sender.broadcast.emit("y");
    expect(await wait2).toHaveLength(2);
  });

  it("volatile, compress and local still deliver to connected clients", async () => {
    const { io, url } = await listen();
    const sockets = await crowd(io, url, transport, [[], []]);
    const wait = receivers(sockets, io, "v");
    io.compress(false).local.emit("v");
    expect(await wait).toEqual([0, 1]);
  });

  it("collects broadcast acks with a timeout, and times out on silence", async () => {
    const { io, url } = await listen();
    const sockets = await crowd(io, url, transport, [["r"], ["r"], []]);
    sockets.forEach((s, i) => {
      s.on("ask", (cb: (n: number) => void) => cb(i));
    });
    const responses = await io.to("r").timeout(4000).emitWithAck("ask");
    expect((responses as number[]).sort()).toEqual([0, 1]);
    sockets[2]!.on("mute", () => {});
    await expect(io.timeout(100).emitWithAck("mute")).rejects.toThrow();
  });

  it("fetchSockets, socketsJoin, socketsLeave, disconnectSockets", async () => {
    const { io, url } = await listen();
    const sockets = await crowd(io, url, transport, [["a"], ["b"], []]);
    const inA = await io.in("a").fetchSockets();
    expect(inA).toHaveLength(1);
    expect(inA[0]!.rooms.has("a")).toBe(true);
    io.in("a").socketsJoin("c");
    expect((await io.in("c").fetchSockets()).map((s) => s.id)).toEqual([inA[0]!.id]);
    io.socketsLeave("c");
    expect(await io.in("c").fetchSockets()).toHaveLength(0);
    const gone = once<[string]>(sockets[1]!, "disconnect");
    io.in("b").disconnectSockets();
    expect((await gone)[0]).toBe("io server disconnect");
    expect(io.sockets.sockets.size).toBe(2);
    expect(sockets[0]!.connected && sockets[2]!.connected).toBe(true);
  });

  it("RemoteSocket emit, timeout().emit with ack, join and leave", async () => {
    const { io, url } = await listen();
    const [c] = await crowd(io, url, transport, [[]]);
    c!.on("q", (cb: (a: string) => void) => cb("answer"));
    const [remote] = await io.fetchSockets();
    const hello = once(c!, "hello");
    remote!.emit("hello", 1);
    expect(await hello).toEqual([1]);
    const answer = await new Promise((resolve) =>
      remote!.timeout(4000).emit("q", (err: Error | null, a: string) => resolve([err, a])),
    );
    expect(answer).toEqual([null, "answer"]);
    remote!.join("z");
    expect(io.sockets.adapter.rooms.get("z")?.has(remote!.id)).toBe(true);
    remote!.leave("z");
    expect(io.sockets.adapter.rooms.has("z")).toBe(false);
  });
});

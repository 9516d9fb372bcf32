import { TestClient } from "@switchboard/server/testing";
import { describe, expect, it } from "vitest";
import { inProcessServer } from "./helpers.js";

// The in-memory adapter does not store each socket's own-id room (it resolves it through
// the namespace's sockets); these check that nothing observable changed.

const server = inProcessServer;

describe("own-id room", () => {
  it("shows in adapter.rooms, adapter.sids and socket.rooms", async () => {
    const io = server();
    const c = new TestClient(io);
    const main = await c.connect("/");
    const id = main.id!;
    const adapter = io.of("/").adapter;
    expect(adapter.rooms.get(id)).toEqual(new Set([id]));
    expect(adapter.rooms.has(id)).toBe(true);
    expect([...adapter.rooms.keys()]).toEqual([id]);
    expect(adapter.rooms.size).toBe(1);
    expect(adapter.sids.get(id)).toEqual(new Set([id]));
    expect([...adapter.sids.keys()]).toEqual([id]);
    const socket = io.of("/").sockets.get(id)!;
    socket.join("r");
    expect([...socket.rooms]).toEqual([id, "r"]);
    expect(new Map(adapter.rooms)).toEqual(
      new Map([
        [id, new Set([id])],
        ["r", new Set([id])],
      ]),
    );
    expect([...adapter.sids.get(id)!]).toEqual([id, "r"]);
    c.close();
    await c.waitForClose();
    expect(adapter.rooms.size).toBe(0);
    expect(adapter.sids.size).toBe(0);
    expect(adapter.rooms.get(id)).toBeUndefined();
  });

  it("to(id), except(id), socket.broadcast and fetchSockets resolve it", async () => {
    const io = server();
    const a = await new TestClient(io).connect("/");
    const b = await new TestClient(io).connect("/");
    io.to(a.id!).emit("only-a");
    await a.waitFor("only-a");
    io.except(a.id!).emit("not-a");
    await b.waitFor("not-a");
    io.of("/").sockets.get(b.id!)!.broadcast.emit("from-b");
    await a.waitFor("from-b");
    io.to([a.id!, b.id!, "nobody"]).emit("both");
    await Promise.all([a.waitFor("both"), b.waitFor("both")]);
    io.emit("done");
    await Promise.all([a.waitFor("done"), b.waitFor("done")]);
    expect(a.received.map((r) => r[0])).toEqual(["only-a", "from-b", "both", "done"]);
    expect(b.received.map((r) => r[0])).toEqual(["not-a", "both", "done"]);
    const fetched = await io.in(a.id!).fetchSockets();
    expect(fetched.map((s) => s.id)).toEqual([a.id]);
    expect(fetched[0]!.rooms).toEqual(new Set([a.id]));
  });

  it("can be left and joined again, with socket.io's adapter events", async () => {
    const io = server();
    const events: unknown[][] = [];
    const adapter = io.of("/").adapter;
    for (const ev of ["create-room", "join-room", "leave-room", "delete-room"]) {
      adapter.on(ev, (...args: unknown[]) => events.push([ev, ...args]));
    }
    const c = new TestClient(io);
    const a = await c.connect("/");
    const id = a.id!;
    const socket = io.of("/").sockets.get(id)!;
    expect(events).toEqual([
      ["create-room", id],
      ["join-room", id, id],
    ]);
    socket.leave(id);
    expect(socket.rooms).toEqual(new Set());
    expect(adapter.rooms.has(id)).toBe(false);
    io.to(id).emit("lost");
    socket.join(id);
    io.to(id).emit("found");
    await a.waitFor("found");
    expect(a.received.map((r) => r[0])).toEqual(["found"]);
    events.length = 0;
    c.close();
    await c.waitForClose();
    expect(events).toEqual([
      ["leave-room", id, id],
      ["delete-room", id],
    ]);
  });
});

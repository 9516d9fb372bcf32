import { Server } from "@switchboard/server";
import { TestClient } from "@switchboard/server/testing";
import { afterEach, describe, expect, it } from "vitest";

// Text packets of every connection go through one shared decoder; a connection gets its
// own on its first binary packet. These check that no state crosses connections.

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((io) => io.close()));
});

describe("decoder per connection", () => {
  it("keeps a half-received binary packet to its own connection", async () => {
    const io = new Server();
    servers.push(io);
    const got: unknown[][] = [];
    io.on("connection", (socket) => {
      socket.on("up", (...args: unknown[]) => got.push([socket.handshake.auth.name, ...args]));
    });
    const a = new TestClient(io);
    const b = new TestClient(io);
    await a.connect("/", { auth: { name: "a" } });
    await b.connect("/", { auth: { name: "b" } });
    a.sendRaw('51-["up",{"_placeholder":true,"num":0}]');
    b.sendRaw('2["up","text"]');
    a.sendRaw(new Uint8Array([1, 2, 3]));
    b.sendRaw('2["up","again"]');
    await expect.poll(() => got.length).toBe(3);
    expect(got).toEqual([
      ["b", "text"],
      ["a", new Uint8Array([1, 2, 3])],
      ["b", "again"],
    ]);
  });

  it("a bad text packet closes only its own connection", async () => {
    const io = new Server();
    servers.push(io);
    const got: string[] = [];
    io.on("connection", (socket) => {
      socket.on("up", (v: string) => got.push(v));
    });
    const a = new TestClient(io);
    const b = new TestClient(io);
    await a.connect("/");
    await b.connect("/");
    a.sendRaw('2["up"'); // truncated JSON
    b.sendRaw('2["up","fine"]');
    expect(await a.waitForClose()).toBeTypeOf("string");
    await expect.poll(() => got).toEqual(["fine"]);
    b.sendRaw(new Uint8Array([9])); // an attachment nobody announced
    expect(await b.waitForClose()).toBeTypeOf("string");
    expect(io.clientsCount).toBe(0);
  });
});

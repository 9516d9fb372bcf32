import type { SessionAwareAdapter, Socket } from "@switchboard/server";
import { connectTestClient, TestClient } from "@switchboard/server/testing";
import { describe, expect, it } from "vitest";
import { client, listen, once, TRANSPORTS } from "./helpers.js";

const RECONNECT = { reconnection: true, reconnectionDelay: 10, reconnectionDelayMax: 20 };

describe.each(TRANSPORTS)("connection state recovery over $name", (transport) => {
  it("restores id, rooms, data and missed packets after a transport close", async () => {
    const { io, url } = await listen({
      connectionStateRecovery: { maxDisconnectionDuration: 5000 },
    });
    const sockets: Socket[] = [];
    let middlewareRuns = 0;
    io.use((_s, next) => {
      middlewareRuns++;
      next();
    });
    io.on("connection", (socket) => {
      sockets.push(socket);
      if (!socket.recovered) {
        socket.join("r");
        socket.data.user = "ann";
      }
      socket.emit("welcome", socket.recovered);
    });
    const c = client(url, transport, RECONNECT);
    await once(c, "welcome");
    const firstId = c.id;
    const first = sockets[0]!;
    // A packet received before the drop gives the client an offset to resume from.
    const seen = once(c, "news");
    io.to("r").emit("news", 0);
    await seen;
    const gone = new Promise((resolve) => first.on("disconnect", resolve));
    c.io.engine.close();
    expect(await gone).toBe("transport close");
    io.to("r").emit("news", 1);
    io.emit("news", 2);
    io.to("other").emit("news", "not for us");
    const news: unknown[] = [];
    c.on("news", (n: unknown) => news.push(n));
    const [recovered] = await once<[boolean]>(c, "welcome");
    await expect.poll(() => news.length).toBe(2);
    expect(recovered).toBe(true);
    expect(c.recovered).toBe(true);
    expect(c.id).toBe(firstId);
    const second = sockets[1]!;
    expect(second.id).toBe(first.id);
    expect(second.recovered).toBe(true);
    expect(second.data).toEqual({ user: "ann" });
    expect(second.rooms.has("r")).toBe(true);
    expect(middlewareRuns).toBe(1);
    expect(news).toEqual([1, 2]);
  });

  it("does not recover after an explicit disconnect", async () => {
    const { io, url } = await listen({ connectionStateRecovery: {} });
    io.on("connection", (s) => s.emit("hi"));
    const c = client(url, transport, RECONNECT);
    await once(c, "hi");
    const id = c.id;
    c.disconnect();
    c.connect();
    await once(c, "hi");
    expect(c.recovered).toBe(false);
    expect(c.id).not.toBe(id);
  });
});

describe("connection state recovery storage", () => {
  it("appends an offset to stored events and sends pid on CONNECT", async () => {
    const { io } = await listen({ connectionStateRecovery: {} });
    const socket = await connectTestClient(io);
    expect(typeof socket.pid).toBe("string");
    io.emit("x", 1);
    const [value, offset] = await socket.waitFor("x");
    expect(value).toBe(1);
    expect(typeof offset).toBe("string");
  });

  it("expires sessions and bounds stored packets", async () => {
    const { io } = await listen({
      connectionStateRecovery: { maxDisconnectionDuration: 1, maxPackets: 5 },
    });
    const adapter = io.of("/").adapter as SessionAwareAdapter;
    const client = new TestClient(io);
    const socket = await client.connect("/");
    for (let i = 0; i < 20; i++) io.emit("n", i);
    expect(adapter.packetCount).toBeLessThanOrEqual(5);
    const [, offset] = await socket.waitFor("n");
    const pid = socket.pid!;
    client.close();
    await socket.waitForDisconnect();
    expect(adapter.sessionCount).toBe(1);
    await expect
      .poll(async () => adapter.restoreSession(pid, offset as string), { interval: 5 })
      .toBeNull();
    expect(adapter.sessionCount).toBe(0);
  });

  it("refuses recovery for an unknown offset", async () => {
    const { io } = await listen({ connectionStateRecovery: {} });
    const client = new TestClient(io);
    const socket = await client.connect("/");
    io.emit("n", 1);
    await socket.waitFor("n");
    const pid = socket.pid!;
    client.close();
    await socket.waitForDisconnect();
    const again = await new TestClient(io).connect("/", { auth: { pid, offset: "bogus" } });
    expect(again.id).not.toBe(socket.id);
  });
});

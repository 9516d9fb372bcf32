import {
  type PresenceEntry,
  PresenceError,
  PresenceErrorCode,
  type PresenceMessage,
  Server,
  type Socket,
  SocketErrorCode,
} from "@switchboard/server";
import { describe, expect, expectTypeOf, it } from "vitest";
import { type AnyClientSocket, CLIENTS, ready } from "../guards/clients.js";
import { listen, once } from "../socket/helpers.js";

/**
 * Presence on one node (issue 18 part 1) over real sockets: one entry per identity however
 * many sockets track it, join on the first socket and leave on the last, metadata updates,
 * subscribed clients getting a sync then deltas, limits with stable codes, no leaks.
 */

type Event = [type: "join" | "leave" | "update", entry: PresenceEntry];

/** Records a view's events in order. */
function record(view: {
  on(ev: "join" | "leave" | "update", fn: (e: PresenceEntry) => void): unknown;
}): Event[] {
  const events: Event[] = [];
  for (const type of ["join", "leave", "update"] as const) {
    view.on(type, (entry) => events.push([type, entry]));
  }
  return events;
}

/** Collects a client's "presence" messages. */
function presenceMessages(socket: AnyClientSocket): PresenceMessage[] {
  const messages: PresenceMessage[] = [];
  socket.on("presence", ((msg: PresenceMessage) => messages.push(msg)) as never);
  return messages;
}

/** A server whose sockets track "lobby" as the `user` of their auth, with `meta`. */
async function lobbyServer(opts: Parameters<typeof listen>[0] = {}) {
  const { io, url } = await listen(opts);
  const sockets = new Map<string, Socket>();
  io.on("connection", (socket) => {
    sockets.set(socket.id, socket);
    const auth = socket.handshake.auth as { user?: string; name?: string; subscribe?: boolean };
    if (auth.user !== undefined) {
      socket.presence.track("lobby", { id: auth.user, meta: { name: auth.name ?? auth.user } });
    }
    if (auth.subscribe === true) io.presence("lobby").subscribe(socket);
    socket.on("typing", (typing: boolean) =>
      socket.presence.update("lobby", { name: auth.name, typing }),
    );
    socket.on("leave-lobby", (ack: (v: boolean) => void) => ack(socket.presence.untrack("lobby")));
    // With recovery, a packet received gives the client an offset to recover from.
    socket.emit("hello");
  });
  return { io, url, sockets };
}

describe.each(CLIENTS)("presence with $name", (client) => {
  it("one entry per identity: join on the first socket, update on more, leave on the last", async () => {
    const { io, url } = await lobbyServer();
    const lobby = io.presence("lobby");
    const events = record(lobby);
    const tab1 = await ready(client.connect(url, { auth: { user: "ada", name: "Ada" } }));
    await expect.poll(() => events.length).toBe(1);
    const tab2 = await ready(client.connect(url, { auth: { user: "ada", name: "Ada" } }));
    const bob = await ready(client.connect(url, { auth: { user: "bob" } }));
    await expect.poll(() => events.length).toBe(3);
    const list = await lobby.list();
    expect(list.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: "ada", meta: { name: "Ada" }, count: 2 },
      { id: "bob", meta: { name: "bob" }, count: 1 },
    ]);
    tab1.disconnect();
    await expect.poll(() => lobby.get("ada")?.count).toBe(1);
    tab2.disconnect();
    await expect.poll(() => lobby.get("ada")).toBeUndefined();
    bob.disconnect();
    await expect.poll(() => events.length).toBe(6);
    expect(events.map(([type, e]) => `${type} ${e.id} ${e.count}`)).toEqual([
      "join ada 1",
      "update ada 2",
      "join bob 1",
      "update ada 1",
      "leave ada 0",
      "leave bob 0",
    ]);
    expect(await lobby.list()).toEqual([]);
  });

  it("a subscribed client gets a sync, then join / update / leave deltas", async () => {
    const { io, url } = await lobbyServer();
    const ada = await ready(client.connect(url, { auth: { user: "ada", name: "Ada" } }));
    await expect.poll(() => io.presence("lobby").get("ada")).toBeDefined();
    const watcher = client.connect(url, { auth: { subscribe: true } });
    const messages = presenceMessages(watcher);
    await ready(watcher);
    await expect.poll(() => messages.length).toBe(1);
    expect(messages[0]).toEqual({
      type: "sync",
      room: "lobby",
      entries: [{ id: "ada", meta: { name: "Ada" }, count: 1 }],
    });
    const bob = await ready(client.connect(url, { auth: { user: "bob" } }));
    await expect.poll(() => messages.length).toBe(2);
    ada.emit("typing", true);
    await expect.poll(() => messages.length).toBe(3);
    expect(await bob.timeout(4000).emitWithAck("leave-lobby")).toBe(true);
    await expect.poll(() => messages.length).toBe(4);
    expect(messages.slice(1)).toEqual([
      { type: "join", room: "lobby", entry: { id: "bob", meta: { name: "bob" }, count: 1 } },
      {
        type: "update",
        room: "lobby",
        entry: { id: "ada", meta: { name: "Ada", typing: true }, count: 1 },
      },
      { type: "leave", room: "lobby", entry: { id: "bob", meta: { name: "bob" }, count: 0 } },
    ]);
  });

  it("a metadata update reaches every tab's entry and stays when the updating tab leaves", async () => {
    const { io, url } = await lobbyServer();
    const lobby = io.presence("lobby");
    const events = record(lobby);
    const tab1 = await ready(client.connect(url, { auth: { user: "ada", name: "Ada" } }));
    await ready(client.connect(url, { auth: { user: "ada", name: "Ada" } }));
    await expect.poll(() => lobby.get("ada")?.count).toBe(2);
    tab1.emit("typing", true);
    await expect.poll(() => lobby.get("ada")?.meta).toEqual({ name: "Ada", typing: true });
    expect(events.map(([type, e]) => `${type} ${e.count}`)).toEqual([
      "join 1",
      "update 2",
      "update 2",
    ]);
    tab1.disconnect();
    await expect.poll(() => lobby.get("ada")?.count).toBe(1);
    expect(lobby.get("ada")?.meta).toEqual({ name: "Ada", typing: true });
  });
});

describe("presence: details", () => {
  it("types entries with the view's Meta", async () => {
    const { io } = await listen();
    const lobby = io.presence<{ name: string }>("lobby");
    lobby.on("join", (entry) => {
      expectTypeOf(entry).toEqualTypeOf<PresenceEntry<{ name: string }>>();
      expectTypeOf(entry.meta.name).toBeString();
    });
    expectTypeOf(lobby.list()).resolves.toEqualTypeOf<PresenceEntry<{ name: string }>[]>();
    expectTypeOf(lobby.get("u1")).toEqualTypeOf<PresenceEntry<{ name: string }> | undefined>();
    // @ts-expect-error: not a presence event
    lobby.on("joined", () => {});
    expect(await lobby.list()).toEqual([]);
  });

  it("rooms, the namespace-wide set and namespaces are separate sets", async () => {
    const { io, url } = await listen();
    io.on("connection", (socket) => {
      socket.presence.track({ id: "u1" });
      socket.presence.track("a", { id: "u1", meta: 1 });
    });
    io.of("/chat").on("connection", (socket) => socket.presence.track("a", { id: "u2" }));
    const c = CLIENTS[0].connect(url);
    await ready(c);
    const chat = await ready(CLIENTS[0].connect(`${url}/chat`));
    expect(chat.connected).toBe(true);
    await expect.poll(() => io.of("/chat").presence("a").get("u2")).toBeDefined();
    expect(await io.presence().list()).toEqual([{ id: "u1", meta: null, count: 1 }]);
    expect(await io.presence("a").list()).toEqual([{ id: "u1", meta: 1, count: 1 }]);
    expect(await io.of("/chat").presence("a").list()).toEqual([{ id: "u2", meta: null, count: 1 }]);
    expect(await io.of("/chat").presence().list()).toEqual([]);
  });

  it("limits and bad input throw PresenceError with a stable code", async () => {
    const { io, url } = await listen({
      presence: { maxEntriesPerRoom: 2, maxRoomsPerSocket: 2, maxMetaBytes: 50, maxIdLength: 8 },
    });
    const sockets: Socket[] = [];
    io.on("connection", (socket) => sockets.push(socket));
    for (let i = 0; i < 3; i++) await ready(CLIENTS[i % 2]!.connect(url));
    const [a, b, c] = sockets as [Socket, Socket, Socket];
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(PresenceError);
        return (err as PresenceError).code;
      }
      return "no error";
    };
    expect(code(() => a.presence.track("r", { id: "" }))).toBe(PresenceErrorCode.INVALID_ID);
    expect(code(() => a.presence.track("r", { id: "123456789" }))).toBe(
      PresenceErrorCode.INVALID_ID,
    );
    expect(code(() => a.presence.track("r", { id: 5 as never }))).toBe(
      PresenceErrorCode.INVALID_ID,
    );
    expect(code(() => a.presence.track("r", { id: "a", meta: "x".repeat(60) }))).toBe(
      PresenceErrorCode.INVALID_META,
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(code(() => a.presence.track("r", { id: "a", meta: cyclic }))).toBe(
      PresenceErrorCode.INVALID_META,
    );
    expect(code(() => a.presence.update("r", {}))).toBe(PresenceErrorCode.NOT_TRACKED);
    a.presence.track("r", { id: "a" });
    b.presence.track("r", { id: "b" });
    expect(code(() => c.presence.track("r", { id: "c" }))).toBe(PresenceErrorCode.ROOM_FULL);
    // an identity already there may add sockets
    c.presence.track("r", { id: "a" });
    expect(io.presence("r").get("a")?.count).toBe(2);
    a.presence.track("s", { id: "a" });
    expect(code(() => a.presence.track("t", { id: "a" }))).toBe(PresenceErrorCode.TOO_MANY_ROOMS);
    io.presence("x").subscribe(a);
    io.presence("y").subscribe(a);
    expect(code(() => io.presence("z").subscribe(a))).toBe(PresenceErrorCode.TOO_MANY_ROOMS);
    expect(a.presence.rooms.sort()).toEqual(["r", "s"]);
    a.disconnect();
    expect(code(() => a.presence.track("r", { id: "a" }))).toBe(PresenceErrorCode.DISCONNECTED);
    expect(io.presence("r").get("a")?.count).toBe(1);
  });

  it("rejects a leaveDelay longer than the recovery window", () => {
    expect(
      () =>
        new Server({
          connectionStateRecovery: { maxDisconnectionDuration: 1000 },
          presence: { leaveDelay: 2000 },
        }),
    ).toThrow(expect.objectContaining({ code: SocketErrorCode.INVALID_OPTION }));
    expect(() => new Server({ presence: { maxRoomsPerSocket: 0 } })).toThrow(
      expect.objectContaining({ code: SocketErrorCode.INVALID_OPTION }),
    );
  });

  it("leaves no map entry behind after many connects, tracks and disconnects", async () => {
    const { io, url } = await lobbyServer({
      connectionStateRecovery: { maxDisconnectionDuration: 5000 },
      presence: { leaveDelay: 50 },
    });
    const lobby = io.presence("lobby");
    const onJoin = () => {};
    lobby.on("join", onJoin);
    for (let round = 0; round < 5; round++) {
      const clients = [];
      for (let i = 0; i < 10; i++) {
        const connect = CLIENTS[i % 2]!.connect;
        clients.push(connect(url, { auth: { user: `u${i % 4}`, subscribe: i % 3 === 0 } }));
      }
      await Promise.all(clients.map((c) => ready(c)));
      await expect.poll(async () => (await lobby.list()).length).toBe(4);
      // half leave for good, half lose their transport (a recoverable reason: delayed leave)
      clients.forEach((c, i) => {
        if (i % 2 === 0) c.disconnect();
        else (c as unknown as { io: { engine: { close(): void } } }).io.engine.close();
      });
      await expect.poll(async () => (await lobby.list()).length).toBe(0);
    }
    lobby.off("join", onJoin);
    expect(io.sockets.presenceStats).toEqual({
      rooms: 0,
      identities: 0,
      sockets: 0,
      pending: 0,
      nodes: 0,
      subscribers: 0,
      views: 0,
    });
  });
});

describe.each(CLIENTS)("presence and connection state recovery with $name", (client) => {
  const RECONNECT = { reconnection: true, reconnectionDelay: 10, reconnectionDelayMax: 20 };

  it("a recoverable disconnect that recovers fires no leave/join and keeps the subscription", async () => {
    const { io, url, sockets } = await lobbyServer({
      connectionStateRecovery: { maxDisconnectionDuration: 5000 },
    });
    const lobby = io.presence("lobby");
    const events = record(lobby);
    const c = client.connect(url, { auth: { user: "ada", subscribe: true }, ...RECONNECT });
    const messages = presenceMessages(c);
    await once(c, "hello");
    await expect.poll(() => messages.length).toBe(1);
    const first = [...sockets.values()][0]!;
    const gone = once<[string]>(first, "disconnect");
    (c as unknown as { io: { engine: { close(): void } } }).io.engine.close();
    expect((await gone)[0]).toBe("transport close");
    expect(io.sockets.presenceStats.pending).toBe(1);
    // back, with the same socket id
    await expect.poll(() => [...sockets.values()].filter((s) => s.connected).length).toBe(1);
    const second = [...sockets.values()].find((s) => s.connected)!;
    expect(second.recovered).toBe(true);
    // the app's handler tracked again (idempotent); a fresh sync went to the client
    await expect.poll(() => messages.length).toBe(2);
    expect(messages[1]).toEqual({
      type: "sync",
      room: "lobby",
      entries: [{ id: "ada", meta: { name: "ada" }, count: 1 }],
    });
    expect(io.sockets.presenceStats.pending).toBe(0);
    expect(second.presence.rooms).toEqual(["lobby"]);
    expect(events.map(([type]) => type)).toEqual(["join"]);
  });

  it("records come back with the session even when the app does not track again", async () => {
    const { io, url } = await listen({
      connectionStateRecovery: { maxDisconnectionDuration: 5000 },
    });
    const sockets: Socket[] = [];
    io.on("connection", (socket) => {
      sockets.push(socket);
      socket.on("enter", (room: string, ack: () => void) => {
        socket.presence.track(room, { id: "ada" });
        ack();
      });
      socket.emit("hello"); // an offset to recover from
    });
    const events = record(io.presence("kitchen"));
    const c = client.connect(url, RECONNECT);
    await once(c, "hello");
    await c.timeout(4000).emitWithAck("enter", "kitchen");
    (c as unknown as { io: { engine: { close(): void } } }).io.engine.close();
    await expect.poll(() => sockets.length).toBe(2);
    await expect.poll(() => sockets[1]!.connected).toBe(true);
    expect(sockets[1]!.presence.rooms).toEqual(["kitchen"]);
    expect(await io.presence("kitchen").list()).toEqual([{ id: "ada", meta: null, count: 1 }]);
    expect(events.map(([type]) => type)).toEqual(["join"]);
  });

  it("the leave comes after leaveDelay when the session does not come back; at once for a client disconnect", async () => {
    const { io, url } = await lobbyServer({
      connectionStateRecovery: { maxDisconnectionDuration: 5000 },
      presence: { leaveDelay: 100 },
    });
    const events = record(io.presence("lobby"));
    const lost = await ready(client.connect(url, { auth: { user: "ada" } }));
    const quits = await ready(client.connect(url, { auth: { user: "bob" } }));
    await expect.poll(() => events.length).toBe(2);
    (lost as unknown as { io: { engine: { close(): void } } }).io.engine.close();
    quits.disconnect();
    await expect.poll(() => events.length).toBe(4);
    // bob (explicit disconnect) leaves before ada (transport lost, delayed)
    expect(events.slice(2).map(([type, e]) => `${type} ${e.id}`)).toEqual([
      "leave bob",
      "leave ada",
    ]);
  });
});

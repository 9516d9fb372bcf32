// biome-ignore-all lint/suspicious/noExplicitAny: the admin UI's payloads are checked field by field
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { instrument } from "@socket.io/admin-ui";
import { Server } from "@switchboard/server";
import bcrypt from "bcryptjs";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";

// The official admin UI (@socket.io/admin-ui, the npm package) instrumenting a Switchboard
// server: its `instrument(io, opts)` runs unchanged, and a client connects to its `/admin`
// namespace as the hosted UI (admin.socket.io) does, with the UI's own events.

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function start(options: Parameters<typeof instrument>[1]) {
  const http = createServer();
  const io = new Server(http);
  // set in a middleware, as the admin UI wraps socket.data before "connection" handlers run
  io.use((socket, next) => {
    socket.data.user = socket.handshake.auth.user;
    next();
  });
  io.on("connection", (socket) => {
    socket.on("hello", (text: string, ack?: (r: string) => void) => ack?.(`hi ${text}`));
    socket.on("ping-me", () => socket.emit("pong-you", 1));
  });
  io.of("/chat").on("connection", () => {});
  instrument(io as never, options);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => io.close());
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

function connect(url: string, opts: Record<string, unknown> = {}): ClientSocket {
  const socket = ioc(url, { forceNew: true, transports: ["websocket"], ...opts });
  cleanups.push(() => socket.disconnect());
  return socket;
}

/** Resolves with the args of the first `ev` matching `pred`. */
function next<T extends unknown[]>(
  socket: ClientSocket,
  ev: string,
  pred: (...args: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${ev}`)), 8000);
    const listener = (...args: unknown[]) => {
      if (!pred(...(args as T))) return;
      clearTimeout(timer);
      socket.off(ev, listener);
      resolve(args as T);
    };
    socket.on(ev, listener);
  });
}

describe("@socket.io/admin-ui against the Switchboard server", () => {
  it("gives the UI its config, every socket, server stats and live socket events", async () => {
    const { io, url } = await start({ auth: false, mode: "development" });
    const alice = connect(url, { auth: { user: "alice" } });
    await next(alice, "connect");

    const admin = connect(`${url}/admin`);
    const config = next<[any]>(admin, "config");
    const all = next<[any[]]>(admin, "all_sockets");
    const stats = next<[any]>(admin, "server_stats");
    expect((await config)[0].supportedFeatures).toEqual(
      expect.arrayContaining([
        "EMIT",
        "JOIN",
        "LEAVE",
        "DISCONNECT",
        "MJOIN",
        "MLEAVE",
        "MDISCONNECT",
        "AGGREGATED_EVENTS",
        "ALL_EVENTS",
      ]),
    );
    const [sockets] = await all;
    const seen = sockets.find((s) => s.id === alice.id);
    expect(seen).toMatchObject({
      nsp: "/",
      transport: "websocket",
      rooms: [alice.id],
      data: { user: "alice" },
      handshake: { address: expect.any(String), query: expect.objectContaining({ EIO: "4" }) },
    });
    expect(typeof seen.clientId).toBe("string");
    const [s] = await stats;
    expect(s).toMatchObject({ pid: process.pid, clientsCount: 2, pollingClientsCount: 0 });
    expect(s.namespaces).toEqual(
      expect.arrayContaining([
        { name: "/", socketsCount: 1 },
        { name: "/chat", socketsCount: 0 },
        { name: "/admin", socketsCount: 1 },
      ]),
    );

    // live events: a connection, its events both ways, rooms, the upgrade of a polling client
    const connected = next<[any, string]>(admin, "socket_connected", (x) => x.data.user === "bob");
    const bob = connect(url, { auth: { user: "bob" }, transports: ["polling", "websocket"] });
    const [bobSeen] = await connected;
    expect(bobSeen).toMatchObject({ nsp: "/", transport: "polling", data: { user: "bob" } });
    await next(
      admin,
      "socket_updated",
      (u: any) => u.id === bobSeen.id && u.transport === "websocket",
    );

    const received = next<[string, string, unknown[]]>(
      admin,
      "event_received",
      (_n, id) => id === bob.id,
    );
    const sent = next<[string, string, unknown[]]>(admin, "event_sent", (_n, id) => id === bob.id);
    bob.emit("ping-me");
    expect((await received).slice(0, 3)).toEqual(["/", bob.id, ["ping-me"]]);
    expect((await sent).slice(0, 3)).toEqual(["/", bob.id, ["pong-you", 1]]);

    const joined = next<[string, string, string]>(
      admin,
      "room_joined",
      (_n, room) => room === "lobby",
    );
    io.in(bob.id!).socketsJoin("lobby");
    expect((await joined).slice(0, 3)).toEqual(["/", "lobby", bob.id]);

    const bobId = bob.id;
    const left = next<[string, string, string]>(
      admin,
      "socket_disconnected",
      (_n, id) => id === bobId,
    );
    bob.disconnect();
    expect((await left).slice(0, 3)).toEqual(["/", bobId, "client namespace disconnect"]);

    // the aggregated counters of the next stats tick count what crossed the engine
    const [later] = await next<[any]>(admin, "server_stats", (x) => x.aggregatedEvents.length > 0);
    const types = new Set(later.aggregatedEvents.map((e: any) => e.type));
    for (const t of [
      "rawConnection",
      "rawDisconnection",
      "packetsIn",
      "packetsOut",
      "bytesIn",
      "bytesOut",
    ]) {
      expect(types, t).toContain(t);
    }
  });

  it("carries out the UI's actions: emit, join, leave, disconnect", async () => {
    const { url } = await start({ auth: false, mode: "development" });
    const carol = connect(url, { auth: { user: "carol" } });
    await next(carol, "connect");
    const admin = connect(`${url}/admin`);
    await next(admin, "config");

    const got = next<[string]>(carol, "notice");
    admin.emit("emit", "/", carol.id, "notice", "from the admin");
    expect(await got).toEqual(["from the admin"]);

    const joined = next<[string, string, string]>(
      admin,
      "room_joined",
      (_n, room) => room === "vip",
    );
    admin.emit("join", "/", "vip", carol.id);
    await joined;
    const left = next<[string, string, string]>(admin, "room_left", (_n, room) => room === "vip");
    admin.emit("leave", "/", "vip", carol.id);
    await left;

    const gone = next<[string]>(carol, "disconnect");
    admin.emit("_disconnect", "/", false, carol.id);
    expect((await gone)[0]).toBe("io server disconnect");
  });

  it("basic auth: the UI's login with a bcrypt hash, a wrong password refused", async () => {
    const hash = bcrypt.hashSync("s3cret", 4);
    const { url } = await start({
      auth: { type: "basic", username: "admin", password: hash },
      mode: "production",
    });
    const wrong = connect(`${url}/admin`, { auth: { username: "admin", password: "nope" } });
    const [err] = await next<[Error]>(wrong, "connect_error");
    expect(err.message).toBe("invalid credentials");
    const right = connect(`${url}/admin`, { auth: { username: "admin", password: "s3cret" } });
    const sessionId = next<[string]>(right, "session");
    const configured = next<[any]>(right, "config");
    const [session] = await sessionId;
    expect(typeof session).toBe("string");
    const [config] = await configured;
    expect(config.supportedFeatures).not.toContain("ALL_EVENTS");
  });
});

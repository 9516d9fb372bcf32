import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type Socket } from "@switchboard/server";
import { afterEach, expect, it } from "vitest";
import {
  bin,
  type DriverEvent,
  describePython,
  killChildren,
  PythonClient,
} from "./python-peers.js";

/**
 * python-socketio 5.7.2's `socketio.Client` (python-engineio 4.3.4, requests and
 * websocket-client; Debian's) against @switchboard/server on 127.0.0.1, port 0. Each
 * client runs in its own process (interop/python/client_driver.py), driven over JSON lines.
 * The server pings every 200 ms, so every test also runs across heartbeats.
 */

/** python-engineio's `transports` argument; null is its default, polling then upgrade. */
const TRANSPORTS: [string, string[] | null, string][] = [
  ["websocket", ["websocket"], "websocket"],
  ["polling", ["polling"], "polling"],
  ["polling then upgrade", null, "websocket"],
];

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  await killChildren();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface Started {
  io: Server;
  url: string;
  /** The transport each engine connection started on, in order. */
  firstTransports: string[];
  /** Server-side sockets, by namespace, in connection order. */
  sockets: Map<string, Socket[]>;
}

/** The server the Python client talks to: the same events as interop/python/flask_server.py. */
async function start(): Promise<Started> {
  const http = createServer();
  const io = new Server(http, { pingInterval: 200, pingTimeout: 5_000 });
  const firstTransports: string[] = [];
  const sockets = new Map<string, Socket[]>();
  io.engine.on("connection", (conn: { transport: { name: string } }) =>
    firstTransports.push(conn.transport.name),
  );
  const track = (socket: Socket) => {
    const list = sockets.get(socket.nsp.name) ?? [];
    list.push(socket);
    sockets.set(socket.nsp.name, list);
  };

  io.on("connection", (socket) => {
    track(socket);
    socket.emit("welcome", { ns: "/", auth: socket.handshake.auth });
    socket.on("echo", (...args: unknown[]) => {
      const ack = args.pop() as (...a: unknown[]) => void;
      ack(...args);
    });
    socket.on("join", (room: string, ack: (room: string) => void) => {
      socket.join(room);
      ack(room);
    });
    socket.on("to_room", (room: string, payload: unknown) =>
      io.to(room).emit("room_message", payload),
    );
    socket.on("bin", (data: unknown, ack: (data: unknown) => void) => {
      socket.emit("bin_back", { got: data, bytes: Buffer.from([0, 1, 255]) });
      ack(data);
    });
    socket.on("ask", (question: unknown) => {
      socket
        .timeout(10_000)
        .emit("question", question, (err: Error | null, ...answer: unknown[]) =>
          socket.emit("answered", err ? err.message : answer),
        );
    });
    socket.on("kick", () => socket.disconnect());
  });

  const privateNsp = io.of("/private");
  privateNsp.use((socket, next) => {
    if (socket.handshake.auth.token === "secret") return next();
    const err = new Error("unauthorized") as Error & { data?: unknown };
    err.data = { reason: "bad token" };
    next(err);
  });
  privateNsp.on("connection", (socket) => {
    track(socket);
    const user = socket.handshake.auth.user;
    socket.emit("welcome", { ns: "/private", user });
    socket.on("whoami", (ack: (v: unknown) => void) => ack({ ns: "/private", user }));
  });
  io.of("/closed").use((_socket, next) => next(new Error("closed")));

  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => io.close());
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return { io, url, firstTransports, sockets };
}

/** Resolves when `check()` holds (checked every 10 ms); rejects after `ms`. */
function until(check: () => boolean, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() - started > ms) return reject(new Error("condition not met in time"));
      setTimeout(tick, 10);
    };
    tick();
  });
}

describePython.each(TRANSPORTS)(
  "python-socketio 5.7 client against @switchboard/server over %s",
  (_name, transports, finalTransport) => {
    /** A connected Python client on `namespaces`, with the transport checked on both ends. */
    async function connected(
      server: Started,
      namespaces = ["/"],
      auth?: Record<string, unknown>,
    ): Promise<PythonClient> {
      const client = new PythonClient();
      const answer = await client.connect({ url: server.url, transports, namespaces, auth });
      expect(answer).toMatchObject({ ev: "connected", transport: finalTransport });
      for (const ns of namespaces) await client.nextEvent("connect", ns);
      expect(server.firstTransports.at(-1)).toBe(transports?.[0] ?? "polling");
      return client;
    }

    it("connects, gets the connection handler's events; acks both ways", async () => {
      const server = await start();
      const client = await connected(server);
      const welcome = await client.nextServerEvent("welcome");
      expect(welcome.args).toEqual([{ ns: "/", auth: {} }]);
      expect(server.sockets.get("/")![0]!.conn.transport.name).toBe(finalTransport);

      // python -> server, acknowledged with the same arguments
      const args = [1, "h\u00e9llo \u2713 \u{1F600}", { nested: [true, null, 2.5] }];
      expect(await client.emit("echo", args, { ack: true })).toEqual(args);
      expect(await client.emit("echo", [], { ack: true })).toEqual([]);

      // server -> python with a callback: the handler's return value is the answer
      await client.emit("ask", ["why?"]);
      const question = await client.nextServerEvent("question");
      expect(question.args).toEqual(["why?"]);
      const answered = await client.nextServerEvent("answered");
      expect(answered.args).toEqual([["question:ack", "why?"]]);
    });

    it("namespaces with auth on one connection; refusals carry their message and data", async () => {
      const server = await start();
      const client = await connected(server, ["/", "/private"], { token: "secret", user: "ada" });
      const welcome = await client.nextServerEvent("welcome", "/private");
      expect(welcome.args).toEqual([{ ns: "/private", user: "ada" }]);
      expect(await client.emit("whoami", [], { ns: "/private", ack: true })).toEqual([
        { ns: "/private", user: "ada" },
      ]);
      const [root] = server.sockets.get("/")!;
      const [priv] = server.sockets.get("/private")!;
      expect(priv!.conn).toBe(root!.conn);

      const refused = new PythonClient();
      await refused.connect({
        url: server.url,
        transports,
        namespaces: ["/private", "/closed"],
        auth: { token: "nope" },
      });
      const errors = [
        await refused.nextEvent("connect_error", "/private"),
        await refused.nextEvent("connect_error", "/closed"),
      ];
      expect(errors.map((e: DriverEvent) => e.data)).toEqual([
        [{ message: "unauthorized", data: { reason: "bad token" } }],
        [{ message: "closed" }],
      ]);
      expect(refused.has((e) => e.ev === "connect")).toBe(false);
    });

    it("rooms: a room broadcast reaches its members only", async () => {
      const server = await start();
      const [a, b, c] = await Promise.all([
        connected(server),
        connected(server),
        connected(server),
      ]);
      expect(await a.emit("join", ["lobby"], { ack: true })).toEqual(["lobby"]);
      expect(await b.emit("join", ["lobby"], { ack: true })).toEqual(["lobby"]);
      await a.emit("to_room", ["lobby", { text: "hi" }]);
      expect((await a.nextServerEvent("room_message")).args).toEqual([{ text: "hi" }]);
      expect((await b.nextServerEvent("room_message")).args).toEqual([{ text: "hi" }]);
      // c's round trip, sent after the broadcast was written, orders after it
      await c.emit("echo", [], { ack: true });
      expect(c.has((e) => e.name === "room_message")).toBe(false);
    });

    it("binary both ways, nested, an empty buffer included", async () => {
      const server = await start();
      const client = await connected(server);
      const received: unknown[] = [];
      server.sockets.get("/")![0]!.on("bin", (data: unknown) => received.push(data));
      const data = {
        file: bin(new Uint8Array([1, 2, 3])),
        list: ["x", bin(new Uint8Array([4]))],
        empty: bin(new Uint8Array(0)),
      };
      expect(await client.emit("bin", [data], { ack: true })).toEqual([data]);
      const back = await client.nextServerEvent("bin_back");
      expect(back.args).toEqual([{ got: data, bytes: bin(new Uint8Array([0, 1, 255])) }]);
      // the server got Buffers where Python sent bytes
      expect(received).toEqual([
        { file: Buffer.from([1, 2, 3]), list: ["x", Buffer.from([4])], empty: Buffer.alloc(0) },
      ]);
    });

    it("a server-side disconnect", async () => {
      const server = await start();
      const client = await connected(server);
      const [socket] = server.sockets.get("/")!;
      const reasons: string[] = [];
      socket!.on("disconnect", (reason) => reasons.push(reason));
      await client.emit("kick", []);
      await client.nextEvent("disconnect", "/");
      expect(reasons).toEqual(["server namespace disconnect"]);
    });

    it("heartbeats: the connection survives several pings", async () => {
      const server = await start();
      const client = await connected(server);
      const [socket] = server.sockets.get("/")!;
      let pongs = 0;
      socket!.conn.on("heartbeat", () => pongs++);
      await until(() => pongs >= 4);
      expect(socket!.connected).toBe(true);
      expect(await client.emit("echo", ["still here"], { ack: true })).toEqual(["still here"]);
      expect(client.has((e) => e.ev === "disconnect")).toBe(false);
    });
  },
);

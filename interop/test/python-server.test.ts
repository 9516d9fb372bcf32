import { type ConnectOptions, io, Manager, type Socket } from "@switchboard/client";
import { io as officialIo } from "socket.io-client";
import { afterEach, beforeEach, expect, it } from "vitest";
import {
  describePython,
  type FlaskServer,
  killChildren,
  startFlaskServer,
} from "./python-peers.js";

/**
 * @switchboard/client against Flask-SocketIO 5.3.2 / python-socketio 5.7.2 /
 * python-engineio 4.3.4 under eventlet (interop/python/flask_server.py, one server process
 * per test). The server pings every 0.25 s (announced as 0: python-engineio 4.3 truncates
 * the interval to whole seconds), so every test also runs across heartbeats.
 */

const TRANSPORTS: [string, ConnectOptions, string][] = [
  ["websocket", { transports: ["websocket"] }, "websocket"],
  ["polling", { transports: ["polling"] }, "polling"],
  ["polling then upgrade", { transports: ["polling", "websocket"] }, "websocket"],
];

const sockets: Socket[] = [];
let server: FlaskServer;

beforeEach(async () => {
  server = await startFlaskServer(["--ping-interval", "0.25", "--ping-timeout", "5"]);
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) {
    socket.io.disconnect();
    socket.disconnect();
  }
  await killChildren();
});

/** The arguments of the next `event`; rejects after `ms` (a bounded wait). */
function next<T extends unknown[] = unknown[]>(
  emitter: { once(ev: string, fn: (...args: unknown[]) => void): unknown },
  event: string,
  ms = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for "${event}"`)), ms);
    emitter.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    });
  });
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

/** Emits with an acknowledgement and resolves with all of its arguments (bounded). */
function call(socket: Socket, event: string, ...args: unknown[]): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    socket
      .timeout(10_000)
      .emit(event, ...args, (err: Error | null, ...answer: unknown[]) =>
        err ? reject(err) : resolve(answer),
      );
  });
}

describePython.each(TRANSPORTS)(
  "@switchboard/client against Flask-SocketIO 5.3 (eventlet) over %s",
  (_name, transportOptions, finalTransport) => {
    const connect = (nsp = "/", opts: ConnectOptions = {}): Socket => {
      const socket = io(`${server.url}${nsp}`, {
        forceNew: true,
        reconnection: false,
        ...transportOptions,
        ...opts,
      });
      sockets.push(socket);
      return socket;
    };

    /** Waits for the transport the mode ends on (the upgrade, when there is one). */
    const settled = async (socket: Socket) => {
      if (socket.io.engine!.transport.name !== finalTransport)
        await next(socket.io.engine!, "upgrade");
      expect(socket.io.engine!.transport.name).toBe(finalTransport);
    };

    it("connects: the connect handler's events come right after connect; acks both ways", async () => {
      const socket = connect();
      const order: unknown[] = [];
      socket.on("connect", () => order.push("connect"));
      socket.on("welcome", (data: unknown) => order.push(["welcome", data, socket.id]));
      await next(socket, "welcome");
      // python-socketio 5.7 wrote "welcome" before its CONNECT answer
      expect(order).toEqual(["connect", ["welcome", { ns: "/", auth: null }, socket.id]]);
      await settled(socket);

      // client -> server, acknowledged with the same arguments (a tuple on the Python side)
      const args = [1, "h\u00e9llo \u2713 \u{1F600}", { nested: [true, null, 2.5] }];
      expect(await call(socket, "echo", ...args)).toEqual(args);
      expect(await call(socket, "echo")).toEqual([]);

      // server -> client with a callback: the client's answer comes back as "answered"
      socket.on("question", (question: string, answer: (...a: unknown[]) => void) =>
        answer("answer to", question),
      );
      const answered = next(socket, "answered");
      socket.emit("ask", "why?");
      expect(await answered).toEqual([["answer to", "why?"]]);
    });

    it("namespaces with auth on one connection; refusals carry their message and data", async () => {
      const manager = new Manager(server.url, { reconnection: false, ...transportOptions });
      const root = manager.socket("/");
      const privateNsp = manager.socket("/private", { auth: { token: "secret", user: "ada" } });
      sockets.push(root, privateNsp);
      const welcomes = Promise.all([next(root, "welcome"), next(privateNsp, "welcome")]);
      const [, [welcome]] = await welcomes;
      expect(welcome).toEqual({ ns: "/private", user: "ada" });
      expect(root.connected && privateNsp.connected).toBe(true);
      expect(await call(privateNsp, "whoami")).toEqual([{ ns: "/private", user: "ada" }]);

      const refused = connect("/private", { auth: { token: "nope" } });
      const [err] = await next<[Error & { data?: unknown }]>(refused, "connect_error");
      // ConnectionRefusedError("unauthorized", {"reason": "bad token"})
      expect({ message: err.message, data: err.data }).toEqual({
        message: "unauthorized",
        data: { reason: "bad token" },
      });
      expect(refused.active).toBe(false);

      const closed = connect("/closed");
      const [closedErr] = await next<[Error & { data?: unknown }]>(closed, "connect_error");
      expect({ message: closedErr.message, data: closedErr.data }).toEqual({
        message: "closed",
        data: undefined,
      });

      // a namespace with no handler: python-socketio answers with a string
      const nowhere = connect("/nowhere");
      const [nowhereErr] = await next<[Error]>(nowhere, "connect_error");
      expect(nowhereErr.message).toBe("Unable to connect");
    });

    it("rooms: a room broadcast reaches its members only", async () => {
      const [a, b, c] = [connect(), connect(), connect()];
      await Promise.all([a, b, c].map((s) => next(s, "welcome")));
      expect(await call(a, "join", "lobby")).toEqual(["lobby"]);
      expect(await call(b, "join", "lobby")).toEqual(["lobby"]);
      const outsider: unknown[] = [];
      c.on("room_message", (m: unknown) => outsider.push(m));
      const received = Promise.all([next(a, "room_message"), next(b, "room_message")]);
      a.emit("to_room", "lobby", { text: "hi" });
      expect(await received).toEqual([[{ text: "hi" }], [{ text: "hi" }]]);
      // c's round trip, sent after the broadcast was written, orders after it
      await call(c, "echo");
      expect(outsider).toEqual([]);
    });

    it("binary both ways, nested, an empty buffer included", async () => {
      const socket = connect();
      await next(socket, "welcome");
      await settled(socket);
      const data = {
        file: new Uint8Array([1, 2, 3]),
        list: ["x", new Uint8Array([4])],
        empty: new Uint8Array(0),
      };
      const binBack = next<[{ got: typeof data; bytes: Buffer }]>(socket, "bin_back");
      const [ack] = (await call(socket, "bin", data)) as [typeof data];
      const [{ got, bytes }] = await binBack;
      for (const echoed of [ack, got]) {
        expect([...echoed.file]).toEqual([1, 2, 3]);
        expect(echoed.list[0]).toBe("x");
        expect([...(echoed.list[1] as Uint8Array)]).toEqual([4]);
        expect(Buffer.isBuffer(echoed.empty) && echoed.empty.length).toBe(0);
      }
      expect([...bytes]).toEqual([0, 1, 255]);
    });

    it("a server-side disconnect", async () => {
      const socket = connect();
      await next(socket, "welcome");
      const disconnected = next<[string]>(socket, "disconnect");
      socket.emit("kick");
      const [reason] = await disconnected;
      expect(reason).toBe("io server disconnect");
      expect(socket.active).toBe(false);
    });

    it("heartbeats: the connection survives several pings", async () => {
      const socket = connect();
      await next(socket, "welcome");
      const id = socket.id;
      let pings = 0;
      socket.io.on("ping", () => pings++);
      await until(() => pings >= 4);
      await settled(socket);
      expect(socket.connected).toBe(true);
      expect(socket.id).toBe(id);
      expect(await call(socket, "echo", "still here")).toEqual(["still here"]);
    });
  },
);

describePython("socket.io-client 4.8 against Flask-SocketIO 5.3, for comparison", () => {
  it("delivers the events written before the CONNECT answer before `connect` (Switchboard: after it)", async () => {
    const socket = officialIo(server.url, {
      forceNew: true,
      reconnection: false,
      transports: ["websocket"],
    });
    try {
      const order: unknown[] = [];
      socket.on("connect", () => order.push("connect"));
      socket.on("welcome", () => order.push(["welcome", socket.connected, socket.id]));
      await next(socket, "connect");
      expect(order).toEqual([["welcome", true, socket.id], "connect"]);
    } finally {
      socket.disconnect();
    }
  });
});

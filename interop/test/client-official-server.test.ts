// biome-ignore-all lint/suspicious/noExplicitAny: the two clients are driven through the same untyped API
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { io as sbIo } from "@switchboard/client";
import { Server } from "socket.io";
import { io as officialIo } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";

/**
 * Our client against the official socket.io server, side by side with the official
 * socket.io-client: for each scenario, both clients must observe the same events.
 */
const clients = { "@switchboard/client": sbIo, "socket.io-client": officialIo } as const;

let http: HttpServer | undefined;
let server: Server | undefined;
const sockets: any[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) {
    s.io.reconnection(false);
    s.disconnect();
  }
  server?.close();
  http?.closeAllConnections();
  if (http?.listening) await new Promise((r) => http!.close(r));
  server = http = undefined;
});

async function start(setup: (io: Server) => void, port = 0): Promise<number> {
  http = createServer();
  server = new Server(http, { connectionStateRecovery: {} });
  setup(server);
  await new Promise<void>((resolve) => http!.listen(port, "127.0.0.1", resolve));
  return (http.address() as AddressInfo).port;
}

function once(emitter: any, event: string, ms = 10_000): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), ms);
    emitter.once(event, (...args: any[]) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

describe.each(Object.entries(clients))("%s against the official socket.io server", (_name, io) => {
  const connect = (url: string, opts: Record<string, unknown> = {}) => {
    const socket = io(url, {
      forceNew: true,
      reconnectionDelay: 20,
      reconnectionDelayMax: 50,
      ...opts,
    });
    sockets.push(socket);
    return socket as any;
  };

  it("upgrades, joins rooms, receives broadcasts with binary, and acks", async () => {
    const port = await start((srv) => {
      srv.on("connection", (s) => {
        s.on("join", (room: string, ack: () => void) => {
          s.join(room);
          ack();
        });
        s.on("shout", (room: string, payload: unknown) => srv.to(room).emit("shouted", payload));
      });
    });
    const a = connect(`http://127.0.0.1:${port}`);
    const b = connect(`http://127.0.0.1:${port}`);
    await Promise.all([once(a, "connect"), once(b, "connect")]);
    if (a.io.engine.transport.name !== "websocket") await once(a.io.engine, "upgrade");
    expect(a.io.engine.transport.name).toBe("websocket");
    await a.emitWithAck("join", "r");
    await b.emitWithAck("join", "r");
    const got = Promise.all([once(a, "shouted"), once(b, "shouted")]);
    a.emit("shout", "r", { bin: new Uint8Array([1, 2]), list: ["x", new Uint8Array([3])] });
    for (const [payload] of await got) {
      expect([...payload.bin]).toEqual([1, 2]);
      expect(payload.list[0]).toBe("x");
      expect([...payload.list[1]]).toEqual([3]);
    }
  });

  it("sees the same events for a refused namespace connection", async () => {
    const port = await start((srv) => {
      srv.of("/private").use((_s, next) => {
        const err = new Error("nope") as Error & { data?: unknown };
        err.data = { code: 42 };
        next(err);
      });
    });
    const socket = connect(`http://127.0.0.1:${port}/private`);
    const [err] = await once(socket, "connect_error");
    expect({ message: err.message, data: err.data, active: socket.active }).toEqual({
      message: "nope",
      data: { code: 42 },
      active: false,
    });
  });

  it("sees the same reasons and manager events across a server restart", async () => {
    const port = await start((srv) => {
      srv.on("connection", (s) => s.on("bye", () => s.disconnect()));
    });
    const socket = connect(`http://127.0.0.1:${port}`, { transports: ["websocket"] });
    await once(socket, "connect");
    const events: string[] = [];
    socket.on("disconnect", (reason: string) => events.push(`disconnect:${reason}`));
    socket.io.on("reconnect_attempt", (n: number) => events.push(`attempt:${n}`));
    socket.io.on("reconnect", (n: number) => events.push(`reconnect:${n}`));
    socket.on("connect", () => events.push("connect"));

    const down = once(socket, "disconnect");
    server!.close();
    http!.closeAllConnections();
    await down;
    await once(socket.io, "reconnect_error");
    await start((srv) => {
      srv.on("connection", (s) => s.on("bye", () => s.disconnect()));
    }, port);
    await once(socket, "connect");
    expect(events[0]).toBe("disconnect:transport close");
    expect(events.slice(1, 3)).toEqual(["attempt:1", "attempt:2"]);
    expect(events.at(-2)).toMatch(/^reconnect:\d+$/);
    expect(events.at(-1)).toBe("connect");

    socket.emit("bye");
    const [reason] = await once(socket, "disconnect");
    expect(reason).toBe("io server disconnect");
    expect(socket.active).toBe(false);
  });

  it("recovers its session after a transport drop", async () => {
    const port = await start((srv) => {
      srv.on("connection", (s) => {
        s.join("news");
        s.on("drop", () => s.conn.close());
      });
    });
    const socket = connect(`http://127.0.0.1:${port}`, { transports: ["websocket"] });
    await once(socket, "connect");
    const id = socket.id;
    const received: unknown[] = [];
    socket.on("item", (n: unknown) => received.push(n));
    // The server restores a session from the offset of the last broadcast the client got.
    const first = once(socket, "item");
    server!.to("news").emit("item", "seen");
    await first;
    const down = once(socket, "disconnect");
    socket.emit("drop");
    await down;
    server!.to("news").emit("item", "missed");
    await once(socket, "connect");
    await new Promise<void>((resolve) => {
      const check = () => (received.length > 1 ? resolve() : setTimeout(check, 5));
      check();
    });
    expect({ recovered: socket.recovered, sameId: socket.id === id, received }).toEqual({
      recovered: true,
      sameId: true,
      received: ["seen", "missed"],
    });
  });
});

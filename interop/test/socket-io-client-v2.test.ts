// biome-ignore-all lint/suspicious/noExplicitAny: socket.io-client 2.x and engine.io-parser 2.x have no types; their listeners take what the peer sends
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import {
  EngineServer,
  Server,
  type ServerOptions,
  type Server as ServerType,
  type Socket,
} from "@switchboard/server";
import { io as ioV4 } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";

// Socket.IO v2 clients (issue 13, part 4): the official socket.io-client 2.x from npm
// (Engine.IO v3, Socket.IO protocol v4) against @switchboard/server with `allowEIO3`, over
// WebSocket, polling (in Node it sends b64=1: binary as b4<base64>) and polling then upgrade.

const require = createRequire(import.meta.url);

/** The parts of socket.io-client 2.x's API these tests use (the package has no types). */
interface V2Socket {
  id: string;
  connected: boolean;
  io: {
    engine: { transport: { name: string }; once(ev: string, fn: (...a: any[]) => void): void };
  };
  on(ev: string, fn: (...a: any[]) => void): V2Socket;
  once(ev: string, fn: (...a: any[]) => void): V2Socket;
  off(ev: string, fn: (...a: any[]) => void): V2Socket;
  emit(ev: string, ...args: unknown[]): V2Socket;
  close(): void;
}
type V2Io = (url: string, opts: Record<string, unknown>) => V2Socket;
const ioV2 = require("socket.io-client-v2") as V2Io;
const V2_VERSION = (require("socket.io-client-v2/package.json") as { version: string }).version;

const MODES: readonly {
  mode: string;
  transports: readonly string[];
  last: string;
  server: Partial<ServerOptions>;
}[] = [
  { mode: "websocket", transports: ["websocket"], last: "websocket", server: {} },
  { mode: "polling", transports: ["polling"], last: "polling", server: {} },
  {
    mode: "polling then upgrade",
    transports: ["polling", "websocket"],
    last: "websocket",
    server: {},
  },
  // The engine's other WebSocket path (through `ws`), taken with per-message deflate.
  {
    mode: "websocket with per-message deflate",
    transports: ["websocket"],
    last: "websocket",
    server: { perMessageDeflate: true },
  },
];

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function start(
  options: Partial<ServerOptions> = {},
): Promise<{ io: ServerType; url: string }> {
  const http = createServer();
  const io = new Server(http, { allowEIO3: true, ...options });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => io.close());
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

function waitFor<T extends unknown[]>(
  emitter: { once(ev: string, fn: (...a: any[]) => void): unknown },
  ev: string,
  ms = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${ev}`)), ms);
    emitter.once(ev, ((...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    }) as never);
  });
}

/** Waits until `check()` holds, looking again every few ms; fails after `ms`. */
async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

it(`tests socket.io-client ${V2_VERSION}`, () => {
  expect(V2_VERSION.startsWith("2.")).toBe(true);
});

describe.each(MODES)("socket.io-client 2.x over $mode", ({ transports, last, server }) => {
  const begin = (options: Partial<ServerOptions> = {}) => start({ ...server, ...options });
  function client(url: string, opts: Record<string, unknown> = {}): V2Socket {
    const socket = ioV2(url, {
      transports: [...transports],
      forceNew: true,
      reconnection: false,
      ...opts,
    });
    cleanups.push(() => socket.close());
    return socket;
  }

  /** Connected, and (for polling then upgrade) on its final transport. */
  async function connected(socket: V2Socket): Promise<V2Socket> {
    if (!socket.connected) await waitFor(socket, "connect");
    if (socket.io.engine.transport.name !== last) await waitFor(socket.io.engine, "upgrade");
    return socket;
  }

  it("joins / implicitly and namespaces with their query as handshake.auth; ids match both sides", async () => {
    const { io, url } = await begin();
    const seen: Record<string, { id: string; auth: unknown; query: unknown }> = {};
    const record = (socket: Socket) => {
      seen[socket.nsp.name] = {
        id: socket.id,
        auth: socket.handshake.auth,
        query: socket.handshake.query.app,
      };
    };
    io.on("connection", record);
    io.of("/chat").use((socket, next) => {
      record(socket);
      next();
    });
    const chat = await connected(client(`${url}/chat`, { query: { app: "demo", token: "t1" } }));
    expect(seen["/chat"]).toEqual({
      id: chat.id,
      auth: { app: "demo", token: "t1" },
      query: "demo",
    });
    // socket.io 2.x semantics: the connection is in "/" too, without the client asking.
    expect(seen["/"]?.id).toBe(chat.id.slice("/chat#".length));
    const main = await connected(client(url));
    expect(io.of("/").sockets.get(main.id)?.id).toBe(main.id);
    // On "/", a v2 client's socket id is its engine session id.
    expect(io.engine.clients.get(main.id)?.protocol).toBe(3);
  });

  it("acks both ways, with binary in both directions", async () => {
    const { io, url } = await begin();
    io.on("connection", (socket) => {
      socket.on(
        "reverse",
        (text: string, data: { bytes: Buffer }, ack: (...a: unknown[]) => void) => {
          ack(text.split("").reverse().join(""), { back: Buffer.from(data.bytes).reverse() });
        },
      );
    });
    const serverSocket = waitFor<[Socket]>(io, "connection");
    const socket = await connected(client(url));
    const answer = await new Promise<unknown[]>((resolve) =>
      socket.emit("reverse", "héllo €", { bytes: Buffer.from([1, 2, 3]) }, (...a: unknown[]) =>
        resolve(a),
      ),
    );
    expect(answer).toEqual(["€ olléh", { back: Buffer.from([3, 2, 1]) }]);

    const [server] = await serverSocket;
    socket.on("question", (n: number, bytes: Buffer, ack: (...a: unknown[]) => void) => {
      ack(n * 2, Buffer.concat([bytes, Buffer.from([n])]));
    });
    const reply = await server.timeout(4000).emitWithAck("question", 21, Buffer.from([7, 7]));
    expect(reply).toBe(42);
    const both = await new Promise<unknown[]>((resolve, reject) =>
      server
        .timeout(4000)
        .emit("question", 5, Buffer.from([1]), (err: Error | null, ...a: unknown[]) =>
          err ? reject(err) : resolve(a),
        ),
    );
    expect(both).toEqual([10, Buffer.from([1, 5])]);
  });

  it("rooms and broadcasts reach v2 clients next to a v4 client, in order", async () => {
    const { io, url } = await begin();
    io.on("connection", (socket) => {
      socket.on("join", (room: string, ack: () => void) => {
        socket.join(room);
        ack();
      });
      socket.on("shout", (room: string, text: string) => socket.to(room).emit("heard", text));
    });
    const a = await connected(client(url));
    const b = await connected(client(url));
    const modern = ioV4(url, { transports: [...transports], forceNew: true, reconnection: false });
    cleanups.push(() => modern.close());
    await waitFor(modern, "connect");
    for (const s of [a, b, modern as unknown as V2Socket]) {
      await new Promise<void>((resolve) => s.emit("join", "lobby", () => resolve()));
    }
    const heardB: unknown[] = [];
    const heardModern: unknown[] = [];
    b.on("heard", (t: unknown) => heardB.push(t));
    modern.on("heard", (t: unknown) => heardModern.push(t));
    let heardA = 0;
    a.on("heard", () => heardA++);
    for (let i = 0; i < 5; i++) a.emit("shout", "lobby", `m${i}`);
    const expected = ["m0", "m1", "m2", "m3", "m4"];
    await until(() => heardB.length >= 5 && heardModern.length >= 5);
    expect(heardB).toEqual(expected);
    expect(heardModern).toEqual(expected);
    expect(heardA).toBe(0);

    // A room named by the id the v2 client reports, and a binary broadcast.
    const direct = waitFor<unknown[]>(b, "direct");
    io.to(b.id).emit("direct", Buffer.from([9, 9]), "x");
    expect(await direct).toEqual([Buffer.from([9, 9]), "x"]);
    const all = Promise.all([waitFor<unknown[]>(a, "all"), waitFor<unknown[]>(modern, "all")]);
    io.to("lobby").emit("all", 1);
    expect(await all).toEqual([[1], [1]]);
  });

  it("a middleware's refusal reaches the client's error event (data, else message)", async () => {
    const { io, url } = await begin();
    io.of("/vip").use((socket, next) => {
      if (socket.handshake.auth.key === "k") next();
      else next(Object.assign(new Error("no key"), { data: { code: 401 } }));
    });
    io.of("/closed").use((_socket, next) => next(new Error("closed for today")));
    const refused = client(`${url}/vip`);
    expect(await waitFor(refused, "error")).toEqual([{ code: 401 }]);
    expect(refused.connected).toBe(false);
    const plain = client(`${url}/closed`);
    expect(await waitFor(plain, "error")).toEqual(["closed for today"]);
    const unknown = client(`${url}/nowhere`);
    expect(await waitFor(unknown, "error")).toEqual(["Invalid namespace"]);
    const allowed = await connected(client(`${url}/vip`, { query: { key: "k" } }));
    expect(io.of("/vip").sockets.has(allowed.id)).toBe(true);
  });

  it("a server-side disconnect reaches the client as io server disconnect", async () => {
    const { io, url } = await begin();
    const serverSocket = waitFor<[Socket]>(io, "connection");
    const socket = await connected(client(url));
    const [server] = await serverSocket;
    const reason = waitFor<[string]>(socket, "disconnect");
    server.disconnect();
    expect(await reason).toEqual(["io server disconnect"]);
  });

  it("keeps the session alive on the client's pings (heartbeat from the client)", async () => {
    const { io, url } = await begin({ pingInterval: 30, pingTimeout: 500 });
    const socket = await connected(client(url));
    const conn = io.engine.clients.get(socket.id)!;
    expect(conn.protocol).toBe(3);
    for (let i = 0; i < 4; i++) await waitFor(conn, "heartbeat");
    expect(conn.readyState).toBe("open");
    expect(socket.connected).toBe(true);
  });

  it("is refused without allowEIO3 (the default), as by socket.io", async () => {
    const { url } = await begin({ allowEIO3: false });
    const socket = client(url);
    const [err] = await waitFor<[unknown]>(socket, "connect_error");
    expect(err).toBeTruthy();
    expect(socket.connected).toBe(false);
  });
});

/** engine.io-parser 2.x, the one socket.io-client 2.x runs (resolved from the client package). */
interface ParserV2 {
  encodePayload(
    packets: { type: string; data?: unknown }[],
    binary: boolean,
    cb: (out: any) => void,
  ): void;
  decodePayload(
    data: any,
    binaryType: string,
    cb: (packet: any, i: number, n: number) => void,
  ): void;
}
const parserV2 = (() => {
  const fromClient = createRequire(require.resolve("socket.io-client-v2"));
  return createRequire(fromClient.resolve("engine.io-client"))("engine.io-parser") as ParserV2;
})();

function decodeWithV2(data: string | Buffer): { type: string; data?: unknown }[] {
  const out: { type: string; data?: unknown }[] = [];
  parserV2.decodePayload(data, "nodebuffer", (packet) => {
    out.push(packet);
  });
  return out;
}

function encodeWithV2(
  packets: { type: string; data?: unknown }[],
  binary: boolean,
): string | Buffer {
  let out: string | Buffer = "";
  parserV2.encodePayload(packets, binary, (data) => {
    out = data;
  });
  return out;
}

// In Node, socket.io-client 2.x always polls with b64=1; browsers (XHR2) get binary payloads.
// Those are checked here against the client's own codec, engine.io-parser 2.x: our answers
// decode with it, and what it encodes decodes on our side, both payload forms.
describe("Engine.IO v3 polling payloads against engine.io-parser 2.x", () => {
  it.each([
    ["XHR2 (binary payloads)", ""],
    ["b64=1 (text payloads)", "&b64=1"],
  ])("%s: both directions", async (_name, b64) => {
    // The engine alone: no Socket.IO layer joining "/" and writing its CONNECT.
    const engine = new EngineServer({ allowEIO3: true });
    const http = createServer();
    engine.attach(http);
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => {
      engine.close();
      http.closeAllConnections();
      http.close();
    });
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const base = `${url}/socket.io/?EIO=3&transport=polling${b64}`;
    const open = decodeWithV2(await (await fetch(base)).text());
    expect(open[0]?.type).toBe("open");
    const sid = (JSON.parse(open[0]!.data as string) as { sid: string }).sid;
    const conn = engine.clients.get(sid)!;
    const received: unknown[] = [];
    conn.setHandler({ onMessage: (m) => received.push(m), onClose: () => {} });

    conn.send(["€ and 😀", Buffer.from([1, 2, 3, 4]), "x"]);
    const res = await fetch(`${base}&sid=${sid}`);
    const body = Buffer.from(await res.arrayBuffer());
    const binary = res.headers.get("content-type") === "application/octet-stream";
    expect(binary).toBe(b64 === "");
    expect(decodeWithV2(binary ? body : body.toString("utf8"))).toEqual([
      { type: "message", data: "€ and 😀" },
      { type: "message", data: Buffer.from([1, 2, 3, 4]) },
      { type: "message", data: "x" },
    ]);

    const payload = encodeWithV2(
      [
        { type: "message", data: "héllo €" },
        { type: "message", data: Buffer.from([9, 8, 7]) },
        { type: "ping" },
      ],
      b64 === "",
    );
    const post = await fetch(`${base}&sid=${sid}`, {
      method: "POST",
      body: typeof payload === "string" ? payload : new Uint8Array(payload),
    });
    expect(await post.text()).toBe("ok");
    expect(received).toEqual(["héllo €", Buffer.from([9, 8, 7])]);
    const pong = await fetch(`${base}&sid=${sid}`);
    expect(decodeWithV2(await pong.text())).toEqual([{ type: "pong" }]);
  });
});

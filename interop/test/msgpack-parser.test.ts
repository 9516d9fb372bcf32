// biome-ignore-all lint/suspicious/noExplicitAny: two servers and two clients are driven through the same untyped API
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type ConnectOptions, io as sbIo } from "@switchboard/client";
import { Server as SbServer, type ServerOptions } from "@switchboard/server";
import { Server as OfficialServer } from "socket.io";
import { io as officialIo } from "socket.io-client";
import * as msgpackParser from "socket.io-msgpack-parser";
import * as sioParser from "socket.io-parser";
import { afterEach, describe, expect, it } from "vitest";

/**
 * The `parser` option with socket.io-msgpack-parser from npm, end to end, in every pairing:
 * the official socket.io-client against the Switchboard server, the Switchboard client
 * against the official socket.io server, and Switchboard on both ends; over WebSocket,
 * polling, and polling then upgrade. The same scenario runs on each pairing: two namespaces
 * on one connection (one with auth), acks both ways, binary both ways (nested, in acks and
 * in a room broadcast), and the server sees only binary (msgpack) messages.
 */

// The module as npm ships it (with its own .d.ts) type-checks as the option of both packages.
const typedOptions: [Partial<ServerOptions>, ConnectOptions] = [
  { parser: msgpackParser },
  { parser: msgpackParser },
];

const servers = { "@switchboard/server": SbServer, "socket.io": OfficialServer } as const;
const clients = { "@switchboard/client": sbIo, "socket.io-client": officialIo } as const;
const pairings = [
  ["socket.io-client", "@switchboard/server"],
  ["@switchboard/client", "socket.io"],
  ["@switchboard/client", "@switchboard/server"],
] as const;
const transports = {
  websocket: ["websocket"],
  polling: ["polling"],
  "polling → websocket": ["polling", "websocket"],
} as const;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function once(emitter: any, event: string, ms = 10_000): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), ms);
    emitter.once(event, (...args: any[]) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

const bytes = (value: unknown): number[] => [...new Uint8Array(value as ArrayBuffer)];

/** Starts `kind` with the msgpack parser; records the type of every message the clients send. */
async function startServer(kind: keyof typeof servers) {
  const http: HttpServer = createServer();
  const ServerClass: any = servers[kind];
  const io = new ServerClass(http, { parser: msgpackParser });
  const received: string[] = [];
  io.engine.on("connection", (conn: any) => {
    conn.on("packet", (packet: { type: string; data?: unknown }) => {
      if (packet.type === "message") received.push(typeof packet.data);
    });
  });
  const chat = io.of("/chat");
  chat.use((socket: any, next: (err?: Error) => void) =>
    socket.handshake.auth.name === "ada" ? next() : next(new Error("who are you?")),
  );
  chat.on("connection", (socket: any) => {
    socket.join("room");
    socket.emit("welcome", socket.handshake.auth.name, Buffer.from([1, 2, 3]));
    socket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
    socket.on("ask me", async (ack: (v: unknown) => void) => {
      const answer = await socket.timeout(5000).emitWithAck("question", Buffer.from([7, 8]));
      ack(answer);
    });
    socket.on("shout", (value: unknown) => chat.to("room").emit("shouted", value));
  });
  io.on("connection", (socket: any) => {
    socket.on("whoami", (ack: (v: unknown) => void) => ack({ nsp: "/", id: socket.id }));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    io.close();
    http.closeAllConnections();
  });
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, received };
}

describe.each(pairings)("%s → %s, with socket.io-msgpack-parser", (clientKind, serverKind) => {
  describe.each(Object.entries(transports))("over %s", (_name, transportList) => {
    it("namespaces with auth, acks both ways, binary both ways, room broadcasts", async () => {
      const { url, received } = await startServer(serverKind);
      const io: any = clients[clientKind];
      const opts = {
        parser: typedOptions[1].parser,
        transports: [...transportList],
        forceNew: true,
        reconnection: false,
      };
      const main = io(url, opts);
      const chat = main.io.socket("/chat", { auth: { name: "ada" } });
      chat.connect?.();
      cleanups.push(() => main.io.disconnect?.() ?? main.disconnect());
      chat.on("question", (value: unknown, ack: (v: unknown) => void) =>
        ack({ reversed: Buffer.from(bytes(value).reverse()) }),
      );
      const [name, welcome] = await once(chat, "welcome");
      expect(name).toBe("ada");
      expect(bytes(welcome)).toEqual([1, 2, 3]);

      const who = await main.timeout(5000).emitWithAck("whoami");
      expect(who).toEqual({ nsp: "/", id: main.id });

      const payload = { n: 1, text: "é", list: [Buffer.from([4, 5]), { deep: Buffer.from([6]) }] };
      const echoed = await chat.timeout(5000).emitWithAck("echo", payload);
      expect(echoed.n).toBe(1);
      expect(echoed.text).toBe("é");
      expect(bytes(echoed.list[0])).toEqual([4, 5]);
      expect(bytes(echoed.list[1].deep)).toEqual([6]);

      const answer = await chat.timeout(5000).emitWithAck("ask me");
      expect(bytes(answer.reversed)).toEqual([8, 7]);

      const shouted = once(chat, "shouted");
      chat.emit("shout", { bin: Buffer.from([9]) });
      const [value] = await shouted;
      expect(bytes(value.bin)).toEqual([9]);

      if (transportList.length === 2) {
        if (main.io.engine.transport.name !== "websocket") await once(main.io.engine, "upgrade");
        expect(main.io.engine.transport.name).toBe("websocket");
        const again = await chat.timeout(5000).emitWithAck("echo", Buffer.from([10]));
        expect(bytes(again)).toEqual([10]);
      }
      // every packet went as msgpack: binary engine messages only, never JSON text
      expect(received.length).toBeGreaterThanOrEqual(6);
      expect(new Set(received)).toEqual(new Set(["object"]));
    });

    it("refused namespace: connect_error with the middleware's message", async () => {
      const { url } = await startServer(serverKind);
      const io: any = clients[clientKind];
      const socket = io(`${url}/chat`, {
        parser: msgpackParser,
        transports: [...transportList],
        forceNew: true,
        reconnection: false,
        auth: { name: "eve" },
      });
      cleanups.push(() => socket.disconnect());
      const [err] = await once(socket, "connect_error");
      expect(err.message).toBe("who are you?");
    });
  });
});

describe("socket.io-parser given as the parser option (a text parser with attachments)", () => {
  it.each(Object.entries(transports))(
    "the official socket.io-client (its default parser) → @switchboard/server over %s: binary both ways",
    async (_name, transportList) => {
      const http: HttpServer = createServer();
      const io = new SbServer(http, { parser: sioParser });
      io.on("connection", (socket) => {
        socket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
      });
      await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
      cleanups.push(() => io.close());
      const socket = officialIo(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, {
        transports: [...transportList],
        forceNew: true,
        reconnection: false,
      });
      cleanups.push(() => socket.disconnect());
      await once(socket, "connect");
      const back = await socket
        .timeout(5000)
        .emitWithAck("echo", { a: Buffer.from([1]), b: [Buffer.from([2, 3])] });
      expect(bytes(back.a)).toEqual([1]);
      expect(bytes(back.b[0])).toEqual([2, 3]);
    },
  );
});

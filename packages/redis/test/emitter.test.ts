// Emitters reaching clients through a mixed cluster on one Redis and one key: a Switchboard
// node on ioredis, one on node-redis (both createAdapter) and a socket.io 4 node on
// @socket.io/redis-adapter, each with two @switchboard/client sockets. Run with the
// unmodified @socket.io/redis-emitter and with our Emitter on each Redis client library.
import { createServer } from "node:http";
import { createAdapter as createSocketIoAdapter } from "@socket.io/redis-adapter";
import { Emitter as SocketIoEmitter } from "@socket.io/redis-emitter";
import { type Socket as ClientSocket, io as connect } from "@switchboard/client";
import { Server } from "@switchboard/server";
import { Redis } from "ioredis";
import { Server as SocketIoServer } from "socket.io";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAdapter, Emitter } from "../src/index.js";
import { type ClientPair, clientPair, redisPort, uniqueKey } from "./helpers/redis.js";
import { listen, received, WAIT_MS } from "./helpers/sockets.js";

/** What the tests call on an emitter (both implementations have it). */
interface EmitterLike {
  emit(ev: string, ...args: unknown[]): unknown;
  to(room: string | string[]): TargetLike;
  in(room: string | string[]): TargetLike;
  except(room: string | string[]): TargetLike;
  readonly volatile: TargetLike;
  socketsJoin(room: string | string[]): void;
  disconnectSockets(close?: boolean): void;
  serverSideEmit(ev: string, ...args: unknown[]): unknown;
}

interface TargetLike {
  except(room: string | string[]): TargetLike;
  compress(compress: boolean): TargetLike;
  emit(ev: string, ...args: unknown[]): unknown;
  socketsJoin(room: string | string[]): void;
  socketsLeave(room: string | string[]): void;
  disconnectSockets(close?: boolean): void;
}

interface Node {
  readonly name: string;
  readonly url: string;
  onServerSide(ev: string, listener: (...args: unknown[]) => void): void;
  close(): Promise<void>;
}

const EMITTERS = [
  ["@socket.io/redis-emitter", "reference"],
  ["our Emitter on ioredis", "ioredis"],
  ["our Emitter on node-redis", "node-redis"],
] as const;

/** Rooms of a client `<n>-<letter>`: `room-<n>-<letter>`, and `team` for the "a" ones. */
function onConnection(socket: {
  handshake: { auth: Record<string, unknown> };
  join(r: string): unknown;
}) {
  const name = String(socket.handshake.auth.name);
  socket.join(`room-${name}`);
  if (name.endsWith("-a")) socket.join("team");
}

async function switchboardNode(pair: ClientPair, key: string, name: string): Promise<Node> {
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(pair.pub, pair.sub, { key }) });
  io.on("connection", onConnection);
  return {
    name,
    url: await listen(http),
    onServerSide: (ev, listener) => io.on(ev, listener),
    close: async () => {
      await io.close();
      await pair.quit();
    },
  };
}

async function socketIoNode(key: string): Promise<Node> {
  const pub = new Redis({ port: await redisPort(), host: "127.0.0.1" });
  const sub = pub.duplicate();
  const http = createServer();
  const io = new SocketIoServer(http, { adapter: createSocketIoAdapter(pub, sub, { key }) });
  io.on("connection", onConnection);
  return {
    name: "socket.io",
    url: await listen(http),
    onServerSide: (ev, listener) => io.on(ev, listener),
    close: async () => {
      await new Promise<void>((resolve) => io.close(() => resolve()));
      pub.disconnect();
      sub.disconnect();
    },
  };
}

describe.each(EMITTERS)("%s to Switchboard and socket.io nodes", (_title, which) => {
  let nodes: Node[] = [];
  /** By name: "0-a", "0-b" (Switchboard ioredis), "1-a", "1-b" (node-redis), "2-a", "2-b" (socket.io). */
  let clients: Record<string, ClientSocket> = {};
  let emitter: EmitterLike;
  let emitterClose: () => Promise<void> = async () => {};

  beforeEach(async () => {
    const key = uniqueKey("emit");
    nodes = [
      await switchboardNode(await clientPair("ioredis"), key, "switchboard (ioredis)"),
      await switchboardNode(await clientPair("node-redis"), key, "switchboard (node-redis)"),
      await socketIoNode(key),
    ];
    clients = {};
    await Promise.all(
      nodes.flatMap((node, n) =>
        ["a", "b"].map(async (letter) => {
          const name = `${n}-${letter}`;
          const socket = connect(node.url, {
            auth: { name },
            transports: ["websocket"],
            forceNew: true,
          });
          await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
          clients[name] = socket;
        }),
      ),
    );
    // Every node subscribed (its request channel counts it) before anything is published.
    const probe = new Redis({ port: await redisPort(), host: "127.0.0.1" });
    await expect
      .poll(async () => (await probe.pubsub("NUMSUB", `${key}-request#/#`))[1], {
        timeout: WAIT_MS,
      })
      .toBe(3);
    probe.disconnect();
    if (which === "reference") {
      const client = new Redis({ port: await redisPort(), host: "127.0.0.1" });
      emitter = new SocketIoEmitter(client, { key }) as unknown as EmitterLike;
      emitterClose = async () => void client.disconnect();
    } else {
      const pair = await clientPair(which);
      emitter = new Emitter(pair.pub, { key });
      emitterClose = () => pair.quit();
    }
  });

  afterEach(async () => {
    for (const socket of Object.values(clients)) socket.disconnect();
    for (const node of nodes) await node.close();
    await emitterClose();
  });

  /** Records who gets `ev`; read it after {@link settle}. */
  function who(ev: string): string[] {
    const names: string[] = [];
    for (const [name, socket] of Object.entries(clients)) socket.on(ev, () => names.push(name));
    return names;
  }

  /** A marker to every connected client: once all have it, everything before it arrived. */
  async function settle(): Promise<void> {
    const connected = Object.values(clients).filter((socket) => socket.connected);
    const markers = connected.map((socket) => received(socket, "marker"));
    emitter.emit("marker");
    await Promise.all(markers);
  }

  it("emit with binary reaches every client of every node", async () => {
    const got = Object.values(clients).map((socket) => received(socket, "hello"));
    emitter.emit("hello", "text", Buffer.from([1, 2, 3]), { n: [1, null] });
    for (const args of await Promise.all(got)) {
      expect(args[0]).toBe("text");
      expect(Buffer.from(args[1] as ArrayBuffer)).toEqual(Buffer.from([1, 2, 3]));
      expect(args[2]).toEqual({ n: [1, null] });
    }
  });

  it("rooms and except: one room, several rooms, a room less an excepted one", async () => {
    const one = who("one");
    const several = who("several");
    const less = who("less");
    emitter.to("room-2-b").emit("one");
    emitter.to(["room-0-b", "room-1-b"]).emit("several");
    emitter.to("team").except("room-1-a").emit("less");
    emitter.except("team").emit("less");
    await settle();
    expect(one).toEqual(["2-b"]);
    expect(several.sort()).toEqual(["0-b", "1-b"]);
    expect(less.sort()).toEqual(["0-a", "0-b", "1-b", "2-a", "2-b"]);
  });

  it("volatile and compress flags are carried", async () => {
    const got = Object.values(clients).map((socket) => received(socket, "flagged"));
    emitter.volatile.compress(false).emit("flagged", 1);
    expect(await Promise.all(got)).toEqual(new Array(6).fill([1]));
  });

  it("socketsJoin then socketsLeave, on the sockets of every node", async () => {
    const joined = who("in-joined");
    emitter.in("team").socketsJoin(["joined", "other"]);
    emitter.to("joined").emit("in-joined");
    emitter.in("room-1-a").socketsLeave("joined");
    emitter.to("joined").emit("in-joined");
    emitter.socketsJoin("everyone");
    emitter.to("everyone").except("joined").emit("in-joined");
    await settle();
    expect(joined.sort()).toEqual(
      ["0-a", "1-a", "2-a", "0-a", "2-a", "0-b", "1-a", "1-b", "2-b"].sort(),
    );
  });

  it("disconnectSockets: the selected sockets on every node, the others stay", async () => {
    const targets = ["0-b", "1-b", "2-b"].map((name) => clients[name]!);
    const gone = targets.map((socket) => new Promise((r) => socket.once("disconnect", r)));
    emitter.except("team").disconnectSockets(true);
    expect(await Promise.all(gone)).toEqual(new Array(3).fill("io server disconnect"));
    await settle();
    for (const name of ["0-a", "1-a", "2-a"]) expect(clients[name]!.connected).toBe(true);
  });

  it("serverSideEmit reaches every node's listeners", async () => {
    const heard = nodes.map(
      (node) =>
        new Promise<unknown[]>((resolve) =>
          node.onServerSide("reload", (...args) => resolve(args)),
        ),
    );
    emitter.serverSideEmit("reload", "config", { v: 2 });
    expect(await Promise.all(heard)).toEqual(new Array(3).fill(["config", { v: 2 }]));
  });
});

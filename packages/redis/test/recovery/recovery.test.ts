// Cluster-wide connection state recovery with in-process nodes on the local Redis: a client
// that lost its connection to one node recovers on another (same id, rooms, data, every
// missed packet once, in order), with both Redis client libraries and both clients.
import { createServer, type Server as HttpServer } from "node:http";
import { Emitter as SocketIoEmitter } from "@socket.io/redis-emitter";
import { Server } from "@switchboard/server";
import { type Socket as ClientSocket, io as connect } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { createAdapter, Emitter } from "../../src/index.js";
import { CLIENT_KINDS, type ClientPair, clientPair, uniqueKey } from "../helpers/redis.js";
import { listen } from "../helpers/sockets.js";

const WAIT = { timeout: 8000 };

interface Node {
  io: Server;
  http: HttpServer;
  url: string;
  pair: ClientPair;
}

describe.each(CLIENT_KINDS)("recovery on any node (%s)", (kind) => {
  const nodes: Node[] = [];
  const clients: ClientSocket[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect();
    for (const n of nodes.splice(0)) {
      await n.io.close();
      await n.pair.quit();
    }
  });

  async function startNode(key: string, maxDisconnectionDuration = 60_000): Promise<Node> {
    const pair = await clientPair(kind);
    const http = createServer();
    const io = new Server(http, {
      connectionStateRecovery: { maxDisconnectionDuration },
      drainSpread: 0,
      adapter: createAdapter(pair.pub, pair.sub, {
        key,
        recovery: { logKey: `${key}:{log}`, sessionPrefix: `${key}:session:` },
      }),
    });
    io.on("connection", (socket) => {
      if (!socket.recovered) {
        socket.join("room-a");
        socket.data = { user: "ada", joined: 1 };
      }
      socket.on("join", (room: string, cb: () => void) => {
        socket.join(room);
        cb();
      });
    });
    const url = await listen(http);
    const node = { io, http, url, pair };
    nodes.push(node);
    await (io.of("/").adapter.init as () => Promise<void>)?.call(io.of("/").adapter);
    return node;
  }

  /** Points the client's next reconnection at `url` (what a balancer would do). */
  function retarget(client: ClientSocket, url: string): void {
    (client.io as unknown as { uri: string }).uri = url;
  }

  it("recovers on another node after a transport close: id, rooms, data, missed packets in order", async () => {
    const key = uniqueKey("rec");
    const a = await startNode(key);
    const b = await startNode(key);
    const client = connect(a.url, {
      transports: ["websocket"],
      reconnectionDelay: 50,
      reconnectionDelayMax: 100,
    });
    clients.push(client);
    const got: unknown[] = [];
    client.on("n", (n: number) => got.push(n));
    await new Promise<void>((r) => client.once("connect", () => r()));
    const firstId = client.id;
    b.io.emit("n", 1);
    a.io.to("room-a").emit("n", 2);
    await expect.poll(() => got.length, WAIT).toBe(2);
    // Cut the connection; the client comes back through node b.
    retarget(client, b.url);
    const reconnected = new Promise<void>((r) => client.once("connect", () => r()));
    const aSocket = a.io.of("/").sockets.get(firstId!);
    expect(aSocket).toBeDefined();
    await expect.poll(() => a.io.of("/").adapter.persistSession !== undefined).toBe(true);
    client.io.engine.close();
    await expect.poll(() => a.io.of("/").sockets.size, WAIT).toBe(0);
    // Missed while away: broadcasts from both nodes, a room emit, an emit to the socket.
    b.io.emit("n", 3);
    a.io.to("room-a").emit("n", 4);
    a.io.to("room-b").emit("n", -1);
    b.io.to(firstId!).emit("n", 5);
    a.io.except("room-a").emit("n", -2);
    await new Promise((r) => setTimeout(r, 200));
    await reconnected;
    expect(client.recovered).toBe(true);
    expect(client.id).toBe(firstId);
    // One order for everyone (the log's); each node's own emits in the order it sent them.
    await expect.poll(() => [...got].sort(), WAIT).toEqual([1, 2, 3, 4, 5]);
    expect(got.filter((n) => n === 3 || n === 5)).toEqual([3, 5]);
    const onB = b.io.of("/").sockets.get(firstId!);
    expect(onB?.recovered).toBe(true);
    expect(onB?.data).toEqual({ user: "ada", joined: 1 });
    expect([...(onB?.rooms ?? [])].sort()).toEqual([firstId, "room-a"].sort());
    // Live traffic after the restore, from both nodes.
    a.io.to("room-a").emit("n", 6);
    b.io.emit("n", 7);
    await expect.poll(() => got.length, WAIT).toBe(7);
    expect([...got].sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("emits of both emitters to a room whose members are all away are recovered, once", async () => {
    const key = uniqueKey("rec");
    const a = await startNode(key);
    const b = await startNode(key);
    const client = connect(a.url, {
      transports: ["websocket"],
      reconnectionDelay: 50,
      reconnectionDelayMax: 100,
    });
    clients.push(client);
    const got: unknown[] = [];
    client.on("n", (n: number) => got.push(n));
    await new Promise<void>((r) => client.once("connect", () => r()));
    a.io.emit("n", 0);
    await expect.poll(() => got.length, WAIT).toBe(1);
    const id = client.id;
    retarget(client, b.url);
    const reconnected = new Promise<void>((r) => client.once("connect", () => r()));
    // Hold the reconnection until the emits are made: no node has a socket in room-a then.
    client.io.reconnectionDelay(600);
    client.io.reconnectionDelayMax(600);
    client.io.engine.close();
    await expect.poll(() => a.io.of("/").sockets.size, WAIT).toBe(0);
    const official = new SocketIoEmitter(a.pair.pub as never, { key });
    const ours = new Emitter(a.pair.pub, { key });
    official.to("room-a").emit("n", 1);
    ours.to("room-a").emit("n", 2);
    official.to("room-a").emit("n", 1);
    official.to("elsewhere").emit("n", -1);
    await reconnected;
    expect(client.recovered).toBe(true);
    expect(client.id).toBe(id);
    await expect.poll(() => got.length, WAIT).toBe(4);
    await new Promise((r) => setTimeout(r, 200));
    // Two identical official emits are two packets (the n-th of equal messages is the n-th
    // on every node); each arrives once although both nodes received both.
    expect([...got].sort()).toEqual([0, 1, 1, 2]);
  });

  it("a session whose window passed is not recovered (recovered === false, new id)", async () => {
    const key = uniqueKey("rec");
    const a = await startNode(key, 300);
    const b = await startNode(key, 300);
    const client = connect(a.url, {
      transports: ["websocket"],
      reconnectionDelay: 1000,
      reconnectionDelayMax: 1000,
      randomizationFactor: 0,
    });
    clients.push(client);
    client.on("n", () => {});
    await new Promise<void>((r) => client.once("connect", () => r()));
    a.io.emit("n", 1);
    await new Promise((r) => setTimeout(r, 100));
    const firstId = client.id;
    retarget(client, b.url);
    const reconnected = new Promise<void>((r) => client.once("connect", () => r()));
    client.io.engine.close();
    await reconnected;
    expect(client.recovered).toBe(false);
    expect(client.id).not.toBe(firstId);
  });
});

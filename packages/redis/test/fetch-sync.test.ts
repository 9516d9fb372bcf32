// fetchSockets between Switchboard nodes sends each handshake once (handshake-sync.ts):
// answers stay exact as sockets come and go, the requester's table of the other node's
// handshakes follows (pruned when far larger than the live sockets), and a socket.io-format
// answer (no `sb`) is still read.
import { Server } from "@switchboard/server";
import { TestClient, type TestSocket } from "@switchboard/server/testing";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAdapter, type RedisAdapter } from "../src/index.js";
import { type ClientPair, clientPair, redisPort, uniqueKey } from "./helpers/redis.js";

const WAIT_MS = 5000;

describe("fetchSockets between Switchboard nodes", () => {
  let key: string;
  let pairs: ClientPair[] = [];
  let nodes: Server[] = [];
  const clients: TestClient[] = [];

  beforeEach(async () => {
    key = uniqueKey("fetch");
    pairs = [await clientPair("ioredis"), await clientPair("node-redis")];
    nodes = pairs.map((p) => new Server({ adapter: createAdapter(p.pub, p.sub, { key }) }));
    for (const io of nodes) {
      io.on("connection", (socket) => {
        socket.data = { k: socket.handshake.auth.k };
      });
      await expect.poll(() => io.of("/").adapter.serverCount(), { timeout: WAIT_MS }).toBe(2);
    }
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const io of nodes.splice(0)) await io.close();
    for (const pair of pairs.splice(0)) await pair.quit();
  });

  async function connectMany(io: Server, from: number, n: number): Promise<TestSocket[]> {
    const sockets = [];
    for (let k = from; k < from + n; k++) {
      const client = new TestClient(io);
      clients.push(client);
      sockets.push(client.connect("/", { auth: { k }, timeout: WAIT_MS }));
    }
    return Promise.all(sockets);
  }

  /** What node a sees: k of every socket, from its handshake and from its data, sorted. */
  async function seen(): Promise<Array<[unknown, unknown]>> {
    const sockets = await nodes[0]!.fetchSockets();
    return sockets
      .map((s): [unknown, unknown] => [s.handshake.auth.k, (s.data as { k: unknown }).k])
      .sort((x, y) => Number(x[0]) - Number(y[0]));
  }

  const pairsOf = (ks: number[]) => ks.map((k): [number, number] => [k, k]);
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

  it("stays exact as sockets connect and disconnect; the table follows", async () => {
    const adapter = nodes[0]!.of("/").adapter as RedisAdapter;
    const first = await connectMany(nodes[1]!, 0, 20);
    expect(await seen()).toEqual(pairsOf(range(0, 20)));
    expect(adapter.rememberedHandshakes).toBe(20);
    await connectMany(nodes[1]!, 20, 10);
    await connectMany(nodes[0]!, 100, 2);
    for (const socket of first.slice(0, 5)) socket.disconnect();
    await expect.poll(() => nodes[1]!.of("/").sockets.size, { timeout: WAIT_MS }).toBe(25);
    expect(await seen()).toEqual(pairsOf([...range(5, 30), 100, 101]));
    expect(adapter.rememberedHandshakes).toBe(30);
    // rooms filter: only the answer is filtered, the table still learns every new socket
    await connectMany(nodes[1]!, 30, 3);
    expect(await nodes[0]!.in("nowhere").fetchSockets()).toEqual([]);
    expect(adapter.rememberedHandshakes).toBe(33);
  });

  it("a table far larger than the live sockets is dropped, then filled again", async () => {
    const adapter = nodes[0]!.of("/").adapter as RedisAdapter;
    const many = await connectMany(nodes[1]!, 0, 300);
    expect((await seen()).length).toBe(300);
    for (const socket of many.slice(1)) socket.disconnect();
    await expect.poll(() => nodes[1]!.of("/").sockets.size, { timeout: WAIT_MS }).toBe(1);
    expect(await seen()).toEqual([[0, 0]]);
    expect(adapter.rememberedHandshakes).toBe(0); // pruned after that answer
    expect(await seen()).toEqual([[0, 0]]);
    expect(adapter.rememberedHandshakes).toBe(1);
  });

  it("an answer in socket.io's format (no sb) is read as before", async () => {
    await connectMany(nodes[0]!, 0, 1);
    // a fake socket.io node answering every fetch request of node b
    const port = await redisPort();
    const pub = new Redis({ port, host: "127.0.0.1" });
    const sub = pub.duplicate();
    await sub.subscribe(`${key}-request#/#`);
    sub.on("message", (_channel: string, text: string) => {
      const req = JSON.parse(text) as { type: number; requestId: string; uid: string };
      if (req.type !== 5 || !req.uid.startsWith("sb-")) return;
      const socket = {
        id: "sio-1",
        handshake: { auth: { k: 7 } },
        rooms: ["sio-1"],
        data: { k: 7 },
      };
      void pub.publish(
        `${key}-response#/#`,
        JSON.stringify({ requestId: req.requestId, sockets: [socket] }),
      );
    });
    try {
      // node b now hears two answers (node a's synced one, the fake one) plus counts 3 nodes
      await expect
        .poll(() => nodes[1]!.of("/").adapter.serverCount(), { timeout: WAIT_MS })
        .toBe(3);
      const sockets = await nodes[1]!.fetchSockets();
      expect(sockets.map((s) => s.handshake.auth.k).sort()).toEqual([0, 7]);
    } finally {
      pub.disconnect();
      sub.disconnect();
    }
  });
});

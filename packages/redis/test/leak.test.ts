// 10,000 sockets over two nodes join rooms, are joined and made to leave across nodes,
// fetched, asked for acks and disconnected from the other node: afterwards every map of both
// adapters (rooms, sids, pending requests) and every namespace is empty.
import { Server } from "@switchboard/server";
import { TestClient } from "@switchboard/server/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createAdapter, type RedisAdapter } from "../src/index.js";
import { type ClientPair, clientPair, uniqueKey } from "./helpers/redis.js";

const SOCKETS = 10_000;
const WAIT_MS = 20_000;

describe("leak check", () => {
  let pairs: ClientPair[] = [];
  let nodes: Server[] = [];
  const clients: TestClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const io of nodes.splice(0)) await io.close();
    for (const pair of pairs.splice(0)) await pair.quit();
  });

  it(`${SOCKETS} sockets over 2 nodes: every map empty after`, { timeout: 120_000 }, async () => {
    const key = uniqueKey("leak");
    pairs = [await clientPair("ioredis"), await clientPair("node-redis")];
    nodes = pairs.map(
      (pair) => new Server({ adapter: createAdapter(pair.pub, pair.sub, { key }) }),
    );
    const adapters = nodes.map((io) => io.of("/").adapter as RedisAdapter);
    for (const adapter of adapters) {
      await expect.poll(() => adapter.serverCount(), { timeout: WAIT_MS }).toBe(2);
    }
    nodes.forEach((io, n) => {
      io.on("connection", (socket) => {
        const k = Number(socket.handshake.auth.k);
        socket.join([`r${k % 50}`, `node-${n}`]);
        socket.on("leave-now", () => socket.leave(`r${k % 50}`));
      });
    });
    const connected = [];
    for (let i = 0; i < SOCKETS; i++) {
      const client = new TestClient(nodes[i % 2]!);
      clients.push(client);
      connected.push(client.connect("/", { auth: { k: i }, timeout: WAIT_MS }));
    }
    const sockets = await Promise.all(connected);
    const [a, b] = nodes as [Server, Server];

    // cross-node room changes, fetch, acks
    a.in("node-1").socketsJoin("extra");
    await expect
      .poll(() => b.of("/").adapter.rooms.get("extra")?.size, { timeout: WAIT_MS })
      .toBe(SOCKETS / 2);
    b.in("node-0").socketsJoin("extra");
    await expect
      .poll(() => a.of("/").adapter.rooms.get("extra")?.size, { timeout: WAIT_MS })
      .toBe(SOCKETS / 2);
    a.in("extra").socketsLeave("extra");
    await expect
      .poll(() => adapters.map((ad) => ad.rooms.has("extra")), { timeout: WAIT_MS })
      .toEqual([false, false]);
    expect((await a.in("r1").fetchSockets()).length).toBe(SOCKETS / 50);
    for (const socket of sockets) socket.on("ping-all", (cb: () => void) => cb());
    expect((await a.timeout(WAIT_MS).emitWithAck("ping-all")).length).toBe(SOCKETS);
    for (const socket of sockets.slice(0, 100)) socket.emit("leave-now");

    // disconnect everyone from node a (half of them live on node b)
    a.disconnectSockets(true);
    for (const io of nodes) {
      await expect.poll(() => io.of("/").sockets.size, { timeout: WAIT_MS }).toBe(0);
    }
    // the handshakes remembered of the other node's sockets go with the next answer
    expect(await a.fetchSockets()).toEqual([]);
    expect(adapters[0]!.rememberedHandshakes).toBe(0);
    for (const adapter of adapters) {
      expect(adapter.rooms.size).toBe(0);
      expect(adapter.sids.size).toBe(0);
      await expect.poll(() => adapter.pendingRequests, { timeout: WAIT_MS }).toBe(0);
    }
  });
});

// Ack broadcasts at the edges: `local` ones wait for this node only (the node count the
// caller gets says 1), and one that cannot be published (maxPendingRequests reached) fails
// with its code instead of waiting. Node b is set up socket.io's way, `io.adapter(...)`.
import { Server } from "@switchboard/server";
import { TestClient, type TestSocket } from "@switchboard/server/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAdapter, RedisAdapterError } from "../src/index.js";
import { type ClientPair, clientPair, uniqueKey } from "./helpers/redis.js";

const WAIT_MS = 3000;

describe("ack broadcasts", () => {
  let pairs: ClientPair[] = [];
  let nodes: Server[] = [];
  const clients: TestClient[] = [];
  let sockets: TestSocket[] = [];

  beforeEach(async () => {
    const key = uniqueKey("acks");
    pairs = [await clientPair("ioredis"), await clientPair("node-redis")];
    const a = new Server({
      adapter: createAdapter(pairs[0]!.pub, pairs[0]!.sub, { key, maxPendingRequests: 1 }),
    });
    const b = new Server();
    b.adapter(createAdapter(pairs[1]!.pub, pairs[1]!.sub, { key }));
    nodes = [a, b];
    for (const io of nodes) {
      await expect.poll(() => io.of("/").adapter.serverCount(), { timeout: WAIT_MS }).toBe(2);
      const client = new TestClient(io);
      clients.push(client);
      const socket = await client.connect("/", { timeout: WAIT_MS });
      socket.on("ask", (cb: (v: string) => void) => cb(`answer ${nodes.indexOf(io)}`));
      sockets.push(socket);
    }
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const io of nodes.splice(0)) await io.close();
    for (const pair of pairs.splice(0)) await pair.quit();
    sockets = [];
  });

  it("both nodes answer; a local one waits for this node only", async () => {
    const [a] = nodes as [Server, Server];
    expect([...(await a.timeout(WAIT_MS).emitWithAck("ask"))].sort()).toEqual([
      "answer 0",
      "answer 1",
    ]);
    expect(await a.local.timeout(WAIT_MS).emitWithAck("ask")).toEqual(["answer 0"]);
  });

  it("one more than maxPendingRequests fails with SB_ERR_REDIS_TOO_MANY_REQUESTS", async () => {
    const [a] = nodes as [Server, Server];
    // node b's client never answers "hold": the first ack broadcast keeps waiting
    const first = a
      .timeout(300)
      .emitWithAck("hold")
      .catch((err: unknown) => err);
    const second = await a
      .timeout(WAIT_MS)
      .emitWithAck("ask")
      .catch((err: unknown) => err);
    expect(second).toBeInstanceOf(RedisAdapterError);
    expect((second as RedisAdapterError).code).toBe("SB_ERR_REDIS_TOO_MANY_REQUESTS");
    expect((await first) as { code?: string }).toMatchObject({ code: "SB_ERR_ACK_TIMEOUT" });
  });
});

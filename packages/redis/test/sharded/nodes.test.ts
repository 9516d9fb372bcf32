// Nodes joining and leaving a sharded cluster: counted by their subscriptions (SHARDNUMSUB),
// and a request waiting for a node that leaves ends with the others' answers within
// `nodeCheckInterval`, not at its `requestsTimeout`.
import { Server } from "@switchboard/server";
import { afterEach, describe, expect, it } from "vitest";
import { createShardedAdapter, type ShardedRedisAdapter } from "../../src/index.js";
import { type ClientPair, clientPair, uniqueKey } from "../helpers/redis.js";

const WAIT_MS = 3000;
const pairs: ClientPair[] = [];
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((io) => io.close()));
  await Promise.all(pairs.splice(0).map((p) => p.quit()));
});

describe("sharded adapter: nodes that come and go", () => {
  it("a request waiting for a node that leaves ends with the other answers", async () => {
    const channelPrefix = uniqueKey("sharded-nodes");
    for (let n = 0; n < 3; n++) {
      const pair = await clientPair("node-redis");
      pairs.push(pair);
      servers.push(
        new Server({
          adapter: createShardedAdapter(pair.pub, pair.sub, {
            channelPrefix,
            // beyond the test's own 30 s: only the node check can end the request in time
            requestsTimeout: 60_000,
            nodeCheckInterval: 100,
          }),
        }),
      );
    }
    const [a, b, c] = servers as [Server, Server, Server];
    for (const io of servers) {
      await expect.poll(() => io.of("/").adapter.serverCount(), { timeout: WAIT_MS }).toBe(3);
    }
    b.on("whoami", (cb: (v: string) => void) => cb("b"));
    c.on("whoami", () => {}); // c hears it and never answers
    const adapter = a.of("/").adapter as ShardedRedisAdapter;
    const answers = a.serverSideEmitWithAck("whoami");
    await expect.poll(() => adapter.pendingRequests, { timeout: WAIT_MS }).toBe(1);
    await c.close();
    expect(await answers).toEqual(["b"]);
    expect(adapter.pendingRequests).toBe(0);
    expect(await adapter.serverCount()).toBe(2);
  });
});

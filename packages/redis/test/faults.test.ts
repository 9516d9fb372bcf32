// Redis killed (SIGKILL) and restarted under a two-node cluster, with the classic and the
// sharded adapter and each client library:
// no crash and no unhandled rejection, local delivery goes on, requests fail fast with a
// code (in flight: SB_ERR_REDIS_CONNECTION_LOST; new: SB_ERR_REDIS_UNAVAILABLE), the health
// getter and event follow, and once Redis is back both clients resubscribe by themselves.

import type { AdapterConstructor } from "@switchboard/server";
import { Server } from "@switchboard/server";
import { TestClient, type TestSocket } from "@switchboard/server/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createAdapter,
  createShardedAdapter,
  type RedisAdapter,
  RedisAdapterError,
  type ShardedRedisAdapter,
} from "../src/index.js";
import { CLIENT_KINDS, type ClientPair, clientPair, OwnRedis, uniqueKey } from "./helpers/redis.js";

const WAIT_MS = 8000;

function codeOf(err: unknown): string {
  return err instanceof RedisAdapterError ? err.code : `not a RedisAdapterError: ${String(err)}`;
}

/** Each adapter of the package, with requests that would wait 20 s for a silent node. */
const ADAPTERS: Record<string, (pub: object, sub: object, key: string) => AdapterConstructor> = {
  classic: (pub, sub, key) => createAdapter(pub, sub, { key, requestsTimeout: 20_000 }),
  sharded: (pub, sub, key) =>
    createShardedAdapter(pub, sub, { channelPrefix: key, requestsTimeout: 20_000 }),
};
const CASES = Object.keys(ADAPTERS).flatMap((adapter) =>
  CLIENT_KINDS.map((kind) => [adapter, kind] as const),
);

describe.each(CASES)("Redis faults (%s adapter, %s)", (adapterName, kind) => {
  let redis: OwnRedis;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  let pairs: ClientPair[] = [];
  let nodes: Server[] = [];
  const clients: TestClient[] = [];

  beforeAll(async () => {
    redis = await OwnRedis.start();
    process.on("unhandledRejection", onUnhandled);
  });

  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    await redis.stop();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const io of nodes.splice(0)) await io.close();
    for (const pair of pairs.splice(0)) await pair.quit();
    await redis.restart();
  });

  async function cluster(): Promise<{
    sockets: TestSocket[];
    adapters: Array<RedisAdapter | ShardedRedisAdapter>;
  }> {
    const key = uniqueKey("faults");
    pairs = [await clientPair(kind, redis.port), await clientPair(kind, redis.port)];
    const adapter = ADAPTERS[adapterName]!;
    nodes = pairs.map((pair) => new Server({ adapter: adapter(pair.pub, pair.sub, key) }));
    const adapters = nodes.map((io) => io.of("/").adapter as RedisAdapter | ShardedRedisAdapter);
    for (const adapter of adapters) {
      await expect.poll(() => adapter.serverCount(), { timeout: WAIT_MS }).toBe(2);
    }
    const sockets: TestSocket[] = [];
    for (const io of nodes) {
      const client = new TestClient(io);
      clients.push(client);
      sockets.push(await client.connect("/", { timeout: WAIT_MS }));
    }
    return { sockets, adapters };
  }

  it("keeps local delivery, fails requests fast with codes, reports health, recovers", async () => {
    const { sockets, adapters } = await cluster();
    const [a, b] = nodes as [Server, Server];
    expect(adapters.map((adapter) => adapter.health)).toEqual(["ready", "ready"]);
    const healthEvents: string[] = [];
    adapters[0]!.on("health", (state: string) => healthEvents.push(state));

    // across nodes before the fault
    let got = sockets[1]!.waitFor("before", WAIT_MS);
    a.emit("before", 1);
    expect(await got).toEqual([1]);

    // a request in flight: node b hears it and never answers
    b.on("silent", () => {});
    const inFlight = a.serverSideEmitWithAck("silent").catch((err: unknown) => err);
    await expect.poll(() => adapters[0]!.pendingRequests, { timeout: WAIT_MS }).toBe(1);

    await redis.kill();
    expect(codeOf(await inFlight)).toBe("SB_ERR_REDIS_CONNECTION_LOST");
    await expect.poll(() => adapters[0]!.health, { timeout: WAIT_MS }).toBe("down");
    expect(healthEvents).toContain("down");
    expect(adapters[0]!.pendingRequests).toBe(0);

    // Redis down: local delivery goes on, requests fail now (their timeout is 20 s)
    got = sockets[0]!.waitFor("during", WAIT_MS);
    a.emit("during", 2);
    expect(await got).toEqual([2]);
    expect(codeOf(await a.fetchSockets().catch((err: unknown) => err))).toBe(
      "SB_ERR_REDIS_UNAVAILABLE",
    );
    expect(codeOf(await a.serverSideEmitWithAck("x").catch((err: unknown) => err))).toBe(
      "SB_ERR_REDIS_UNAVAILABLE",
    );
    expect(codeOf(await adapters[0]!.serverCount().catch((err: unknown) => err))).toBe(
      "SB_ERR_REDIS_UNAVAILABLE",
    );
    const acks = await a
      .timeout(WAIT_MS)
      .emitWithAck("ask")
      .catch((err: unknown) => err);
    expect(codeOf(acks)).toBe("SB_ERR_REDIS_UNAVAILABLE");

    await redis.restart();
    for (const adapter of adapters) {
      await expect.poll(() => adapter.health, { timeout: WAIT_MS }).toBe("ready");
    }
    expect(healthEvents.at(-1)).toBe("ready");
    // resubscribed by the clients themselves: the other node hears broadcasts and requests
    for (const adapter of adapters) {
      await expect.poll(() => adapter.serverCount(), { timeout: WAIT_MS }).toBe(2);
    }
    await expect
      .poll(
        async () => {
          const answer = sockets[1]!.waitFor("after", 500).catch(() => undefined);
          a.emit("after", 3);
          return answer;
        },
        { timeout: WAIT_MS },
      )
      .toEqual([3]);
    expect((await a.fetchSockets()).map((s) => s.id).sort()).toEqual(
      sockets.map((s) => s.id).sort(),
    );
    expect(unhandled).toEqual([]);
  });

  it("traffic during a restart: no crash, no unhandled rejection, every map empty after", async () => {
    const { sockets, adapters } = await cluster();
    const [a] = nodes as [Server, Server];
    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        a.emit("tick");
        await a.fetchSockets().catch(() => undefined);
        await a
          .timeout(200)
          .emitWithAck("ask")
          .catch(() => undefined);
        await new Promise((r) => setImmediate(r));
      }
    })();
    await sockets[1]!.waitFor("tick", WAIT_MS);
    await redis.kill();
    await expect.poll(() => adapters[0]!.health, { timeout: WAIT_MS }).toBe("down");
    await redis.restart();
    await expect.poll(() => adapters[0]!.health, { timeout: WAIT_MS }).toBe("ready");
    stop = true;
    await traffic;
    for (const adapter of adapters) {
      await expect.poll(() => adapter.pendingRequests, { timeout: WAIT_MS }).toBe(0);
    }
    expect(unhandled).toEqual([]);
  });
});

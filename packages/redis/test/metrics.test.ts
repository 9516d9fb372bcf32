// Issue 19: the Redis adapters' health as @switchboard/server/metrics reports it, on a
// two-node cluster over a Redis of the test's own (killed and restarted): adapter_up follows
// the connection, a comeback counts as a resubscription, and requests that time out are
// counted.

import type { AdapterConstructor } from "@switchboard/server";
import { Server } from "@switchboard/server";
import { metrics } from "@switchboard/server/metrics";
import { type RedisProcess, startRedisServer } from "@switchboard/server/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAdapter, createShardedAdapter } from "../src/index.js";
import { type ClientPair, clientPair, uniqueKey } from "./helpers/redis.js";

const WAIT_MS = 8000;

const ADAPTERS: Record<string, (pub: object, sub: object, key: string) => AdapterConstructor> = {
  classic: (pub, sub, key) => createAdapter(pub, sub, { key, requestsTimeout: 300 }),
  sharded: (pub, sub, key) =>
    createShardedAdapter(pub, sub, { channelPrefix: key, requestsTimeout: 300 }),
};

/** The value of one series in a registry's text output (NaN when absent). */
function read(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

describe.each(Object.keys(ADAPTERS))("metrics of the %s Redis adapter", (adapterName) => {
  let redis: RedisProcess;
  let pairs: ClientPair[] = [];
  let nodes: Server[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterAll(async () => {
    await redis.stop();
  });

  afterEach(async () => {
    for (const io of nodes.splice(0)) await io.close();
    for (const pair of pairs.splice(0)) await pair.quit();
    if (!redis.running) await redis.restart();
  });

  it("reports adapter_up, resubscriptions after a Redis restart, and request timeouts", async () => {
    const key = uniqueKey("metrics");
    pairs = [await clientPair("ioredis", redis.port), await clientPair("ioredis", redis.port)];
    const adapter = ADAPTERS[adapterName]!;
    nodes = pairs.map((pair) => new Server({ adapter: adapter(pair.pub, pair.sub, key) }));
    const [a, b] = nodes as [Server, Server];
    for (const io of nodes) {
      await expect.poll(() => io.of("/").adapter.serverCount(), { timeout: WAIT_MS }).toBe(2);
    }
    const m = metrics(a);
    const scrape = () => m.register.metrics();
    const up = async () => read(await scrape(), 'switchboard_adapter_up{namespace="/"}');
    expect(await up()).toBe(1);

    // A request the other node never answers: counted once its requestsTimeout (300 ms) passes.
    b.on("silent", () => {});
    await expect(a.serverSideEmitWithAck("silent")).rejects.toMatchObject({
      code: "SB_ERR_ADAPTER_REQUEST_TIMEOUT",
    });
    expect(read(await scrape(), "switchboard_adapter_request_timeouts_total")).toBe(1);

    await redis.kill();
    await expect.poll(up, { timeout: WAIT_MS }).toBe(0);
    expect(read(await scrape(), "switchboard_adapter_resubscribes_total")).toBe(0);
    await redis.restart();
    await expect.poll(up, { timeout: WAIT_MS }).toBe(1);
    expect(read(await scrape(), "switchboard_adapter_resubscribes_total")).toBe(1);
    m.close();
  });
});

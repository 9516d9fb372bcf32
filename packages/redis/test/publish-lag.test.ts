// Issue 19: the publish lag of the Redis adapters (a probe published on a channel of the
// node's own, timed until it comes back through the subscriber), with both adapters and both
// client libraries, over a Redis of the test's own: the lag appears (as the adapter's
// `publishLag` and as switchboard_adapter_publish_lag_seconds), a Redis paused by DEBUG
// SLEEP shows in it, one probe serves every namespace, nobody else's channels carry it, and
// closing the server ends the probe (its subscription) — with the probe class's own hold
// count checked directly.

import type { AdapterConstructor } from "@switchboard/server";
import { Server } from "@switchboard/server";
import { metrics } from "@switchboard/server/metrics";
import { type RedisProcess, startRedisServer } from "@switchboard/server/testing";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAdapter, createShardedAdapter } from "../src/index.js";
import { LagProbe } from "../src/lag-probe.js";
import { wrapRedisClient } from "../src/redis-client.js";
import { CLIENT_KINDS, type ClientPair, clientPair, uniqueKey } from "./helpers/redis.js";

const WAIT_MS = 8000;
/** Probe interval of these tests, ms (also the most a lost probe counts). */
const INTERVAL = 400;

const ADAPTERS: Record<
  string,
  {
    make: (pub: object, sub: object, key: string) => AdapterConstructor;
    /** The PUBSUB subcommand listing the channels of this adapter's kind. */
    list: "CHANNELS" | "SHARDCHANNELS";
  }
> = {
  classic: {
    make: (pub, sub, key) => createAdapter(pub, sub, { key, lagProbeInterval: INTERVAL }),
    list: "CHANNELS",
  },
  sharded: {
    make: (pub, sub, key) =>
      createShardedAdapter(pub, sub, { channelPrefix: key, lagProbeInterval: INTERVAL }),
    list: "SHARDCHANNELS",
  },
};

const lagOf = (io: Server, nsp = "/") =>
  (io.of(nsp).adapter as unknown as { publishLag: number | undefined }).publishLag;

/** The value of one series in a registry's text output (NaN when absent). */
function read(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

let redis: RedisProcess;
let admin: Redis;
const pairs: ClientPair[] = [];
let servers: Server[] = [];
const extra: Redis[] = [];

beforeAll(async () => {
  redis = await startRedisServer({ args: ["--enable-debug-command", "yes"] });
  admin = new Redis({ port: redis.port, host: "127.0.0.1" });
});

afterAll(async () => {
  admin.disconnect();
  await redis.stop();
});

afterEach(async () => {
  for (const io of servers.splice(0)) await io.close();
  for (const pair of pairs.splice(0)) await pair.quit();
  for (const c of extra.splice(0)) c.disconnect();
});

describe.each(Object.keys(ADAPTERS))("publish lag, %s adapter", (adapterName) => {
  const { make, list } = ADAPTERS[adapterName]!;

  describe.each(CLIENT_KINDS)("%s", (kind) => {
    it("is measured, exported as a metric, and shows a paused Redis", async () => {
      const key = uniqueKey("lag");
      const pair = await clientPair(kind, redis.port);
      pairs.push(pair);
      const io = new Server({ adapter: make(pair.pub, pair.sub, key) });
      servers.push(io);
      await expect.poll(() => lagOf(io), { timeout: WAIT_MS }).toBeGreaterThan(0);
      const normal = lagOf(io)!;
      expect(normal).toBeLessThan(INTERVAL / 1000);

      const m = metrics(io);
      const series = 'switchboard_adapter_publish_lag_seconds{namespace="/"}';
      expect(read(await m.register.metrics(), series)).toBeGreaterThan(0);

      // Redis busy for 1 s: probes sent meanwhile come back late or are lost (counted as
      // the interval), and a read during the pause says so.
      let worst = 0;
      let sleeping = true;
      const sampler = (async () => {
        while (sleeping) {
          worst = Math.max(worst, lagOf(io) ?? 0, read(await m.register.metrics(), series));
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      await admin.call("DEBUG", "SLEEP", "1");
      sleeping = false;
      await sampler;
      expect(worst).toBeGreaterThanOrEqual((INTERVAL / 1000) * 0.5);
      expect(worst).toBeGreaterThan(normal);
      // Back to a lag below the interval once probes come back in time again.
      await expect.poll(() => lagOf(io), { timeout: WAIT_MS }).toBeLessThan(INTERVAL / 1000);
      m.close();
    });
  });

  it("runs one probe for all namespaces, on a channel nobody else hears, ended by close", async () => {
    const key = uniqueKey("lag");
    const pair = await clientPair("ioredis", redis.port);
    pairs.push(pair);
    // Everything socket.io's adapter (and other Switchboard nodes) may listen to for this key.
    const spy = new Redis({ port: redis.port, host: "127.0.0.1" });
    extra.push(spy);
    const heard: string[] = [];
    spy.on("pmessage", (_p, channel) => heard.push(channel));
    spy.on("smessage", (channel) => heard.push(channel));
    await spy.psubscribe(`${key}*`);
    if (list === "SHARDCHANNELS") {
      await spy.ssubscribe(`${key}#/#`, `${key}#/chat#`);
    }

    const io = new Server({ adapter: make(pair.pub, pair.sub, key) });
    servers.push(io);
    io.of("/chat");
    await expect.poll(() => lagOf(io, "/chat"), { timeout: WAIT_MS }).toBeGreaterThan(0);
    const channels = (await admin.call("PUBSUB", list, "switchboard:lag#*")) as string[];
    expect(channels).toHaveLength(1);
    expect(channels[0]!.startsWith(`switchboard:lag#${key}#`)).toBe(true);

    // Three probes seen on the probe's channel by a listener of its own...
    const probeSpy = new Redis({ port: redis.port, host: "127.0.0.1" });
    extra.push(probeSpy);
    let probes = 0;
    probeSpy.on("message", () => probes++);
    probeSpy.on("smessage", () => probes++);
    if (list === "SHARDCHANNELS") await probeSpy.ssubscribe(channels[0]!);
    else await probeSpy.subscribe(channels[0]!);
    await expect.poll(() => probes, { timeout: WAIT_MS }).toBeGreaterThanOrEqual(3);
    // ... and none on the channels of the key.
    expect(heard).toEqual([]);
    probeSpy.disconnect();

    await io.close();
    servers = servers.filter((s) => s !== io);
    await expect
      .poll(
        async () =>
          ((await admin.call("PUBSUB", list, `switchboard:lag#${key}#*`)) as string[]).length,
        {
          timeout: WAIT_MS,
        },
      )
      .toBe(0);
  });
});

describe("LagProbe", () => {
  it("starts with its first holder, stops with its last, and ignores foreign messages", async () => {
    const pair = await clientPair("ioredis", redis.port);
    pairs.push(pair);
    const probe = new LagProbe(wrapRedisClient(pair.pub), wrapRedisClient(pair.sub), {
      interval: INTERVAL,
      channelPrefix: `switchboard:lag#${uniqueKey("probe")}#`,
      sharded: false,
    });
    expect(probe.running).toBe(false);
    const releaseA = probe.acquire();
    const releaseB = probe.acquire();
    expect(probe.running).toBe(true);
    await expect.poll(() => probe.lag, { timeout: WAIT_MS }).toBeGreaterThan(0);
    // A stranger's messages on the channel (not the probe in flight) change nothing.
    const lost = probe.lost;
    for (const junk of ["", "x", "0:1", "-1", "999999999:0", "\u00ff"]) {
      await admin.publish(probe.channel, junk);
    }
    expect(probe.lost).toBe(lost);
    releaseA();
    releaseA(); // twice: still one holder
    expect(probe.running).toBe(true);
    releaseB();
    expect(probe.running).toBe(false);
    await expect
      .poll(async () => ((await admin.call("PUBSUB", "NUMSUB", probe.channel)) as unknown[])[1], {
        timeout: WAIT_MS,
      })
      .toBe(0);
  });

  it("counts a probe sent while Redis is down as lost, with the interval as the lag", async () => {
    const own = await startRedisServer();
    try {
      const pair = await clientPair("ioredis", own.port);
      pairs.push(pair);
      const probe = new LagProbe(wrapRedisClient(pair.pub), wrapRedisClient(pair.sub), {
        interval: INTERVAL,
        channelPrefix: `switchboard:lag#${uniqueKey("probe")}#`,
        sharded: false,
      });
      const release = probe.acquire();
      await expect.poll(() => probe.lag, { timeout: WAIT_MS }).toBeGreaterThan(0);
      await own.kill();
      await expect.poll(() => probe.lag, { timeout: WAIT_MS }).toBe(INTERVAL / 1000);
      expect(probe.lost).toBeGreaterThan(0);
      await own.restart();
      await expect.poll(() => probe.lag, { timeout: WAIT_MS }).toBeLessThan(INTERVAL / 1000);
      release();
      expect(probe.running).toBe(false);
    } finally {
      await own.stop();
    }
  });
});

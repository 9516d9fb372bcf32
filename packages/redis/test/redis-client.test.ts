// The one client interface over ioredis and node-redis (standalone; Redis 7 for sharded
// pub/sub): Buffer payloads both ways, pattern and sharded subscriptions, listeners counted
// per channel, NUMSUB / SHARDNUMSUB, the state, and refusal of other objects.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type MessageListener, type RedisClient, wrapRedisClient } from "../src/redis-client.js";
import { CLIENT_KINDS, type ClientPair, clientPair, uniqueKey } from "./helpers/redis.js";

const WAIT_MS = 3000;

/** Resolves with the first message a listener gets. */
function next(): { listener: MessageListener; message: Promise<[string, Buffer]> } {
  let resolve!: (value: [string, Buffer]) => void;
  const message = new Promise<[string, Buffer]>((r) => {
    resolve = r;
  });
  return { listener: (channel, payload) => resolve([channel, payload]), message };
}

function within<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error("nothing came")), WAIT_MS)),
  ]);
}

describe.each(CLIENT_KINDS)("RedisClient over %s", (kind) => {
  let pair: ClientPair;
  let pub: RedisClient;
  let sub: RedisClient;

  beforeEach(async () => {
    pair = await clientPair(kind);
    pub = wrapRedisClient(pair.pub);
    sub = wrapRedisClient(pair.sub);
  });

  afterEach(() => pair.quit());

  it("is one wrapper per client, of the right kind, ready", () => {
    expect(wrapRedisClient(pair.pub)).toBe(pub);
    expect(pub.kind).toBe(kind);
    expect([pub.state, sub.state]).toEqual(["ready", "ready"]);
  });

  it("publishes and receives bytes exactly (subscribe, psubscribe, ssubscribe)", async () => {
    const key = uniqueKey("client");
    const bytes = Buffer.from([0x93, 0x00, 0xff, 0xc1, 0x80, 0x7b]);
    const plain = next();
    await sub.subscribe(`${key}#a`, plain.listener);
    expect(await pub.numsub(`${key}#a`)).toBe(1);
    await pub.publish(`${key}#a`, bytes);
    expect(await within(plain.message)).toEqual([`${key}#a`, bytes]);

    const pattern = next();
    await sub.psubscribe(`${key}#p#*`, pattern.listener);
    await pub.publish(`${key}#p#room#`, "text");
    expect(await within(pattern.message)).toEqual([`${key}#p#room#`, Buffer.from("text")]);

    const sharded = next();
    await sub.ssubscribe(`${key}#s`, sharded.listener);
    expect(await pub.shardNumsub(`${key}#s`)).toBe(1);
    await pub.spublish(`${key}#s`, bytes);
    expect(await within(sharded.message)).toEqual([`${key}#s`, bytes]);

    await sub.unsubscribe(`${key}#a`, plain.listener);
    await sub.punsubscribe(`${key}#p#*`, pattern.listener);
    await sub.sunsubscribe(`${key}#s`, sharded.listener);
    expect(await pub.numsub(`${key}#a`)).toBe(0);
    expect(await pub.shardNumsub(`${key}#s`)).toBe(0);
  });

  it("subscribes a channel once for several listeners, until the last one leaves", async () => {
    const channel = uniqueKey("client");
    const one = next();
    const two = next();
    await sub.subscribe(channel, one.listener);
    await sub.subscribe(channel, two.listener);
    expect(await pub.numsub(channel)).toBe(1);
    await pub.publish(channel, "x");
    expect((await within(one.message))[1]).toEqual(Buffer.from("x"));
    expect((await within(two.message))[1]).toEqual(Buffer.from("x"));
    await sub.unsubscribe(channel, one.listener);
    expect(await pub.numsub(channel)).toBe(1);
    await sub.unsubscribe(channel, two.listener);
    expect(await pub.numsub(channel)).toBe(0);
  });
});

it("refuses an object that is no Redis client", () => {
  expect(() => wrapRedisClient({})).toThrow(TypeError);
  expect(() => wrapRedisClient({ publish() {}, status: 1 })).toThrow(TypeError);
});

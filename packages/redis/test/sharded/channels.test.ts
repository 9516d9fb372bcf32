// Which sharded channels a node subscribes to and publishes on, per subscription mode, seen
// from Redis itself (PUBSUB SHARDCHANNELS) and from a spy subscribed to the channels: the
// rules of @socket.io/redis-adapter's sharded adapter (observed with `redis-cli monitor`),
// which socket.io nodes of the same cluster rely on.
import { Server } from "@switchboard/server";
import { TestClient, type TestSocket } from "@switchboard/server/testing";
import { createClient } from "redis";
import { afterEach, describe, expect, it } from "vitest";
import {
  createShardedAdapter,
  type ShardedRedisAdapter,
  type SubscriptionMode,
} from "../../src/index.js";
import { type ClientPair, clientPair, redisPort, uniqueKey } from "../helpers/redis.js";

const WAIT_MS = 2000;

interface Setup {
  prefix: string;
  nodes: Server[];
  /** A client of node 1 in room "news". */
  reader: TestSocket;
  /** The sharded channels of this test that Redis knows, sorted. */
  channels(): Promise<string[]>;
  /** SPUBLISHes raw bytes, as anyone who can reach the Redis can. */
  inject(channel: string, payload: string | Buffer): Promise<unknown>;
  /** Channels a spy subscribed to, and the wire types of the messages each one carried. */
  spy(channels: string[]): Promise<Map<string, number[]>>;
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function setup(subscriptionMode: SubscriptionMode): Promise<Setup> {
  const prefix = uniqueKey("sharded-channels");
  const pairs: ClientPair[] = [await clientPair("node-redis"), await clientPair("node-redis")];
  cleanup.push(() => Promise.all(pairs.map((p) => p.quit())).then(() => undefined));
  const nodes = pairs.map(
    ({ pub, sub }) =>
      new Server({
        adapter: createShardedAdapter(pub, sub, { channelPrefix: prefix, subscriptionMode }),
      }),
  );
  cleanup.push(() => Promise.all(nodes.map((io) => io.close())).then(() => undefined));
  nodes[1]!.on("connection", (socket) => socket.join("news"));
  for (const io of nodes) {
    await expect.poll(() => io.of("/").adapter.serverCount(), { timeout: WAIT_MS }).toBe(2);
  }
  const client = new TestClient(nodes[1]!);
  cleanup.push(() => client.close());
  const reader = await client.connect("/", { timeout: WAIT_MS });
  const admin = createClient({ url: `redis://127.0.0.1:${await redisPort()}` });
  await admin.connect();
  cleanup.push(() => admin.close());
  return {
    prefix,
    nodes,
    reader,
    channels: async () =>
      ((await admin.sendCommand(["PUBSUB", "SHARDCHANNELS", `${prefix}*`])) as string[]).sort(),
    inject: (channel, payload) => admin.sPublish(channel, payload),
    spy: async (channels) => {
      const spy = admin.duplicate();
      await spy.connect();
      cleanup.push(() => spy.close());
      const seen = new Map<string, number[]>(channels.map((c) => [c, []]));
      for (const channel of channels) {
        await spy.sSubscribe(channel, (message) => {
          seen.get(channel)?.push((JSON.parse(message) as { type: number }).type);
        });
      }
      return seen;
    },
  };
}

describe("sharded adapter channels", () => {
  it.each([
    ["static", false, false],
    ["dynamic", true, false],
    ["dynamic-private", true, true],
  ] as const)(
    "%s: a channel per public room %s, per socket %s; none left after close",
    async (mode, rooms, own) => {
      const { prefix, nodes, reader, channels } = await setup(mode);
      const uids = nodes.map((io) => (io.of("/").adapter as ShardedRedisAdapter).uid);
      const expected = [
        `${prefix}#/#`,
        ...uids.map((uid) => `${prefix}#/#${uid}#`),
        ...(rooms ? [`${prefix}#/#news#`] : []),
        ...(own ? [`${prefix}#/#${reader.id}#`] : []),
      ].sort();
      await expect.poll(channels, { timeout: WAIT_MS }).toEqual(expected);
      reader.disconnect();
      await expect
        .poll(channels, { timeout: WAIT_MS })
        .toEqual([`${prefix}#/#`, ...uids.map((uid) => `${prefix}#/#${uid}#`)].sort());
      await Promise.all(nodes.map((io) => io.close()));
      await expect.poll(channels, { timeout: WAIT_MS }).toEqual([]);
    },
  );

  it.each([
    ["static", "main", "main"],
    ["dynamic", "room", "main"],
    ["dynamic-private", "room", "own"],
  ] as const)(
    "%s: one room goes to the %s channel, a socket id to the %s channel; acks and several rooms to the main one",
    async (mode, room, sid) => {
      const { prefix, nodes, reader, spy } = await setup(mode);
      // The spy stays off the main channel: SHARDNUMSUB of it is the node count.
      const channel = { room: `${prefix}#/#news#`, own: `${prefix}#/#${reader.id}#` };
      const seen = await spy(Object.values(channel));
      const io = nodes[0]!;
      io.to("news").emit("one-room");
      await reader.waitFor("one-room");
      io.to(reader.id!).emit("one-socket");
      await reader.waitFor("one-socket");
      io.to(["news", "other"]).emit("two-rooms");
      await reader.waitFor("two-rooms");
      reader.on("ask", (cb: (v: string) => void) => cb("yes"));
      expect(await io.to("news").timeout(WAIT_MS).emitWithAck("ask")).toEqual(["yes"]);
      // BROADCAST is type 3 on the wire; what is not here went through the main channel.
      const expected = { room: [] as number[], own: [] as number[] };
      if (room !== "main") expected[room].push(3);
      if (sid !== "main") expected[sid].push(3);
      await expect
        .poll(() => ({ room: seen.get(channel.room), own: seen.get(channel.own) }), {
          timeout: WAIT_MS,
        })
        .toEqual(expected);
    },
  );

  it("drops hostile messages with an error event, and traffic goes on", async () => {
    const { prefix, nodes, reader, inject } = await setup("dynamic");
    const adapter = nodes[1]!.of("/").adapter as ShardedRedisAdapter;
    const codes: string[] = [];
    adapter.on("error", (err: { code: string }) => codes.push(err.code));
    const ownChannel = `${prefix}#/#${adapter.uid}#`;
    const hostile: Array<[string, string | Buffer]> = [
      [`${prefix}#/#`, "{not json"],
      [`${prefix}#/#`, Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff])],
      [
        `${prefix}#/#news#`,
        '{"type":3,"data":{"packet":{"type":0},"opts":{}},"uid":"x","nsp":"/"}',
      ],
      [
        ownChannel,
        '{"type":8,"data":{"requestId":"r","sockets":{"length":1e9}},"uid":"x","nsp":"/"}',
      ],
      [ownChannel, Buffer.from([0x81, 0xa9, ...Buffer.from("__proto__"), 0x01])],
    ];
    for (const [channel, payload] of hostile) await inject(channel, payload);
    await expect.poll(() => codes.length, { timeout: WAIT_MS }).toBe(hostile.length);
    expect(codes).toEqual([
      "SB_ERR_REDIS_INVALID_MESSAGE",
      "SB_ERR_REDIS_INVALID_MSGPACK",
      "SB_ERR_REDIS_INVALID_MESSAGE",
      "SB_ERR_REDIS_INVALID_MESSAGE",
      "SB_ERR_REDIS_FORBIDDEN_KEY",
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    nodes[0]!.to("news").emit("still-here");
    await reader.waitFor("still-here");
    expect((await nodes[0]!.fetchSockets()).map((s) => s.id)).toEqual([reader.id]);
  });
});

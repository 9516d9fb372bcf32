// Hostile and malformed messages published by anyone with access to Redis, on every channel
// of a two-node cluster: each one is dropped (debug-logged), nothing throws out of the
// adapter, nothing is polluted, and the legitimate traffic around them goes on.
import { Server } from "@switchboard/server";
import { TestClient, type TestSocket } from "@switchboard/server/testing";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAdapter, type RedisAdapter } from "../src/index.js";
import { encode } from "../src/msgpack/index.js";
import { type ClientPair, clientPair, redisPort, uniqueKey } from "./helpers/redis.js";

const WAIT_MS = 3000;
const hex = (h: string) => Buffer.from(h, "hex");

describe("hostile channel messages", () => {
  let key: string;
  let pairs: ClientPair[] = [];
  let nodes: Server[] = [];
  let adapters: RedisAdapter[] = [];
  let sockets: TestSocket[] = [];
  const clients: TestClient[] = [];
  let attacker: Redis;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeEach(async () => {
    process.on("unhandledRejection", onUnhandled);
    process.on("uncaughtException", onUnhandled);
    key = uniqueKey("hostile");
    pairs = [await clientPair("ioredis"), await clientPair("node-redis")];
    nodes = pairs.map(
      (pair) =>
        new Server({
          adapter: createAdapter(pair.pub, pair.sub, {
            key,
            maxMessageBytes: 64 * 1024,
            requestsTimeout: 2000,
          }),
        }),
    );
    adapters = nodes.map((io) => io.of("/").adapter as RedisAdapter);
    for (const adapter of adapters) {
      await expect.poll(() => adapter.serverCount(), { timeout: WAIT_MS }).toBe(2);
    }
    for (const io of nodes) {
      io.on("connection", (socket) => socket.join("room"));
      io.on("ask", (cb: (v: string) => void) => cb("answer"));
      const client = new TestClient(io);
      clients.push(client);
      sockets.push(await client.connect("/", { timeout: WAIT_MS }));
    }
    attacker = new Redis({ port: await redisPort(), host: "127.0.0.1" });
  });

  afterEach(async () => {
    process.off("unhandledRejection", onUnhandled);
    process.off("uncaughtException", onUnhandled);
    attacker.disconnect();
    for (const client of clients.splice(0)) client.close();
    for (const io of nodes.splice(0)) await io.close();
    for (const pair of pairs.splice(0)) await pair.quit();
    sockets = [];
  });

  /** Every hostile payload, by channel. */
  function payloads(): Array<[string, Buffer | string]> {
    const bc = `${key}#/#`;
    const room = `${key}#/#room#`;
    const req = `${key}-request#/#`;
    const res = `${key}-response#/#`;
    const uid = "attacker";
    return [
      [bc, hex("c1")],
      [bc, hex("ddffffffff")],
      [bc, hex(`${"91".repeat(200)}c0`)],
      [bc, hex("93a161dfffffffff")],
      [bc, encode([1, 2, 3])],
      [bc, encode([uid, { type: 0, nsp: "/" }, { rooms: [], except: [] }])],
      [bc, encode([uid, { type: 2, data: "x", nsp: "/" }, { rooms: [], except: [] }])],
      [bc, encode([uid, { type: 2, data: ["ev"], nsp: "/" }, { rooms: "room", except: [] }])],
      [
        bc,
        encode([
          uid,
          { type: 2, data: ["ev"], nsp: "/" },
          { rooms: [], except: [], flags: { timeout: "x" } },
        ]),
      ],
      [bc, encode([uid, { type: 2, data: ["ev"], nsp: "/other" }, { rooms: [], except: [] }])],
      [bc, hex("93a161 81a95f5f70726f746f5f5f81a8706f6c6c7574656401 80".replace(/ /g, ""))],
      [bc, Buffer.alloc(100 * 1024, 0x90)],
      [room, hex("dc")],
      [bc, '{"not":"msgpack"'],
      [req, "{bad json"],
      [req, '{"uid":"x","type":99,"requestId":"r"}'],
      [req, '{"uid":"x","type":5}'],
      [req, '{"uid":"x","type":2,"opts":{"rooms":[]},"rooms":"room"}'],
      [req, '{"uid":"x","type":4,"opts":"all","close":true}'],
      [req, '{"uid":"x","type":6,"data":"x"}'],
      [req, '{"uid":"x","type":"5","requestId":"r","opts":{"rooms":[],"except":[]}}'],
      [req, '{"uid":"x","__proto__":{"polluted":1},"type":1,"requestId":"r"}'],
      [req, encode({ uid, requestId: "r", type: 7, packet: { type: 2, data: 1 }, opts: {} })],
      [
        req,
        encode({
          uid,
          requestId: "r",
          type: 7,
          packet: { type: 2, data: ["ev"] },
          opts: { rooms: [1] },
        }),
      ],
      [req, hex("85a3756964")],
      [req, "[]"],
      [res, '{"requestId":"nope","sockets":[]}'],
      [res, '{"type":8,"requestId":"r","clientCount":-1}'],
      [res, '{"type":8}'],
      [res, encode({ type: 9 })],
      [res, hex("00")],
      [`${res}${adapters[0]!.uid}#`, '{"requestId":42}'],
    ];
  }

  it("drops every malformed message; other traffic goes on", async () => {
    const before = sockets.map((s) => s.received.length);
    for (const [channel, payload] of payloads()) await attacker.publish(channel, payload);
    // legitimate traffic after the flood: broadcast, acks, requests, across nodes
    const got = sockets[1]!.waitFor("legit", WAIT_MS);
    nodes[0]!.emit("legit", 1);
    expect(await got).toEqual([1]);
    expect(sockets.map((s, i) => s.received.length - before[i]!)).toEqual([1, 1]);
    expect((await nodes[0]!.fetchSockets()).length).toBe(2);
    expect(await nodes[1]!.serverSideEmitWithAck("ask")).toEqual(["answer"]);
    expect(await nodes[1]!.of("/").adapter.serverCount()).toBe(2);
    expect(adapters.map((a) => a.pendingRequests)).toEqual([0, 0]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(unhandled).toEqual([]);
    expect(adapters.map((a) => a.health)).toEqual(["ready", "ready"]);
  });

  it("a message larger than maxMessageBytes is dropped unread", async () => {
    const big = encode([
      "attacker",
      { type: 2, data: ["big", "x".repeat(70 * 1024)], nsp: "/" },
      { rooms: [], except: [] },
    ]);
    await attacker.publish(`${key}#/#`, big);
    const got = sockets[0]!.waitFor("small", WAIT_MS);
    nodes[1]!.emit("small");
    await got;
    expect(sockets[0]!.received.map(([ev]) => ev)).toEqual(["small"]);
  });

  it("a well-formed broadcast from outside the cluster is delivered (the format is open)", async () => {
    const got = sockets[0]!.waitFor("outside", WAIT_MS);
    await attacker.publish(
      `${key}#/#`,
      encode([
        "emitter",
        { type: 2, data: ["outside", { a: 1 }], nsp: "/" },
        { rooms: [], except: [] },
      ]),
    );
    expect(await got).toEqual([{ a: 1 }]);
  });
});

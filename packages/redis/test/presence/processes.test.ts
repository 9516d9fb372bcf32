// Presence across server processes on one Redis (one node with ioredis, one with
// node-redis, plus a node in the test process): every node lists the same identities; a
// process killed with SIGKILL has its identities removed from the others' lists within the
// node timeout (2 s here, heartbeats every 300 ms); after a Redis restart (a redis-server of
// the test's own) the lists converge again. The node processes run the built package.
import { io as sbio } from "@switchboard/client";
import { Server } from "@switchboard/server";
import {
  type NodeProcess,
  type RedisProcess,
  spawnNode,
  startRedisServer,
} from "@switchboard/server/testing";
import { io as ioc } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { createAdapter } from "../../src/index.js";
import { type Balancer, balancer } from "../helpers/balancer.js";
import { type ClientPair, clientPair, redisPort, uniqueKey } from "../helpers/redis.js";

const WAIT = { timeout: 8000 };
const NODE = new URL("../fixtures/presence-node.mjs", import.meta.url);

interface AnyClient {
  once(ev: string, fn: (...args: never[]) => void): unknown;
  disconnect(): unknown;
  readonly io: { engine: { close(): void } };
}

interface Hello {
  node: string;
  recovered: boolean;
}

describe("presence across processes", () => {
  const children: NodeProcess[] = [];
  const clients: AnyClient[] = [];
  let local: Server | undefined;
  let pair: ClientPair | undefined;
  let redis: RedisProcess | undefined;
  let lb: Balancer | undefined;

  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect();
    for (const child of children.splice(0)) await child.kill();
    await local?.close();
    await pair?.quit();
    await redis?.stop();
    redis = undefined;
    lb?.close();
    lb = undefined;
  });

  async function startNode(args: string[]): Promise<{ child: NodeProcess; url: string }> {
    const child = await spawnNode<{ url: string }>(NODE, { args, readyTimeout: 8000 });
    children.push(child);
    return { child, url: child.info.url };
  }

  function join(
    connect: typeof ioc | typeof sbio,
    url: string,
    user: string,
    reconnect = false,
  ): Promise<AnyClient> {
    const c = connect(url, {
      transports: ["websocket"],
      forceNew: true,
      auth: { user },
      reconnection: reconnect,
      reconnectionDelay: 50,
      reconnectionDelayMax: 100,
    }) as unknown as AnyClient;
    clients.push(c);
    return hello(c).then(() => c);
  }

  function hello(c: AnyClient): Promise<Hello> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no hello")), 8000);
      c.once("hello", ((h: Hello) => {
        clearTimeout(timer);
        resolve(h);
      }) as never);
    });
  }

  async function ids(): Promise<string[]> {
    const list = await local!.presence("lobby").list();
    return list.map((e) => `${e.id}:${(e.meta as { node: string }).node}:${e.count}`).sort();
  }

  it("consistent lists; a SIGKILLed process's identities go; Redis restarted: converges", async () => {
    redis = await startRedisServer();
    const port = String(redis.port);
    const key = uniqueKey("presproc");
    const [one, two] = await Promise.all([
      startNode([port, key, "ioredis", "one"]),
      startNode([port, key, "node-redis", "two"]),
    ]);
    pair = await clientPair("ioredis", redis.port);
    local = new Server({
      adapter: createAdapter(pair.pub, pair.sub, {
        key,
        presence: { heartbeatInterval: 300, nodeTimeout: 2000, syncTimeout: 1000 },
      }),
    });
    await join(ioc, one.url, "ada");
    await join(sbio, one.url, "bob");
    await join(sbio, two.url, "cyd");
    await join(ioc, two.url, "dan");
    const all = ["ada:one:1", "bob:one:1", "cyd:two:1", "dan:two:1"];
    await expect.poll(() => ids(), WAIT).toEqual(all);
    // the processes' lists are the same
    for (const url of [one.url, two.url]) {
      const asker = ioc(url, { transports: ["websocket"], forceNew: true });
      clients.push(asker);
      const list = (await asker.timeout(5000).emitWithAck("list")) as Array<{ id: string }>;
      expect(list.map((e) => e.id).sort()).toEqual(["ada", "bob", "cyd", "dan"]);
    }

    // a process dies without a word: its identities go after the node timeout
    const leaves: string[] = [];
    local.presence("lobby").on("leave", (e) => leaves.push(e.id));
    await two.child.kill("SIGKILL");
    await expect.poll(() => ids(), WAIT).toEqual(["ada:one:1", "bob:one:1"]);
    expect(leaves.sort()).toEqual(["cyd", "dan"]);

    // Redis restarts; meanwhile a client of process one leaves (its delta is lost)
    await redis.kill();
    clients[1]!.disconnect(); // bob, on one
    await redis.restart();
    await expect.poll(() => ids(), WAIT).toEqual(["ada:one:1"]);
    await join(sbio, one.url, "eve");
    await expect.poll(() => ids(), WAIT).toEqual(["ada:one:1", "eve:one:1"]);
  });

  it.each([
    ["socket.io-client", ioc],
    ["@switchboard/client", sbio],
  ] as const)(
    "a session recovered in another process fires no leave/join (%s)",
    async (_name, connect) => {
      const port = String(await redisPort());
      const key = uniqueKey("presrec");
      const [one, two] = await Promise.all([
        startNode([port, key, "ioredis", "one", "recovery"]),
        startNode([port, key, "node-redis", "two", "recovery"]),
      ]);
      pair = await clientPair("ioredis");
      local = new Server({
        adapter: createAdapter(pair.pub, pair.sub, {
          key,
          presence: { heartbeatInterval: 300, nodeTimeout: 2000, syncTimeout: 1000 },
        }),
      });
      const events: string[] = [];
      const lobby = local.presence("lobby");
      for (const type of ["join", "leave", "update"] as const) {
        lobby.on(type, (e) => events.push(`${type} ${e.id} ${(e.meta as { node: string }).node}`));
      }
      lb = await balancer(one.url);
      const ada = await join(connect, lb.url, "ada", true);
      await expect.poll(() => ids(), WAIT).toEqual(["ada:one:1"]);
      // the connection drops; the balancer sends the reconnection to process two
      lb.retarget(two.url);
      const back = hello(ada);
      ada.io.engine.close();
      expect(await back).toEqual({ node: "two", recovered: true });
      // process one dropped its pending record once two adopted it; nothing flapped
      await expect.poll(() => local!.presence("lobby").get("ada")?.count, WAIT).toBe(1);
      expect(events).toEqual(["join ada one"]);
      // and a real leave after that is seen
      ada.disconnect();
      await expect.poll(() => events, WAIT).toEqual(["join ada one", "leave ada one"]);
    },
  );
});

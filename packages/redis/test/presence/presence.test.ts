// Cluster presence with in-process nodes on a real Redis: every node lists the same
// identities, events and subscribed clients see changes made on other nodes, a node that
// starts late gets the others' records, a node that closes takes its records with it, a
// Redis restart converges, and a session recovered on another node fires no leave/join.
import { createServer } from "node:http";
import { io as sbio } from "@switchboard/client";
import {
  type PresenceEntry,
  type PresenceMessage,
  Server,
  type ServerOptions,
} from "@switchboard/server";
import { type RedisProcess, startRedisServer } from "@switchboard/server/testing";
import type { Redis } from "ioredis";
import { io as ioc } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { createAdapter, type RedisPresenceOptions } from "../../src/index.js";
import { type Balancer, balancer } from "../helpers/balancer.js";
import {
  CLIENT_KINDS,
  type ClientKind,
  type ClientPair,
  clientPair,
  uniqueKey,
} from "../helpers/redis.js";
import { listen } from "../helpers/sockets.js";

const WAIT = { timeout: 8000 };

interface Node {
  io: Server;
  url: string;
  pair: ClientPair;
  events: string[];
}

/** The part of both clients' sockets these tests use. */
interface AnyClient {
  id: string | undefined;
  connected: boolean;
  recovered: boolean;
  io: { engine: { close(): void } };
  on(ev: string, fn: (...args: never[]) => void): unknown;
  once(ev: string, fn: (...args: never[]) => void): unknown;
  disconnect(): unknown;
}

const CLIENTS = [
  { name: "@switchboard/client", connect: sbio },
  { name: "socket.io-client", connect: ioc },
] as const;

const balancers: Balancer[] = [];
const nodes: Node[] = [];
const clients: AnyClient[] = [];
const redises: RedisProcess[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const n of nodes.splice(0)) {
    await n.io.close();
    await n.pair.quit();
  }
  for (const r of redises.splice(0)) await r.stop();
  for (const lb of balancers.splice(0)) lb.close();
});

async function startNode(
  kind: ClientKind,
  key: string,
  opts: Partial<ServerOptions> = {},
  presence: Partial<RedisPresenceOptions> = {},
  port?: number,
): Promise<Node> {
  const pair = await clientPair(kind, port);
  const http = createServer();
  const io = new Server(http, {
    ...opts,
    adapter: createAdapter(pair.pub, pair.sub, {
      key,
      presence: { heartbeatInterval: 200, nodeTimeout: 1500, syncTimeout: 1000, ...presence },
      recovery: { logKey: `${key}:{log}`, sessionPrefix: `${key}:session:` },
    }),
  });
  const events: string[] = [];
  const lobby = io.presence("lobby");
  for (const type of ["join", "leave", "update"] as const) {
    lobby.on(type, (e: PresenceEntry) => events.push(`${type} ${e.id} ${e.count}`));
  }
  io.on("connection", (socket) => {
    const auth = socket.handshake.auth as { user?: string; subscribe?: boolean };
    if (auth.user !== undefined && !socket.recovered) {
      socket.presence.track("lobby", { id: auth.user, meta: { via: socket.id } });
    }
    if (auth.subscribe === true) lobby.subscribe(socket);
    socket.emit("hello"); // with recovery: an offset to recover from
  });
  const url = await listen(http);
  const node = { io, url, pair, events };
  nodes.push(node);
  // Cluster recovery (when on) starts with the adapter: wait for it, as a deploy would.
  await (io.of("/").adapter.init as () => Promise<void>).call(io.of("/").adapter);
  return node;
}

function join(
  connect: (typeof CLIENTS)[number]["connect"],
  url: string,
  auth: Record<string, unknown>,
  reconnect = false,
): Promise<AnyClient> {
  const c = connect(url, {
    transports: ["websocket"],
    forceNew: true,
    auth,
    reconnection: reconnect,
    reconnectionDelay: 50,
    reconnectionDelayMax: 100,
  }) as unknown as AnyClient;
  clients.push(c);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no hello")), 5000);
    c.once("hello", () => {
      clearTimeout(timer);
      resolve(c);
    });
  });
}

/** `id:count` of a node's list, sorted. */
async function ids(node: Node): Promise<string[]> {
  const list = await node.io.presence("lobby").list();
  return list.map((e) => `${e.id}:${e.count}`).sort();
}

describe("cluster presence: options and hostile input", () => {
  it("rejects invalid presence options with a TypeError", () => {
    const pub = {} as object;
    for (const presence of [
      { nodeTimeout: 1000, heartbeatInterval: 800 },
      { syncTimeout: 0 },
      { channel: "" },
      { maxMessageBytes: Number.NaN },
    ]) {
      expect(() => createAdapter(pub, pub, { presence })).toThrow(TypeError);
    }
  });

  it("drops malformed and oversized messages on the presence channel; the nodes carry on", async () => {
    const key = uniqueKey("pres");
    const a = await startNode("ioredis", key, {}, { maxMessageBytes: 10_000 });
    const b = await startNode("ioredis", key, {}, { maxMessageBytes: 10_000 });
    await join(ioc, a.url, { user: "ada" });
    await expect.poll(() => ids(b), WAIT).toEqual(["ada:1"]);
    const attacker = await clientPair("ioredis");
    const channel = `switchboard:presence#${key}`;
    const evil = [
      "not json",
      "[]",
      JSON.stringify({ t: "d", n: "x", s: 1, c: [["/", 1, "lobby", "sid", "", null, 1]] }),
      JSON.stringify({ t: "d", n: "x", s: 1, c: [["/", 1, "lobby", "sid", "eve", null, "x"]] }),
      JSON.stringify({ t: "d", n: "x", s: -1, c: [] }),
      JSON.stringify({ t: "s", n: "x", s: 0, i: 0, l: 1, r: [["/", 5, "sid", "eve", null, 1]] }),
      JSON.stringify({ t: "zz", n: "x" }),
      JSON.stringify({
        t: "d",
        n: "y",
        s: 1,
        c: [["/", 1, "lobby", "s", "eve", "x".repeat(20_000), 1]],
      }),
    ];
    for (const message of evil) await (attacker.pub as Redis).publish(channel, message);
    await attacker.quit();
    await join(sbio, a.url, { user: "bob" });
    for (const node of [a, b]) await expect.poll(() => ids(node), WAIT).toEqual(["ada:1", "bob:1"]);
  });
});

describe.each(CLIENT_KINDS)("cluster presence (%s)", (kind) => {
  it.each(CLIENTS)(
    "every node lists the same identities; subscribers see remote changes ($name)",
    async (client) => {
      const key = uniqueKey("pres");
      const a = await startNode(kind, key);
      const b = await startNode(kind, key);
      const watcher = await join(client.connect, b.url, { subscribe: true });
      const messages: PresenceMessage[] = [];
      watcher.on("presence", ((m: PresenceMessage) => messages.push(m)) as never);
      await expect.poll(() => messages.length, WAIT).toBe(1);
      await join(client.connect, a.url, { user: "ada" });
      await join(client.connect, b.url, { user: "ada" });
      const bob = await join(client.connect, a.url, { user: "bob" });
      for (const node of [a, b]) {
        await expect.poll(() => ids(node), WAIT).toEqual(["ada:2", "bob:1"]);
      }
      bob.disconnect();
      for (const node of [a, b]) await expect.poll(() => ids(node), WAIT).toEqual(["ada:2"]);
      // each node fired the same events, once each
      for (const node of [a, b]) {
        await expect.poll(() => node.events.length, WAIT).toBe(4);
        expect([...node.events].sort()).toEqual(
          ["join ada 1", "update ada 2", "join bob 1", "leave bob 0"].sort(),
        );
      }
      // the watcher on b saw a's changes
      await expect.poll(() => messages.map((m) => m.type), WAIT).toContain("leave");
      expect(messages.some((m) => m.type === "join" && m.entry.id === "bob")).toBe(true);
    },
  );

  it("a node that starts late gets the others' records; one that closes takes its own away", async () => {
    const key = uniqueKey("pres");
    const a = await startNode(kind, key);
    await join(ioc, a.url, { user: "ada" });
    await join(sbio, a.url, { user: "bob" });
    const late = await startNode(kind, key);
    // list() waits for the first sync
    expect(await ids(late)).toEqual(["ada:1", "bob:1"]);
    const b = await startNode(kind, key);
    await join(sbio, b.url, { user: "cyd" });
    await expect.poll(() => ids(late), WAIT).toEqual(["ada:1", "bob:1", "cyd:1"]);
    // a closes (no recovery: leaves at once, then says goodbye)
    nodes.splice(nodes.indexOf(a), 1);
    await a.io.close();
    await a.pair.quit();
    await expect.poll(() => ids(late), WAIT).toEqual(["cyd:1"]);
    expect(await ids(b)).toEqual(["cyd:1"]);
    expect(b.io.of("/").presenceStats.nodes).toBe(0);
  });

  it("leaves no map entry behind on any node after many connects and disconnects", async () => {
    const key = uniqueKey("pres");
    const a = await startNode(kind, key);
    const b = await startNode(kind, key);
    for (let round = 0; round < 3; round++) {
      const users = [];
      for (let i = 0; i < 8; i++) {
        const node = i % 2 === 0 ? a : b;
        users.push(
          join(i % 3 === 0 ? ioc : sbio, node.url, { user: `u${i % 3}`, subscribe: i % 4 === 0 }),
        );
      }
      const joined = await Promise.all(users);
      for (const node of [a, b]) {
        await expect.poll(() => ids(node), WAIT).toEqual(["u0:3", "u1:3", "u2:2"]);
      }
      for (const c of joined) c.disconnect();
      for (const node of [a, b]) await expect.poll(() => ids(node), WAIT).toEqual([]);
    }
    for (const node of [a, b]) {
      expect(node.io.of("/").presenceStats).toEqual({
        rooms: 0,
        identities: 0,
        sockets: 0,
        pending: 0,
        nodes: 0,
        subscribers: 0,
        views: 1, // the test's listeners
      });
    }
  });

  it("converges after a Redis restart (changes made while it was down included)", async () => {
    const redis = await startRedisServer();
    redises.push(redis);
    const key = uniqueKey("pres");
    const a = await startNode(kind, key, {}, {}, redis.port);
    const b = await startNode(kind, key, {}, {}, redis.port);
    const gone = await join(sbio, a.url, { user: "gone" });
    await join(ioc, a.url, { user: "ada" });
    await join(sbio, b.url, { user: "bob" });
    for (const node of [a, b]) {
      await expect.poll(() => ids(node), WAIT).toEqual(["ada:1", "bob:1", "gone:1"]);
    }
    await redis.kill();
    gone.disconnect(); // a's delta for this is lost
    await expect.poll(() => ids(a), WAIT).toEqual(["ada:1", "bob:1"]);
    await redis.restart();
    for (const node of [a, b]) await expect.poll(() => ids(node), WAIT).toEqual(["ada:1", "bob:1"]);
    // and changes flow again
    await join(ioc, b.url, { user: "cyd" });
    await expect.poll(() => ids(a), WAIT).toEqual(["ada:1", "bob:1", "cyd:1"]);
  });

  it.each(CLIENTS)(
    "a session recovered on another node fires no leave/join anywhere ($name)",
    async (client) => {
      const key = uniqueKey("pres");
      const recovery = { connectionStateRecovery: { maxDisconnectionDuration: 9000 } };
      const a = await startNode(kind, key, recovery);
      const b = await startNode(kind, key, recovery);
      const c = await startNode(kind, key, recovery);
      const lb = await balancer(a.url);
      balancers.push(lb);
      const ada = await join(client.connect, lb.url, { user: "ada" }, true);
      const firstId = ada.id;
      for (const node of [a, b, c]) await expect.poll(() => ids(node), WAIT).toEqual(["ada:1"]);
      // the balancer sends the reconnection to b
      lb.retarget(b.url);
      const back = new Promise<void>((resolve) => ada.once("hello", () => resolve()));
      ada.io.engine.close();
      await back;
      expect(ada.recovered).toBe(true);
      expect(ada.id).toBe(firstId);
      // b adopted the records (the app did not track again), a dropped its pending ones
      await expect
        .poll(() => b.io.of("/").sockets.get(firstId!)?.presence.rooms, WAIT)
        .toEqual(["lobby"]);
      await expect.poll(() => a.io.of("/").presenceStats.pending, WAIT).toBe(0);
      for (const node of [a, b, c]) await expect.poll(() => ids(node), WAIT).toEqual(["ada:1"]);
      for (const node of [a, b, c]) expect(node.events).toEqual(["join ada 1"]);
      // then a real leave still works
      ada.disconnect();
      for (const node of [a, b, c]) {
        await expect.poll(() => node.events, WAIT).toEqual(["join ada 1", "leave ada 0"]);
      }
    },
  );
});

// Issue 19 part 2: the dashboard of a two-node cluster on the Redis adapter (the real Redis of
// the tests): both nodes answer, the sockets of both are listed, the page's actions reach a
// socket of the other node, and a node that goes away is shown as not answering.

import { createServer } from "node:http";
import { io as sbio } from "@switchboard/client";
import { Server } from "@switchboard/server";
import {
  type Dashboard,
  dashboard,
  type NodeInfo,
  type RoomsPage,
  type SocketsPage,
} from "@switchboard/server/dashboard";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { createAdapter } from "../src/index.js";
import { type ClientPair, clientPair, uniqueKey } from "./helpers/redis.js";
import { listen, received, untilNodes, WAIT_MS } from "./helpers/sockets.js";

const auth = { username: "ops", password: "cluster-test" };
const BASIC = `Basic ${Buffer.from("ops:cluster-test").toString("base64")}`;

interface Overview {
  node: string;
  nodes: NodeInfo[];
  missing: { id: string }[];
  error: string | null;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface ClusterNode {
  io: Server;
  url: string;
  d: Dashboard;
}

async function node(key: string): Promise<ClusterNode> {
  const pair: ClientPair = await clientPair("ioredis");
  const http = createServer();
  const io = new Server(http, {
    adapter: createAdapter(pair.pub, pair.sub, { key, requestsTimeout: 1000 }),
    drainSpread: 0,
  });
  const url = await listen(http);
  const d = dashboard(io, { auth });
  io.on("connection", (socket) => {
    socket.data = { node: d.nodeId };
    socket.join("everyone");
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    d.close();
    await io.close();
    await pair.quit();
  };
  cleanups.push(close);
  return Object.assign({ io, url, d }, { close });
}

function track<T extends { disconnect(): unknown }>(socket: T): T {
  cleanups.push(() => socket.disconnect());
  return socket;
}

function connected(socket: ClientSocket | ReturnType<typeof sbio>): Promise<void> {
  return received(socket as ClientSocket, "connect").then(() => undefined);
}

async function page(url: string): Promise<ClientSocket> {
  const res = await fetch(`${url}/dashboard/token`, { headers: { Authorization: BASIC } });
  const { token } = (await res.json()) as { token: string };
  const socket = track(
    ioc(`${url}/_switchboard`, { auth: { token }, transports: ["websocket"], reconnection: false }),
  );
  await received(socket, "connect");
  return socket;
}

const ask = <T>(socket: ClientSocket, ev: string, args: object = {}) =>
  socket.timeout(WAIT_MS).emitWithAck(ev, args) as Promise<T>;

describe("the dashboard of a cluster on the Redis adapter", () => {
  it("shows both nodes and their sockets; actions reach a socket of the other node", async () => {
    const key = uniqueKey("dashboard");
    const a = await node(key);
    const b = await node(key);
    await untilNodes([a.io, b.io], 2, ["/_switchboard", "/"]);
    // One official client on node a, one of ours on node b.
    const onA = track(ioc(a.url, { transports: ["websocket"], reconnection: false }));
    const onB = track(
      sbio(b.url, { transports: ["websocket"], reconnection: false, forceNew: true }),
    );
    await Promise.all([connected(onA), connected(onB)]);
    const p = await page(a.url);
    const idB = onB.id!;

    const o = await ask<Overview>(p, "overview");
    expect(o.error).toBeNull();
    expect(o.node).toBe(a.d.nodeId);
    expect(o.nodes.map((n) => n.id).sort()).toEqual([a.d.nodeId, b.d.nodeId].sort());
    for (const n of o.nodes) expect(n.sockets).toEqual({ "/": 1 });

    const list = await ask<SocketsPage>(p, "sockets", { nsp: "/" });
    expect(list.total).toBe(2);
    const remote = list.sockets.find((s) => s.node === b.d.nodeId)!;
    expect(remote).toMatchObject({ id: idB, rooms: ["everyone"], transport: "websocket" });
    expect(JSON.parse(remote.data)).toEqual({ node: b.d.nodeId });
    expect(list.sockets.find((s) => s.node === a.d.nodeId)?.id).toBe(onA.id);

    const rooms = await ask<RoomsPage>(p, "rooms", { nsp: "/" });
    expect(rooms.rooms).toEqual([{ name: "everyone", size: 2, nodes: 2 }]);

    // Actions from the page on node a, on the socket of node b.
    await ask(p, "action", { type: "join", nsp: "/", id: idB, room: "remote-room" });
    await expect
      .poll(async () => (await ask<RoomsPage>(p, "rooms", { nsp: "/", query: "remote" })).rooms, {
        timeout: WAIT_MS,
      })
      .toEqual([{ name: "remote-room", size: 1, nodes: 1 }]);
    const hello = received(onB, "hello");
    await ask(p, "action", {
      type: "emit",
      nsp: "/",
      to: "remote-room",
      event: "hello",
      payload: '{"from":"dashboard"}',
    });
    expect(await hello).toEqual([{ from: "dashboard" }]);
    await ask(p, "action", { type: "leave", nsp: "/", id: idB, room: "remote-room" });
    await expect
      .poll(async () => (await ask<RoomsPage>(p, "rooms", { nsp: "/", query: "remote" })).rooms, {
        timeout: WAIT_MS,
      })
      .toEqual([]);
    const gone = received(onB, "disconnect");
    await ask(p, "action", { type: "disconnect", nsp: "/", id: idB });
    expect((await gone)[0]).toBe("io server disconnect");
    await expect
      .poll(
        async () => {
          const nodes = (await ask<Overview>(p, "overview")).nodes;
          return nodes.find((n) => n.id === b.d.nodeId)?.disconnects[0]?.id;
        },
        { timeout: WAIT_MS },
      )
      .toBe(idB);
    expect(onA.connected).toBe(true);
  });

  it("shows a node that stopped answering as missing", async () => {
    const key = uniqueKey("dashboard-missing");
    const a = await node(key);
    const b = (await node(key)) as ClusterNode & { close(): Promise<void> };
    await untilNodes([a.io], 2, ["/_switchboard"]);
    const p = await page(a.url);
    await expect
      .poll(async () => (await ask<Overview>(p, "overview")).nodes.length, { timeout: WAIT_MS })
      .toBe(2);
    await b.close();
    await expect
      .poll(async () => (await ask<Overview>(p, "overview")).missing.map((m) => m.id), {
        timeout: WAIT_MS,
      })
      .toEqual([b.d.nodeId]);
    const o = await ask<Overview>(p, "overview");
    expect(o.nodes.map((n) => n.id)).toEqual([a.d.nodeId]);
  });
});

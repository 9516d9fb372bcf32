// The interop suite of a cluster of one Switchboard node and one socket.io 4 node
// (@socket.io/redis-adapter 8, the reference), each with two real socket.io-client
// connections: every cluster-wide operation is run from each side and must reach the
// clients of the other. interop.test.ts runs it for the classic adapter on one Redis,
// sharded/interop.test.ts for the sharded adapter on a Redis Cluster.
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type AdapterConstructor, Server } from "@switchboard/server";
import { type ServerOptions as SocketIoOptions, Server as SocketIoServer } from "socket.io";
import { type Socket as ClientSocket, io as connect } from "socket.io-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

/** Bounded wait of the suite for effects that cross nodes, in ms. */
export const WAIT_MS = 3000;

/** What the tests do on a node, the same calls on both servers. */
export interface InteropNode {
  readonly name: "switchboard" | "socket.io";
  emit(ev: string, ...args: unknown[]): void;
  toRoom(room: string, ev: string, ...args: unknown[]): void;
  ackAll(ev: string): Promise<unknown[]>;
  fetch(room?: string): Promise<
    Array<{
      id: string;
      rooms: Set<string>;
      data: unknown;
      emit(ev: string, ...a: unknown[]): unknown;
      timeout(ms: number): { emit(ev: string, ...a: unknown[]): unknown };
    }>
  >;
  serverSideEmitWithAck(ev: string): Promise<unknown[]>;
  socketsJoin(from: string, room: string): void;
  disconnectSockets(room: string): void;
  serverCount(): Promise<number>;
  onServerSide(ev: string, answer: unknown): void;
  url: string;
  close(): Promise<void>;
}

function listen(http: HttpServer): Promise<string> {
  return new Promise((resolve) =>
    http.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(http.address() as AddressInfo).port}`),
    ),
  );
}

/** Connection handler of both servers: room `room-<name>`, data `{name}`, "ask" answers the name. */
function onConnection(socket: {
  handshake: { auth: Record<string, unknown> };
  join(r: string): unknown;
  data: unknown;
  on(ev: string, fn: (cb: (v: unknown) => void) => void): unknown;
}): void {
  const name = String(socket.handshake.auth.name);
  socket.join(`room-${name}`);
  socket.data = { name };
  socket.on("ask", (cb) => cb(name));
}

/** A Switchboard node on an ephemeral port with `adapter` (built for the cluster under test). */
export async function switchboardNode(adapter: AdapterConstructor): Promise<InteropNode> {
  const http = createServer();
  const io = new Server(http, { adapter });
  io.on("connection", onConnection);
  const url = await listen(http);
  return {
    name: "switchboard",
    url,
    emit: (ev, ...args) => io.emit(ev, ...args),
    toRoom: (room, ev, ...args) => io.to(room).emit(ev, ...args),
    ackAll: (ev) => io.timeout(WAIT_MS).emitWithAck(ev) as Promise<unknown[]>,
    fetch: (room) => (room === undefined ? io.fetchSockets() : io.in(room).fetchSockets()),
    serverSideEmitWithAck: (ev) => io.serverSideEmitWithAck(ev) as Promise<unknown[]>,
    socketsJoin: (from, room) => io.in(from).socketsJoin(room),
    disconnectSockets: (room) => io.in(room).disconnectSockets(true),
    serverCount: () => io.of("/").adapter.serverCount(),
    onServerSide: (ev, answer) => io.on(ev, (cb: (v: unknown) => void) => cb(answer)),
    close: () => io.close(),
  };
}

/**
 * A socket.io 4 node on an ephemeral port with `adapter` (one of @socket.io/redis-adapter's);
 * `release` closes the Redis clients it uses, after the server.
 */
export async function socketIoNode(
  adapter: NonNullable<SocketIoOptions["adapter"]>,
  release: () => void | Promise<void>,
): Promise<InteropNode> {
  const http = createServer();
  const io = new SocketIoServer(http, { adapter });
  io.on("connection", onConnection);
  const url = await listen(http);
  return {
    name: "socket.io",
    url,
    emit: (ev, ...args) => io.emit(ev, ...args),
    toRoom: (room, ev, ...args) => io.to(room).emit(ev, ...args),
    ackAll: (ev) => io.timeout(WAIT_MS).emitWithAck(ev),
    fetch: (room) => (room === undefined ? io.fetchSockets() : io.in(room).fetchSockets()),
    serverSideEmitWithAck: (ev) => io.serverSideEmitWithAck(ev),
    socketsJoin: (from, room) => io.in(from).socketsJoin(room),
    disconnectSockets: (room) => io.in(room).disconnectSockets(true),
    serverCount: () => io.of("/").adapter.serverCount(),
    onServerSide: (ev, answer) => io.on(ev, (cb: (v: unknown) => void) => cb(answer)),
    close: async () => {
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await release();
    },
  };
}

function received(socket: ClientSocket, ev: string): Promise<unknown[]> {
  return new Promise((resolve) => socket.once(ev, (...args: unknown[]) => resolve(args)));
}

/** The two nodes of a test, and what the backend needs. */
export interface InteropCluster {
  /** A Switchboard node and a socket.io node on one backend. */
  nodes: InteropNode[];
  /**
   * Waits until every node listens for broadcasts to `room` (the sharded adapter's dynamic
   * mode subscribes to a room's channel when a node's first socket joins it).
   */
  roomReady?(room: string): Promise<void>;
  /** Releases the backend after the nodes closed. */
  close?(): Promise<void>;
}

/** Registers the interop tests; `makeCluster` builds the two nodes of each test. */
export function interopSuite(makeCluster: () => Promise<InteropCluster>): void {
  let nodes: InteropNode[] = [];
  /** clients[n]: the clients "<node>-a" and "<node>-b" of node n. */
  let clients: ClientSocket[][] = [];
  let cluster: InteropCluster | undefined;

  beforeEach(async () => {
    cluster = await makeCluster();
    nodes = cluster.nodes;
    for (const node of nodes) {
      await expect.poll(() => node.serverCount(), { timeout: WAIT_MS }).toBe(2);
    }
    clients = await Promise.all(
      nodes.map((node, n) =>
        Promise.all(
          ["a", "b"].map((letter) => {
            const socket = connect(node.url, {
              auth: { name: `${n}-${letter}` },
              transports: ["websocket"],
              forceNew: true,
            });
            socket.on("ask", (cb: (v: unknown) => void) => cb(`client ${n}-${letter}`));
            return new Promise<ClientSocket>((resolve) =>
              socket.once("connect", () => resolve(socket)),
            );
          }),
        ),
      ),
    );
    for (const n of [0, 1]) {
      for (const letter of ["a", "b"]) await cluster.roomReady?.(`room-${n}-${letter}`);
    }
  });

  afterEach(async () => {
    for (const socket of clients.flat()) socket.disconnect();
    for (const node of nodes) await node.close();
    await cluster?.close?.();
  });

  describe.each([
    [0, 1],
    [1, 0],
  ])("from node %i to node %i", (from, to) => {
    const names = () => `${nodes[from]!.name} → ${nodes[to]!.name}`;

    it("broadcast with binary reaches every client", async () => {
      const all = clients.flat().map((socket) => received(socket, "hello"));
      nodes[from]!.emit("hello", "text", Buffer.from([1, 2, 3]), { n: 1 });
      for (const args of await Promise.all(all)) {
        expect(args[0], names()).toBe("text");
        expect(Buffer.from(args[1] as ArrayBuffer)).toEqual(Buffer.from([1, 2, 3]));
        expect(args[2]).toEqual({ n: 1 });
      }
    });

    it("a room of the other node gets it, the rest does not", async () => {
      let stray = 0;
      for (const socket of clients.flat()) socket.on("only", () => stray++);
      const target = clients[to]![1]!;
      const got = received(target, "only");
      nodes[from]!.toRoom(`room-${to}-b`, "only", 42);
      expect(await got).toEqual([42]);
      // A marker broadcast after it: once it arrived everywhere, nothing else will.
      const markers = clients.flat().map((socket) => received(socket, "marker"));
      nodes[from]!.emit("marker");
      await Promise.all(markers);
      expect(stray).toBe(1);
    });

    it("acks of every client of both nodes", async () => {
      const answers = await nodes[from]!.ackAll("ask");
      expect([...answers].sort()).toEqual(["client 0-a", "client 0-b", "client 1-a", "client 1-b"]);
    });

    it("fetchSockets sees the other node's sockets with rooms and data, and emits to one", async () => {
      const sockets = await nodes[from]!.fetch();
      expect(sockets.map((s) => (s.data as { name: string }).name).sort()).toEqual([
        "0-a",
        "0-b",
        "1-a",
        "1-b",
      ]);
      const remote = sockets.find((s) => (s.data as { name: string }).name === `${to}-a`)!;
      expect(remote.rooms.has(`room-${to}-a`)).toBe(true);
      expect(remote.rooms.has(remote.id)).toBe(true);
      const got = received(clients[to]![0]!, "direct");
      remote.emit("direct", "x");
      expect(await got).toEqual(["x"]);
      // an ack from the one remote socket (flags.expectSingleResponse on the wire)
      const answer = await new Promise((resolve) =>
        remote.timeout(WAIT_MS).emit("ask", (err: unknown, a: unknown) => resolve([err, a])),
      );
      expect(answer).toEqual([null, `client ${to}-a`]);
      const inRoom = await nodes[from]!.fetch(`room-${to}-b`);
      expect(inRoom.map((s) => s.id)).toEqual([clients[to]![1]!.id]);
    });

    it("serverSideEmit with acks gets the other node's answer", async () => {
      nodes[to]!.onServerSide("who", `server ${nodes[to]!.name}`);
      expect(await nodes[from]!.serverSideEmitWithAck("who")).toEqual([
        `server ${nodes[to]!.name}`,
      ]);
    });

    it("socketsJoin on the other node's sockets, then a broadcast to the new room", async () => {
      nodes[from]!.socketsJoin(`room-${to}-a`, "joined");
      await expect
        .poll(async () => (await nodes[to]!.fetch("joined")).map((s) => s.id), {
          timeout: WAIT_MS,
        })
        .toEqual([clients[to]![0]!.id]);
      await cluster?.roomReady?.("joined");
      const got = received(clients[to]![0]!, "in-joined");
      nodes[from]!.toRoom("joined", "in-joined");
      expect(await got).toEqual([]);
    });

    it("disconnectSockets closes the other node's client", async () => {
      const target = clients[to]![1]!;
      const gone = new Promise((resolve) => target.once("disconnect", resolve));
      nodes[from]!.disconnectSockets(`room-${to}-b`);
      await gone;
      expect(clients[to]![0]!.connected).toBe(true);
    });
  });
}

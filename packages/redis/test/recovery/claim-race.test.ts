// Two nodes restoring one session at once: the fenced claim lets exactly one win; the other
// gives its client a fresh session (recovered false) and keeps no copy. Run on the adapters
// directly (restoreSession on both at once) and with real clients of both libraries
// presenting the same pid/offset to two nodes; and a node that still holds the session
// connected drops it when another node claims it.
import { createServer } from "node:http";
import { Server } from "@switchboard/server";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { createAdapter, RedisStreamLog } from "../../src/index.js";
import { wrapRedisClient } from "../../src/redis-client.js";
import {
  type LocalNode,
  type RecordingClient,
  type RecoveryAdapterView,
  type RecoveryClientKind,
  readSession,
  recordingClient,
  startLocalNode,
} from "../helpers/recovery-cluster.js";
import { clientPair, redisPort, uniqueKey } from "../helpers/redis.js";
import { listen } from "../helpers/sockets.js";

const WAIT = { timeout: 10_000, interval: 20 };

interface WhoAmI {
  id: string;
  rooms: string[];
  data: unknown;
  recovered: boolean;
}

/** The official client's recovery state (private fields, read-only here). */
function recoveryState(client: RecordingClient): { pid: string; offset: string } {
  const socket = client.socket as unknown as { _pid?: string; _lastOffset?: string };
  return { pid: socket._pid!, offset: socket._lastOffset! };
}

describe("two nodes restoring one session at once", () => {
  const nodes: LocalNode[] = [];
  const clients: RecordingClient[] = [];
  let redis: Redis | undefined;
  let key = "";

  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.disconnect();
    for (const n of nodes.splice(0)) await n.close();
    redis?.disconnect();
  });

  async function setup(claimTimeout?: number): Promise<[LocalNode, LocalNode]> {
    key = uniqueKey("claim");
    const port = await redisPort();
    redis = new Redis({ port, host: "127.0.0.1" });
    const options = claimTimeout === undefined ? {} : { claimTimeout };
    nodes.push(
      await startLocalNode("ioredis", key, port, options),
      await startLocalNode("node-redis", key, port, options),
    );
    return nodes as [LocalNode, LocalNode];
  }

  /** An official client on `node` with rooms and data, one message received (an offset). */
  async function connected(node: LocalNode, name: string): Promise<RecordingClient> {
    const client = recordingClient("socket.io-client", node.url, ["all"], { reconnection: false });
    clients.push(client);
    await client.nextConnect();
    await client.call("setup", { rooms: [`room-${name}`], data: { name } });
    const count = client.got.length;
    node.io.to(client.socket.id!).emit("all", 1);
    await expect.poll(() => client.got.length, WAIT).toBe(count + 1);
    const { pid } = recoveryState(client);
    await expect
      .poll(async () => (await readSession(redis!, `${key}:session:`, pid))?.rooms, WAIT)
      .toEqual([client.socket.id, `room-${name}`].sort());
    return client;
  }

  /** Cuts the client's connection (a transport close: the session is kept, disconnected). */
  async function away(client: RecordingClient): Promise<{ pid: string; offset: string }> {
    const state = recoveryState(client);
    (client.socket as unknown as { io: { engine: { close(): void } } }).io.engine.close();
    await expect
      .poll(async () => (await readSession(redis!, `${key}:session:`, state.pid))?.state, WAIT)
      .toBe("d");
    return state;
  }

  it("restoreSession on two adapters at once: exactly one gets it; the other waits out the winner's claim", async () => {
    const [one, two] = await setup(1000);
    const sessions = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const client = await connected(i % 2 === 0 ? one : two, `s${i}`);
        const id = client.socket.id!;
        return { id, ...(await away(client)) };
      }),
    );
    const started = Date.now();
    const timed = async (node: LocalNode, pid: string, offset: string) => {
      const session = await node.adapter.restoreSession(pid, offset);
      return { node, session, at: Date.now() - started };
    };
    const results = await Promise.all(
      sessions.map(({ pid, offset }) =>
        Promise.all([timed(one, pid, offset), timed(two, pid, offset)]),
      ),
    );
    for (const [i, pair] of results.entries()) {
      const { id, pid } = sessions[i]!;
      const [first, second] = [...pair].sort((a, b) => a.at - b.at) as [
        (typeof pair)[0],
        (typeof pair)[0],
      ];
      // One restored it at once. The other found it claimed and waited: no socket ever
      // came for the winner's claim (as if that node died), so only after claimTimeout
      // (1000 ms) could it take the session over — never two restores at the same time.
      expect(first.session?.sid).toBe(id);
      expect(first.at).toBeLessThan(1000);
      expect(second.session?.sid).toBe(id);
      expect(second.at).toBeGreaterThanOrEqual(1000);
      const stored = await readSession(redis!, `${key}:session:`, pid);
      expect(stored).toMatchObject({
        sid: id,
        state: "r",
        owner: second.node.adapter.recovery.uid,
      });
    }
    expect(one.adapter.trackedSessions + two.adapter.trackedSessions).toBe(0);
  });

  it.each([
    ["socket.io-client", "switchboard"],
    ["switchboard", "socket.io-client"],
  ] as Array<[RecoveryClientKind, RecoveryClientKind]>)(
    "two clients (%s, %s) present the same pid/offset to two nodes: one recovers, the other gets a fresh session",
    async (first, second) => {
      const [one, two] = await setup();
      const original = await connected(one, "x");
      const id = original.socket.id!;
      const { pid, offset } = await away(original);
      const contenders = [
        recordingClient(first, one.url, ["all"], { reconnection: false, auth: { pid, offset } }),
        recordingClient(second, two.url, ["all"], { reconnection: false, auth: { pid, offset } }),
      ];
      clients.push(...contenders);
      await Promise.all(contenders.map((c) => c.nextConnect()));
      const me = await Promise.all(contenders.map((c) => c.call<WhoAmI>("whoami")));
      const winner = me.findIndex((m) => m.recovered);
      expect(winner).not.toBe(-1);
      const loser = 1 - winner;
      expect(me[winner]).toMatchObject({
        id,
        rooms: [id, "room-x"].sort(),
        data: { name: "x" },
        recovered: true,
      });
      expect(me[loser]!.recovered).toBe(false);
      expect(me[loser]!.id).not.toBe(id);
      expect(me[loser]!.rooms).toEqual([me[loser]!.id]);
      // The session is the winner's (connected, written through by it); the loser's node
      // holds no copy of it: a broadcast to its id reaches the winner only, once.
      const winnerNode = [one, two][winner]!;
      await expect
        .poll(async () => {
          const s = await readSession(redis!, `${key}:session:`, pid);
          return s && { sid: s.sid, state: s.state, owner: s.owner };
        }, WAIT)
        .toEqual({ sid: id, state: "c", owner: winnerNode.adapter.recovery.uid });
      expect([one, two].map((n) => n.io.of("/").sockets.has(id))).toEqual([
        winner === 0,
        winner === 1,
      ]);
      two.io.to(id).emit("all", 2);
      one.io.emit("all", 3);
      await expect.poll(() => contenders[loser]!.numbers("all"), WAIT).toEqual([3]);
      // (Two publishers: no order between them.)
      await expect.poll(() => contenders[winner]!.numbers("all").sort(), WAIT).toEqual([2, 3]);
      expect(one.adapter.restoringSessions + two.adapter.restoringSessions).toBe(0);
      expect(one.adapter.trackedSessions + two.adapter.trackedSessions).toBe(2);
    },
  );

  it("a node still holding the session connected drops its copy when another node claims it", async () => {
    const [one, two] = await setup();
    const original = await connected(one, "y");
    const id = original.socket.id!;
    const { pid, offset } = recoveryState(original);
    const dropped = new Promise<string>((resolve) =>
      original.socket.once("disconnect", (reason: never) => resolve(reason)),
    );
    // The client "comes back" on two while one still thinks it is connected (a half-open
    // connection one has not noticed yet).
    const thief = recordingClient("switchboard", two.url, ["all"], {
      reconnection: false,
      auth: { pid, offset },
    });
    clients.push(thief);
    await thief.nextConnect();
    expect(await thief.call<WhoAmI>("whoami")).toMatchObject({
      id,
      rooms: [id, "room-y"].sort(),
      data: { name: "y" },
      recovered: true,
    });
    expect(await dropped).toBe("io server disconnect");
    expect(one.io.of("/").sockets.has(id)).toBe(false);
    expect(one.adapter.trackedSessions).toBe(0);
    await expect
      .poll(async () => (await readSession(redis!, `${key}:session:`, pid))?.owner, WAIT)
      .toBe(two.adapter.recovery.uid);
    one.io.emit("all", 4);
    await expect.poll(() => thief.numbers("all"), WAIT).toEqual([4]);
    expect(original.numbers("all")).toEqual([1]);
  });

  it("a node that dies after claiming a session holds it for claimTimeout; a client coming back meanwhile waits it out and is restored", async () => {
    const [one, two] = await setup(1000);
    const original = await connected(one, "z");
    const id = original.socket.id!;
    const { pid, offset } = await away(original);
    // one claims it and never finishes (as if killed now): closed without a socket for it.
    expect(await one.adapter.restoreSession(pid, offset)).toMatchObject({ sid: id });
    nodes.splice(nodes.indexOf(one), 1);
    await one.close();
    const claimedAt = Date.now();
    const early = recordingClient("switchboard", two.url, ["all"], {
      reconnection: false,
      auth: { pid, offset },
    });
    clients.push(early);
    await early.nextConnect();
    // The dead node's claim is waited out (claimTimeout), then the session is restored on
    // this node with its rooms and data: never a copy, never a silent gap.
    const first = await early.call<WhoAmI>("whoami");
    expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(900);
    expect(first).toMatchObject({
      id,
      rooms: [id, "room-z"].sort(),
      data: { name: "z" },
      recovered: true,
    });
  });
});

describe("a socket connected before its node follows the log", () => {
  it("is recoverable once the node follows (its session is rewritten with the log's epoch)", async () => {
    const key = uniqueKey("early");
    const port = await redisPort();
    const pair = await clientPair("ioredis", port);
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    // The log's start waits for the test: the socket connects first.
    const log = new RedisStreamLog(wrapRedisClient(pair.pub), {
      key: `${key}:{log}`,
      retention: 120_000,
    });
    const start = log.start.bind(log);
    log.start = async (onEntries) => {
      await gate;
      return start(onEntries);
    };
    const http = createServer();
    const io = new Server(http, {
      connectionStateRecovery: { maxDisconnectionDuration: 60_000 },
      adapter: createAdapter(pair.pub, pair.sub, {
        key,
        recovery: { log, sessionPrefix: `${key}:session:` },
      }),
    });
    const url = await listen(http);
    const adapter = io.of("/").adapter as unknown as RecoveryAdapterView;
    const client = recordingClient("socket.io-client", url, ["n"]);
    try {
      await client.nextConnect();
      expect(adapter.recovery.started).toBe(false);
      open();
      await expect.poll(() => adapter.recovery.started, WAIT).toBe(true);
      io.emit("n", 1);
      await expect.poll(() => client.numbers("n"), WAIT).toEqual([1]);
      const back = client.nextConnect();
      (client.socket as unknown as { io: { engine: { close(): void } } }).io.engine.close();
      await back;
      expect(client.connects.map((c) => c.recovered)).toEqual([false, true]);
    } finally {
      client.socket.disconnect();
      await io.close();
      await pair.quit();
    }
  });
});

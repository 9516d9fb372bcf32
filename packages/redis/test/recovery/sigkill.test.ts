// A node process killed with SIGKILL (no close, no goodbye: its sessions are still marked
// connected in Redis, owned by a dead node) while a publisher on another node keeps
// emitting: clients of both libraries reconnect through a round-robin TCP proxy to the node
// left and recover there: same id, the rooms and data written through before the kill, and
// every message emitted while they were away exactly once, in the order it was sent.
// Node processes run the built package (npm run build first).
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import {
  type LocalNode,
  type NodeProcess,
  RECOVERY_CLIENTS,
  type RecordingClient,
  RoundRobinProxy,
  recordingClient,
  sessionOf,
  startLocalNode,
  startNodeProcess,
} from "../helpers/recovery-cluster.js";
import { redisPort, uniqueKey } from "../helpers/redis.js";

const WAIT = { timeout: 15_000, interval: 50 };

interface WhoAmI {
  id: string;
  rooms: string[];
  data: unknown;
  recovered: boolean;
  node: string;
}

describe("recovery after a node process is killed (SIGKILL)", () => {
  const processes: NodeProcess[] = [];
  const clients: RecordingClient[] = [];
  let publisher: LocalNode | undefined;
  let proxy: RoundRobinProxy | undefined;
  let redis: Redis | undefined;
  let timer: NodeJS.Timeout | undefined;

  afterEach(async () => {
    clearInterval(timer);
    for (const c of clients.splice(0)) c.socket.disconnect();
    await Promise.all(processes.splice(0).map((p) => p.kill()));
    await proxy?.close();
    await publisher?.close();
    redis?.disconnect();
  });

  it("clients of both libraries recover on the node left: id, rooms, data, every missed message once, in order", async () => {
    const key = uniqueKey("kill");
    const port = await redisPort();
    redis = new Redis({ port, host: "127.0.0.1" });
    const [a, b] = await Promise.all([
      startNodeProcess(port, key, "ioredis", "a"),
      startNodeProcess(port, key, "node-redis", "b"),
    ]);
    processes.push(a, b);
    publisher = await startLocalNode("ioredis", key, port);
    // Every client lands on a first.
    proxy = await RoundRobinProxy.start([a.port]);
    const setups = new Map<RecordingClient, { rooms: string[]; data: unknown }>();
    for (const kind of RECOVERY_CLIENTS) {
      for (const i of [0, 1]) {
        const client = recordingClient(kind, proxy.url, ["all", "room", "other"]);
        clients.push(client);
        await client.nextConnect();
        const setup = {
          rooms: ["room-x", `own-${kind}-${i}`],
          data: { user: `${kind}-${i}`, tags: ["t", i], nested: { ok: true } },
        };
        expect(await client.call<{ node: string }>("setup", setup)).toMatchObject({ node: "a" });
        setups.set(client, setup);
      }
    }
    // The rooms and data are in Redis (written through) before the kill.
    for (const [client, setup] of setups) {
      await expect
        .poll(async () => {
          const stored = await sessionOf(redis!, `${key}:session:`, client.socket.id!);
          return stored && { rooms: stored.rooms, data: stored.data, state: stored.state };
        }, WAIT)
        .toEqual({
          rooms: [...setup.rooms, client.socket.id].sort(),
          data: setup.data,
          state: "c",
        });
    }
    const ids = clients.map((c) => c.socket.id);

    // The publisher: to everyone, to room-x, to a room nobody is in, every 15 ms.
    let sent = 0;
    const sentAt: number[] = [];
    timer = setInterval(() => {
      sent++;
      sentAt.push(Date.now());
      publisher!.io.emit("all", sent);
      if (sent % 2 === 0) publisher!.io.to("room-x").emit("room", sent);
      if (sent % 5 === 0) publisher!.io.to("room-nobody").emit("other", sent);
    }, 15);
    await expect
      .poll(() => Math.min(...clients.map((c) => c.numbers("all").length)), WAIT)
      .toBeGreaterThan(10);

    // Kill a; the proxy now tries a (refused) then b for every new connection.
    const reconnected = Promise.all(clients.map((c) => c.nextConnect(20_000)));
    proxy.setTargets([a.port, b.port]);
    const killedAt = Date.now();
    await a.kill();
    await reconnected;
    const backAt = Math.max(...clients.map((c) => c.connects[c.connects.length - 1]!.at));
    // Keep publishing a little after everyone is back, then stop and let it drain.
    await expect
      .poll(() => sent, WAIT)
      .toBeGreaterThan(sentAt.filter((t) => t <= backAt).length + 20);
    clearInterval(timer);
    const total = sent;
    // Every stream complete: the last tick's "room" message leaves after its "all" one, so
    // a client can hold the last "all" and not yet the last "room" (a CI run checked then).
    await expect
      .poll(() => clients.map((c) => [c.numbers("all").length, c.numbers("room").length]), WAIT)
      .toEqual(clients.map(() => [total, Math.floor(total / 2)]));
    // Some messages were sent while the clients were away (between the kill and their return).
    expect(sentAt.filter((t) => t >= killedAt && t <= backAt).length).toBeGreaterThan(0);

    const all = Array.from({ length: total }, (_, i) => i + 1);
    for (const [index, client] of clients.entries()) {
      expect(client.connects.map((c) => c.recovered)).toEqual([false, true]);
      expect(client.socket.id).toBe(ids[index]);
      expect(client.numbers("all")).toEqual(all);
      expect(client.numbers("room")).toEqual(all.filter((n) => n % 2 === 0));
      expect(client.numbers("other")).toEqual([]);
      // One order for everyone: the log's offsets only grow.
      const offsets = client.got.map((r) => r.offset);
      for (let i = 1; i < offsets.length; i++) {
        expect(compare(offsets[i - 1]!, offsets[i]!), `${client.kind} offsets`).toBeLessThan(0);
      }
      const setup = setups.get(client)!;
      const me = await client.call<WhoAmI>("whoami");
      expect(me).toEqual({
        id: ids[index],
        rooms: [...setup.rooms, ids[index]].sort(),
        data: setup.data,
        recovered: true,
        node: "b",
      });
    }
  }, 60_000);
});

function compare(a: string, b: string): number {
  const [am, as] = a.split("-").map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split("-").map(BigInt) as [bigint, bigint];
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}

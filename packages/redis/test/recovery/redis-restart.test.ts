// Redis killed (SIGKILL) and restarted empty (no persistence) while two nodes — one per
// Redis client library — keep emitting: connected clients get everything, including what
// was emitted while Redis was down (queued by each node, appended once Redis is back):
// nothing lost, nothing twice, each node's order kept. Clients that were away when Redis
// lost its data (their sessions and the log are gone) come back with recovered === false,
// never with a silent gap.
import { type RedisProcess, startRedisServer } from "@switchboard/server/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  type LocalNode,
  type RecordingClient,
  RoundRobinProxy,
  recordingClient,
  startLocalNode,
} from "../helpers/recovery-cluster.js";
import { uniqueKey } from "../helpers/redis.js";

const WAIT = { timeout: 20_000, interval: 50 };

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe("Redis restarted without its data during recovery", () => {
  const nodes: LocalNode[] = [];
  const clients: RecordingClient[] = [];
  let proxy: RoundRobinProxy | undefined;
  let early: RoundRobinProxy | undefined;
  let redis: RedisProcess | undefined;

  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.disconnect();
    await proxy?.close();
    await early?.close();
    // The nodes close with Redis up (their last writes answered).
    if (redis !== undefined && !redis.running) await redis.restart();
    for (const n of nodes.splice(0)) await n.close();
    await redis?.stop();
  });

  it("connected clients get what was emitted while Redis was down; clients away then are not recovered", async () => {
    redis = await startRedisServer();
    const key = uniqueKey("restart");
    const a = await startLocalNode("ioredis", key, redis.port);
    const b = await startLocalNode("node-redis", key, redis.port);
    nodes.push(a, b);
    const connected = [
      recordingClient("socket.io-client", a.url, ["a", "b"]),
      recordingClient("switchboard", b.url, ["a", "b"]),
    ];
    proxy = await RoundRobinProxy.start([a.port]);
    const away = [
      recordingClient("socket.io-client", proxy.url, ["a", "b"]),
      recordingClient("switchboard", proxy.url, ["a", "b"]),
    ];
    // Away too, but back while Redis is down (a restore that cannot read the store).
    early = await RoundRobinProxy.start([b.port]);
    const returning = [
      recordingClient("socket.io-client", early.url, ["a", "b"]),
      recordingClient("switchboard", early.url, ["a", "b"]),
    ];
    const everyone = [...connected, ...away, ...returning];
    clients.push(...everyone);
    await Promise.all(everyone.map((c) => c.nextConnect()));
    const emit = (from: number, to: number) => {
      for (const n of range(from, to)) {
        a.io.emit("a", n);
        b.io.emit("b", n);
      }
    };
    emit(1, 5);
    await expect
      .poll(() => everyone.map((c) => [c.numbers("a").length, c.numbers("b").length]), WAIT)
      .toEqual(everyone.map(() => [5, 5]));

    // The away clients leave (their sessions are saved), then Redis dies and comes back empty.
    const awayIds = away.map((c) => c.socket.id);
    const returningIds = returning.map((c) => c.socket.id);
    for (const p of [proxy, early]) {
      p.setTargets([]);
      p.cutAll();
    }
    await expect.poll(() => [a, b].map((n) => n.io.of("/").sockets.size), WAIT).toEqual([1, 1]);
    await redis.kill();
    // Right after the kill (clients may not have seen it yet), and once they have.
    emit(6, 10);
    await new Promise((r) => setTimeout(r, 300));
    early.setTargets([b.port]);
    await expect.poll(() => returning.map((c) => c.connects.length), WAIT).toEqual([2, 2]);
    emit(11, 15);
    await redis.restart();
    await expect
      .poll(() => connected.map((c) => [c.numbers("a").length, c.numbers("b").length]), WAIT)
      .toEqual(connected.map(() => [15, 15]));
    emit(16, 20);
    await expect
      .poll(() => connected.map((c) => [c.numbers("a").length, c.numbers("b").length]), WAIT)
      .toEqual(connected.map(() => [20, 20]));
    for (const c of connected) {
      expect(c.numbers("a")).toEqual(range(1, 20));
      expect(c.numbers("b")).toEqual(range(1, 20));
      expect(c.connects).toHaveLength(1);
    }
    expect([a, b].map((n) => n.adapter.recovery.pendingAppends)).toEqual([0, 0]);

    // The away clients come back: their history is gone, so no recovery (and no gap).
    proxy.setTargets([a.port, b.port]);
    await expect.poll(() => away.map((c) => c.connects.length), WAIT).toEqual([2, 2]);
    for (const [i, c] of away.entries()) {
      expect(c.connects[1]!.recovered).toBe(false);
      expect(c.socket.id).not.toBe(awayIds[i]);
      expect(c.numbers("a")).toEqual(range(1, 5));
    }
    // Back while Redis was down: not recovered either; from then on, everything live, once,
    // in order (what was queued while Redis was down too, though emitted before they came).
    for (const [i, c] of returning.entries()) {
      expect(c.connects[1]!.recovered).toBe(false);
      expect(c.socket.id).not.toBe(returningIds[i]);
      for (const ev of ["a", "b"]) {
        const after = c.numbers(ev).slice(5);
        expect(after.every((n, j) => j === 0 || n === after[j - 1]! + 1)).toBe(true);
        expect(after.slice(-10)).toEqual(range(11, 20));
      }
    }
    // …and receive from then on.
    emit(21, 21);
    await expect.poll(() => away.map((c) => c.numbers("a").length), WAIT).toEqual([6, 6]);
    expect(away.map((c) => c.numbers("a").at(-1))).toEqual([21, 21]);
  }, 60_000);

  it("steady emits across three Redis crashes (each node reads each new log): connected clients get all, once, in each node's order", async () => {
    redis = await startRedisServer();
    const key = uniqueKey("restart");
    const a = await startLocalNode("ioredis", key, redis.port);
    const b = await startLocalNode("node-redis", key, redis.port);
    nodes.push(a, b);
    const connected = [
      recordingClient("socket.io-client", a.url, ["a", "b"]),
      recordingClient("switchboard", b.url, ["a", "b"]),
    ];
    clients.push(...connected);
    await Promise.all(connected.map((c) => c.nextConnect()));
    let sent = 0;
    const timer = setInterval(() => {
      sent++;
      a.io.emit("a", sent);
      b.io.emit("b", sent);
    }, 5);
    try {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 300));
        await redis.kill();
        await new Promise((r) => setTimeout(r, 300 + 200 * i));
        await redis.restart();
        // Both nodes read the new log before the next crash (a node that never read a
        // Redis life that is lost again misses its entries: the README's limit).
        const upTo = sent;
        await expect
          .poll(
            () => connected.every((c) => ["a", "b"].every((ev) => c.numbers(ev).includes(upTo))),
            WAIT,
          )
          .toBe(true);
      }
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      clearInterval(timer);
    }
    const total = sent;
    await expect
      .poll(() => connected.map((c) => [c.numbers("a").length, c.numbers("b").length]), WAIT)
      .toEqual(connected.map(() => [total, total]));
    for (const c of connected) {
      expect(c.numbers("a")).toEqual(range(1, total));
      expect(c.numbers("b")).toEqual(range(1, total));
    }
  }, 60_000);
});

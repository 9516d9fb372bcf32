// The chaos test of cluster-wide connection state recovery: 3 node processes on one Redis,
// 300 recovery-enabled websocket clients (half official socket.io-client, half
// @switchboard/client) behind a round-robin TCP proxy, numbered messages published at a
// steady rate by a node that is never killed (to everyone and to rooms) and by an Emitter,
// while node processes are killed with SIGKILL (one, sometimes two at once) and restarted
// for a bounded time. Then quiet, and the check: every client has every message meant for
// it exactly once and in the order it was sent, offsets only grow (the log's one order),
// every reconnection recovered (same id, rooms, data).
//
// The schedule is random from a printed seed (CHAOS_SEED=<n> replays one). A kill waits
// until every client is back (bounded): a node killed in the middle of a restore holds that
// session for `claimTimeout` (the README's limit), which is not what this test is about.
// Node processes run the built package (npm run build first).
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { Emitter } from "../../src/index.js";
import {
  type LocalNode,
  type NodeProcess,
  type RecordingClient,
  RoundRobinProxy,
  readSessions,
  recordingClient,
  startLocalNode,
  startNodeProcess,
} from "../helpers/recovery-cluster.js";
import { redisPort, uniqueKey } from "../helpers/redis.js";

const CLIENTS_PER_LIBRARY = 150;
const GROUPS = 5;
/** How long nodes are killed and restarted (ms). */
const CHAOS_MS = 30_000;
const KINDS = ["ioredis", "node-redis", "ioredis"] as const;

interface WhoAmI {
  node: string;
  id: string;
  rooms: string[];
  data: unknown;
  recovered: boolean;
}

/** mulberry32: a small seeded PRNG, so that a failing schedule can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function compareOffsets(a: string, b: string): number {
  const [am, as] = a.split("-").map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split("-").map(BigInt) as [bigint, bigint];
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}

describe("chaos: node processes killed and restarted under load", () => {
  const processes: Array<NodeProcess | undefined> = [];
  const clients: RecordingClient[] = [];
  const timers: NodeJS.Timeout[] = [];
  let publisher: LocalNode | undefined;
  let proxy: RoundRobinProxy | undefined;
  let redis: Redis | undefined;

  afterEach(async () => {
    for (const timer of timers.splice(0)) clearInterval(timer);
    for (const c of clients.splice(0)) c.socket.disconnect();
    await Promise.all(processes.splice(0).map((p) => p?.kill()));
    await proxy?.close();
    await publisher?.close();
    redis?.disconnect();
  });

  it("every client gets every message once, in order, and recovers on every reconnection", async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
    const rand = random(seed);
    const started = Date.now();
    const key = uniqueKey("chaos");
    const port = await redisPort();
    redis = new Redis({ port, host: "127.0.0.1" });
    processes.push(
      ...(await Promise.all(KINDS.map((kind, i) => startNodeProcess(port, key, kind, `n${i}`)))),
    );
    const ports = (): number[] => processes.flatMap((p) => (p === undefined ? [] : [p.port]));
    publisher = await startLocalNode("ioredis", key, port);
    proxy = await RoundRobinProxy.start(ports());

    // Clients, in batches (a connection storm is not what this test measures).
    const groupOf = new Map<RecordingClient, number>();
    const kinds = ["socket.io-client", "switchboard"] as const;
    for (let i = 0; i < 2 * CLIENTS_PER_LIBRARY; i += 20) {
      const batch: RecordingClient[] = [];
      for (let j = i; j < i + 20; j++) {
        const client = recordingClient(kinds[j % 2]!, proxy.url, ["all", "room", "e"], {
          reconnectionDelay: 200,
          reconnectionDelayMax: 1000,
        });
        groupOf.set(client, j % GROUPS);
        batch.push(client);
      }
      await Promise.all(batch.map((c) => c.nextConnect(20_000)));
      await Promise.all(
        batch.map((c) =>
          c.call("setup", {
            rooms: [`g${groupOf.get(c)}`],
            data: { n: clients.length + batch.indexOf(c), kind: c.kind },
          }),
        ),
      );
      clients.push(...batch);
    }
    const ids = new Map(clients.map((c) => [c, c.socket.id!]));
    const datas = new Map(clients.map((c, n) => [c, { n, kind: c.kind }]));
    // Sessions written through before the first kill (the lease and data a kill leaves).
    await expectSessions(redis, key, clients.length);

    // Publishers: the never-killed node to everyone (10/s) and to one group's room in turn
    // (10/s), the Emitter to everyone (4/s).
    let all = 0;
    const room: number[] = [];
    let emitted = 0;
    const emitter = new Emitter(redis, { key });
    timers.push(
      setInterval(() => {
        all++;
        publisher!.io.emit("all", all);
        room.push(room.length % GROUPS);
        publisher!.io.to(`g${(room.length - 1) % GROUPS}`).emit("room", room.length);
      }, 100),
      setInterval(() => {
        emitted++;
        emitter.emit("e", emitted);
      }, 250),
    );

    // Chaos: kill one node holding clients (sometimes two), start its replacement at once,
    // wait until every client it held is back (on the others or the replacement), again.
    let kills = 0;
    let cutClients = 0;
    const chaosEnd = Date.now() + CHAOS_MS;
    while (Date.now() < chaosEnd) {
      await sleep(300 + rand() * 1500);
      // Which clients each node holds now: each client of a victim must come back.
      const on = await Promise.all(clients.map((c) => c.call<WhoAmI>("whoami")));
      const busy = [0, 1, 2].filter((i) => on.some((me) => me.node === `n${i}`));
      const victims = [busy[Math.floor(rand() * busy.length)]!];
      if (rand() < 0.25) victims.push((victims[0]! + 1 + Math.floor(rand() * 2)) % 3);
      const names = victims.map((i) => `n${i}`);
      const cut = clients.filter((_, j) => names.includes(on[j]!.node));
      const before = new Map(cut.map((c) => [c, c.connects.length]));
      const dead: number[] = [];
      const killAt = Date.now();
      await Promise.all(
        victims.map((i) => {
          const victim = processes[i]!;
          processes[i] = undefined;
          dead.push(victim.port);
          kills++;
          return victim.kill();
        }),
      );
      cutClients += cut.length;
      // The proxy keeps the dead ports: new connections to them are refused and go on.
      proxy.setTargets([...ports(), ...dead]);
      const restarted = Promise.all(
        victims.map(async (i) => {
          processes[i] = await startNodeProcess(port, key, KINDS[i]!, `n${i}`);
          proxy!.setTargets([...ports(), ...dead]);
        }),
      );
      await until(
        "every client back",
        () =>
          cut.every((c) => c.socket.connected && c.connects.length > before.get(c)!) &&
          clients.every((c) => c.socket.connected),
        30_000,
      );
      const backAt = Date.now();
      await restarted;
      proxy.setTargets(ports());
      if (process.env.CHAOS_VERBOSE) {
        console.log(
          `kill ${names.join("+")}: cut ${cut.length}, back in ${backAt - killAt} ms, restarted in ${Date.now() - killAt} ms`,
        );
      }
    }
    // Quiet: publishers stop; everything sent arrives.
    for (const timer of timers.splice(0)) clearInterval(timer);
    await until(
      "every message delivered",
      () =>
        clients.every(
          (c) =>
            c.numbers("all").length >= all &&
            c.numbers("e").length >= emitted &&
            c.numbers("room").length >= room.filter((g) => g === groupOf.get(c)).length,
        ),
      30_000,
    ).catch(() => {});

    // The check.
    let duplicates = 0;
    let gaps = 0;
    let disorders = 0;
    let reconnections = 0;
    let recoveries = 0;
    let delivered = 0;
    const failures: string[] = [];
    const expectedAll = Array.from({ length: all }, (_, i) => i + 1);
    const expectedE = Array.from({ length: emitted }, (_, i) => i + 1);
    for (const client of clients) {
      const group = groupOf.get(client)!;
      const expectedRoom = room.flatMap((g, i) => (g === group ? [i + 1] : []));
      for (const [ev, expected] of [
        ["all", expectedAll],
        ["room", expectedRoom],
        ["e", expectedE],
      ] as const) {
        const got = client.numbers(ev);
        delivered += got.length;
        const unique = new Set(got);
        duplicates += got.length - unique.size;
        gaps += expected.filter((n) => !unique.has(n)).length;
        if (got.some((n, i) => i > 0 && n <= got[i - 1]!)) disorders++;
        if (JSON.stringify(got) !== JSON.stringify(expected) && failures.length < 5) {
          failures.push(`${client.kind} ${ids.get(client)} ${ev}: ${JSON.stringify(got)}`);
        }
      }
      const offsets = client.got.map((r) => r.offset);
      if (offsets.some((o, i) => i > 0 && compareOffsets(offsets[i - 1]!, o) >= 0)) disorders++;
      reconnections += client.connects.length - 1;
      recoveries += client.connects.slice(1).filter((c) => c.recovered).length;
    }
    const whoami = await Promise.all(clients.map((c) => c.call<WhoAmI>("whoami")));
    const intact = clients.filter((c, i) => {
      const me = whoami[i]!;
      return (
        me.id === ids.get(c) &&
        JSON.stringify(me.data) === JSON.stringify(datas.get(c)) &&
        JSON.stringify(me.rooms) === JSON.stringify([me.id, `g${groupOf.get(c)}`].sort())
      );
    }).length;
    console.log(
      `chaos (seed ${seed}): clients=${clients.length} kills=${kills} cut=${cutClients} messages: all=${all} ` +
        `room=${room.length} emitter=${emitted} delivered=${delivered} reconnections=${reconnections} ` +
        `recoveries=${recoveries} duplicates=${duplicates} gaps=${gaps} disorders=${disorders} ` +
        `intact=${intact} duration=${Date.now() - started} ms`,
    );
    expect(failures).toEqual([]);
    expect({ duplicates, gaps, disorders }).toEqual({ duplicates: 0, gaps: 0, disorders: 0 });
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(reconnections).toBeGreaterThanOrEqual(cutClients);
    expect(cutClients).toBeGreaterThanOrEqual(clients.length);
    expect(recoveries).toBe(reconnections);
    expect(intact).toBe(clients.length);
  }, 90_000);
});

/** Waits until `count` sessions are stored with their group room (written after setup). */
async function expectSessions(redis: Redis, key: string, count: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const sessions = await readSessions(redis, `${key}:session:`);
    const n = sessions.filter((s) => s.rooms.length === 2).length;
    if (n >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${n} of ${count} sessions written`);
    await sleep(100);
  }
}

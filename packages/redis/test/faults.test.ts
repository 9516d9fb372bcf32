// Redis killed (SIGKILL) and restarted under a two-node cluster, with the classic and the
// sharded adapter and each client library:
// no crash and no unhandled rejection, local delivery goes on, requests fail fast with a
// code (in flight: SB_ERR_REDIS_CONNECTION_LOST; new: SB_ERR_REDIS_UNAVAILABLE), the health
// getter and event follow, and once Redis is back both clients resubscribe by themselves.
// Every request settles before its timeout: answered, or failed with its SB_ERR_REDIS_* code
// (a node whose subscriber came back before its publisher lost its answers, issue 16).

import { once } from "node:events";
import { connect } from "node:net";
import type { AdapterConstructor } from "@switchboard/server";
import { Server } from "@switchboard/server";
import {
  type RedisProcess,
  startRedisServer,
  TestClient,
  type TestSocket,
} from "@switchboard/server/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createAdapter,
  createShardedAdapter,
  type RedisAdapter,
  RedisAdapterError,
  type ShardedRedisAdapter,
} from "../src/index.js";
import {
  CLIENT_KINDS,
  type ClientKind,
  type ClientPair,
  clientPair,
  uniqueKey,
} from "./helpers/redis.js";

const WAIT_MS = 8000;

function codeOf(err: unknown): string {
  return err instanceof RedisAdapterError ? err.code : `not a RedisAdapterError: ${String(err)}`;
}

/**
 * How a request settled: `"answered"`, or the code it failed with. Waiting its whole
 * timeout shows as `SB_ERR_ADAPTER_REQUEST_TIMEOUT` (the server's AdapterError).
 */
function settled(request: Promise<unknown>): Promise<string> {
  return request.then(
    () => "answered",
    (err: unknown) => (err as { code?: string }).code ?? String(err),
  );
}

/** Closes a client's connection (no reconnection until {@link reconnect}). */
function disconnect(kind: ClientKind, client: object): void {
  const c = client as { disconnect(): void; destroy(): void };
  if (kind === "ioredis") c.disconnect();
  else c.destroy();
}

/** CLIENT PAUSE `ms` ALL on a connection of its own: Redis holds every command meanwhile. */
async function pause(port: number, ms: number): Promise<void> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  socket.write(`CLIENT PAUSE ${ms} ALL\r\n`);
  await once(socket, "data");
  socket.destroy();
}

async function reconnect(client: object): Promise<void> {
  await (client as { connect(): Promise<unknown> }).connect();
}

/** Each adapter of the package, with requests that would wait 20 s for a silent node. */
const ADAPTERS: Record<string, (pub: object, sub: object, key: string) => AdapterConstructor> = {
  classic: (pub, sub, key) => createAdapter(pub, sub, { key, requestsTimeout: 20_000 }),
  sharded: (pub, sub, key) =>
    createShardedAdapter(pub, sub, { channelPrefix: key, requestsTimeout: 20_000 }),
};
const CASES = Object.keys(ADAPTERS).flatMap((adapter) =>
  CLIENT_KINDS.map((kind) => [adapter, kind] as const),
);

describe.each(CASES)("Redis faults (%s adapter, %s)", (adapterName, kind) => {
  let redis: RedisProcess;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  let pairs: ClientPair[] = [];
  let nodes: Server[] = [];
  const clients: TestClient[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    process.on("unhandledRejection", onUnhandled);
  });

  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    await redis.stop();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const io of nodes.splice(0)) await io.close();
    for (const pair of pairs.splice(0)) await pair.quit();
    if (!redis.running) await redis.restart();
  });

  async function cluster(): Promise<{
    sockets: TestSocket[];
    adapters: Array<RedisAdapter | ShardedRedisAdapter>;
  }> {
    const key = uniqueKey("faults");
    pairs = [await clientPair(kind, redis.port), await clientPair(kind, redis.port)];
    const adapter = ADAPTERS[adapterName]!;
    nodes = pairs.map((pair) => new Server({ adapter: adapter(pair.pub, pair.sub, key) }));
    const adapters = nodes.map((io) => io.of("/").adapter as RedisAdapter | ShardedRedisAdapter);
    for (const adapter of adapters) {
      await expect.poll(() => adapter.serverCount(), { timeout: WAIT_MS }).toBe(2);
    }
    const sockets: TestSocket[] = [];
    for (const io of nodes) {
      const client = new TestClient(io);
      clients.push(client);
      sockets.push(await client.connect("/", { timeout: WAIT_MS }));
    }
    return { sockets, adapters };
  }

  it("keeps local delivery, fails requests fast with codes, reports health, recovers", async () => {
    const { sockets, adapters } = await cluster();
    const [a, b] = nodes as [Server, Server];
    expect(adapters.map((adapter) => adapter.health)).toEqual(["ready", "ready"]);
    const healthEvents: string[] = [];
    adapters[0]!.on("health", (state: string) => healthEvents.push(state));

    // across nodes before the fault
    let got = sockets[1]!.waitFor("before", WAIT_MS);
    a.emit("before", 1);
    expect(await got).toEqual([1]);

    // a request in flight: node b hears it and never answers
    b.on("silent", () => {});
    const inFlight = a.serverSideEmitWithAck("silent").catch((err: unknown) => err);
    await expect.poll(() => adapters[0]!.pendingRequests, { timeout: WAIT_MS }).toBe(1);

    await redis.kill();
    expect(codeOf(await inFlight)).toBe("SB_ERR_REDIS_CONNECTION_LOST");
    await expect.poll(() => adapters[0]!.health, { timeout: WAIT_MS }).toBe("down");
    expect(healthEvents).toContain("down");
    expect(adapters[0]!.pendingRequests).toBe(0);

    // Redis down: local delivery goes on, requests fail now (their timeout is 20 s)
    got = sockets[0]!.waitFor("during", WAIT_MS);
    a.emit("during", 2);
    expect(await got).toEqual([2]);
    expect(codeOf(await a.fetchSockets().catch((err: unknown) => err))).toBe(
      "SB_ERR_REDIS_UNAVAILABLE",
    );
    expect(codeOf(await a.serverSideEmitWithAck("x").catch((err: unknown) => err))).toBe(
      "SB_ERR_REDIS_UNAVAILABLE",
    );
    expect(codeOf(await adapters[0]!.serverCount().catch((err: unknown) => err))).toBe(
      "SB_ERR_REDIS_UNAVAILABLE",
    );
    const acks = await a
      .timeout(WAIT_MS)
      .emitWithAck("ask")
      .catch((err: unknown) => err);
    expect(codeOf(acks)).toBe("SB_ERR_REDIS_UNAVAILABLE");

    await redis.restart();
    for (const adapter of adapters) {
      await expect.poll(() => adapter.health, { timeout: WAIT_MS }).toBe("ready");
    }
    expect(healthEvents.at(-1)).toBe("ready");
    // resubscribed by the clients themselves: the other node hears broadcasts and requests
    for (const adapter of adapters) {
      await expect.poll(() => adapter.serverCount(), { timeout: WAIT_MS }).toBe(2);
    }
    await expect
      .poll(
        async () => {
          const answer = sockets[1]!.waitFor("after", 500).catch(() => undefined);
          a.emit("after", 3);
          return answer;
        },
        { timeout: WAIT_MS },
      )
      .toEqual([3]);
    expect((await a.fetchSockets()).map((s) => s.id).sort()).toEqual(
      sockets.map((s) => s.id).sort(),
    );
    expect(unhandled).toEqual([]);
  });

  it("traffic during a restart: no crash, no unhandled rejection, every map empty after", async () => {
    const { sockets, adapters } = await cluster();
    const [a] = nodes as [Server, Server];
    let stop = false;
    const fetches: string[] = [];
    const traffic = (async () => {
      while (!stop) {
        a.emit("tick");
        fetches.push(await settled(a.fetchSockets()));
        await a
          .timeout(200)
          .emitWithAck("ask")
          .catch(() => undefined);
        await new Promise((r) => setImmediate(r));
      }
    })();
    await sockets[1]!.waitFor("tick", WAIT_MS);
    await redis.kill();
    await expect.poll(() => adapters[0]!.health, { timeout: WAIT_MS }).toBe("down");
    await redis.restart();
    // Traffic goes on until both nodes are back, through the time when one node's
    // subscriber hears requests while its publisher is still down.
    for (const adapter of adapters) {
      await expect.poll(() => adapter.health, { timeout: WAIT_MS }).toBe("ready");
    }
    stop = true;
    await traffic;
    // Each fetch settled before its 20 s timeout: answered, or failed fast with a code.
    const outcomes = new Set(fetches);
    outcomes.delete("answered");
    outcomes.delete("SB_ERR_REDIS_CONNECTION_LOST");
    outcomes.delete("SB_ERR_REDIS_UNAVAILABLE");
    outcomes.delete("SB_ERR_REDIS_COMMAND_FAILED");
    expect([...outcomes]).toEqual([]);
    for (const adapter of adapters) {
      await expect.poll(() => adapter.pendingRequests, { timeout: WAIT_MS }).toBe(0);
      await expect.poll(() => adapter.unsentAnswers, { timeout: WAIT_MS }).toBe(0);
    }
    expect(unhandled).toEqual([]);
  });

  it("a node whose publisher is down answers once it is back: the request completes before its timeout", async () => {
    const { sockets, adapters } = await cluster();
    const [a] = nodes as [Server, Server];
    const pair = pairs[1]!;
    // Node b's subscriber stays, its publisher goes: b hears the request, cannot answer yet.
    disconnect(kind, pair.pub);
    await expect.poll(() => adapters[1]!.health, { timeout: WAIT_MS }).toBe("down");
    expect(adapters[0]!.health).toBe("ready");
    const fetched = a.fetchSockets();
    const outcome = settled(fetched);
    await expect.poll(() => adapters[1]!.unsentAnswers, { timeout: WAIT_MS }).toBe(1);
    expect(adapters[0]!.pendingRequests).toBe(1);

    await reconnect(pair.pub);
    expect(await outcome).toBe("answered");
    expect((await fetched).map((s) => s.id).sort()).toEqual(sockets.map((s) => s.id).sort());
    expect(adapters[1]!.unsentAnswers).toBe(0);
    expect(adapters[0]!.pendingRequests).toBe(0);
    expect(unhandled).toEqual([]);
  });

  it("a node count in flight when Redis dies fails the request (ioredis would send it again after the restart)", async () => {
    const { adapters } = await cluster();
    const [a] = nodes as [Server, Server];
    // Redis holds every command now: the count of the next fetch stays in flight.
    await pause(redis.port, 20_000);
    const outcome = settled(a.fetchSockets());
    await redis.kill();
    expect(["SB_ERR_REDIS_CONNECTION_LOST", "SB_ERR_REDIS_COMMAND_FAILED"]).toContain(
      await outcome,
    );
    await expect.poll(() => adapters[0]!.health, { timeout: WAIT_MS }).toBe("down");
    expect(adapters[0]!.pendingRequests).toBe(0);
    expect(unhandled).toEqual([]);
    // Closing while Redis is down does not wait for Redis (a sharded adapter's SUNSUBSCRIBEs
    // would stay queued in the client until it reconnects).
    for (const io of nodes.splice(0)) await io.close();
  });
});

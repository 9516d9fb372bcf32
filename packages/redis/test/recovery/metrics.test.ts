// Issue 19: cluster recovery outcomes in @switchboard/server/metrics. A client restored on
// another node counts in recoveries_total{recovered="true"} and in
// cluster_recoveries_total under "ring" or "log" (where the missed packets came from); one
// whose window passed counts as recovered="false" and under a refusal outcome.
import { createServer } from "node:http";
import { Server } from "@switchboard/server";
import { metrics } from "@switchboard/server/metrics";
import { type Socket as ClientSocket, io as connect } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { createAdapter } from "../../src/index.js";
import { type ClientPair, clientPair, uniqueKey } from "../helpers/redis.js";
import { listen } from "../helpers/sockets.js";

const WAIT = { timeout: 8000 };

/** The series of `name` in a registry's text output, as `{labels} value` pairs. */
function series(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const space = line.lastIndexOf(" ");
    out.set(line.slice(name.length, space), Number(line.slice(space + 1)));
  }
  return out;
}

describe("cluster recovery metrics", () => {
  const cleanups: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const clean of cleanups.splice(0).reverse()) await clean();
  });

  async function startNode(key: string, window: number) {
    const pair: ClientPair = await clientPair("ioredis");
    const http = createServer();
    const io = new Server(http, {
      connectionStateRecovery: { maxDisconnectionDuration: window },
      adapter: createAdapter(pair.pub, pair.sub, {
        key,
        recovery: { logKey: `${key}:{log}`, sessionPrefix: `${key}:session:` },
      }),
    });
    io.on("connection", (socket) => {
      if (!socket.recovered) socket.join("room-a");
    });
    const url = await listen(http);
    cleanups.push(async () => {
      await io.close();
      await pair.quit();
    });
    await (io.of("/").adapter.init as () => Promise<void>)?.call(io.of("/").adapter);
    const m = metrics(io);
    cleanups.push(() => m.close());
    return { io, url, m };
  }

  function client(url: string, delay: number): ClientSocket {
    const c = connect(url, {
      transports: ["websocket"],
      reconnectionDelay: delay,
      reconnectionDelayMax: delay,
      randomizationFactor: 0,
    });
    cleanups.push(() => void c.disconnect());
    return c;
  }

  /** Points the client's next reconnection at `url` (what a balancer would do). */
  function retarget(c: ClientSocket, url: string): void {
    (c.io as unknown as { uri: string }).uri = url;
  }

  it("counts a restore on another node by where its missed packets came from", async () => {
    const key = uniqueKey("recm");
    const a = await startNode(key, 60_000);
    const b = await startNode(key, 60_000);
    const c = client(a.url, 50);
    const got: number[] = [];
    c.on("n", (n: number) => got.push(n));
    await new Promise<void>((r) => c.once("connect", () => r()));
    a.io.emit("n", 1);
    await expect.poll(() => got.length, WAIT).toBe(1);
    await expect.poll(() => a.io.of("/").adapter.persistSession !== undefined).toBe(true);
    retarget(c, b.url);
    const back = new Promise<void>((r) => c.once("connect", () => r()));
    c.io.engine.close();
    await expect.poll(() => a.io.of("/").sockets.size, WAIT).toBe(0);
    a.io.emit("n", 2);
    await back;
    expect(c.recovered).toBe(true);
    await expect.poll(() => got, WAIT).toEqual([1, 2]);

    const text = await b.m.register.metrics();
    expect(series(text, "switchboard_recoveries_total").get('{recovered="true"}')).toBe(1);
    const outcomes = series(text, "switchboard_cluster_recoveries_total");
    const restored =
      (outcomes.get('{outcome="ring"}') ?? 0) + (outcomes.get('{outcome="log"}') ?? 0);
    expect(restored).toBe(1);
    const total = [...outcomes.values()].reduce((x, y) => x + y, 0);
    expect(total).toBe(1);
    // Node a restored nothing.
    const onA = series(await a.m.register.metrics(), "switchboard_cluster_recoveries_total");
    expect([...onA.values()].reduce((x, y) => x + y, 0)).toBe(0);
  });

  it("counts a session whose window passed as not restored, with its outcome", async () => {
    const key = uniqueKey("recm");
    const a = await startNode(key, 300);
    const b = await startNode(key, 300);
    const c = client(a.url, 1000);
    c.on("n", () => {});
    await new Promise<void>((r) => c.once("connect", () => r()));
    a.io.emit("n", 1);
    await expect.poll(() => a.io.of("/").adapter.persistSession !== undefined).toBe(true);
    retarget(c, b.url);
    const back = new Promise<void>((r) => c.once("connect", () => r()));
    c.io.engine.close();
    await back;
    expect(c.recovered).toBe(false);

    const text = await b.m.register.metrics();
    expect(series(text, "switchboard_recoveries_total").get('{recovered="false"}')).toBe(1);
    const outcomes = series(text, "switchboard_cluster_recoveries_total");
    expect(outcomes.get('{outcome="ring"}') ?? 0).toBe(0);
    expect(outcomes.get('{outcome="log"}') ?? 0).toBe(0);
    const refused = ["no_session", "window_passed", "stale"].reduce(
      (sum, o) => sum + (outcomes.get(`{outcome="${o}"}`) ?? 0),
      0,
    );
    expect(refused).toBe(1);
  });
});

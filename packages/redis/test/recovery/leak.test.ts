// Leak check of cluster-wide recovery: 2000 sessions (both client libraries), each set up
// with rooms and data, cut (a transport close) and recovered on whichever node the
// round-robin proxy picks, then closed for good, while a node keeps emitting. Afterwards
// no node tracks, restores or holds an append for any of them, and no session key is left
// in Redis (a session that ends for good is deleted; a transport close alone keeps it).
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import {
  type LocalNode,
  RECOVERY_CLIENTS,
  type RecordingClient,
  RoundRobinProxy,
  readSessions,
  recordingClient,
  startLocalNode,
} from "../helpers/recovery-cluster.js";
import { redisPort, uniqueKey } from "../helpers/redis.js";

const SESSIONS = 2000;
const BATCH = 100;
const WAIT = { timeout: 20_000, interval: 50 };

describe("recovery leak check", () => {
  const nodes: LocalNode[] = [];
  const clients: RecordingClient[] = [];
  const proxies: RoundRobinProxy[] = [];
  let redis: Redis | undefined;
  let timer: NodeJS.Timeout | undefined;

  afterEach(async () => {
    clearInterval(timer);
    for (const c of clients.splice(0)) c.socket.disconnect();
    for (const p of proxies.splice(0)) await p.close();
    for (const n of nodes.splice(0)) await n.close();
    redis?.disconnect();
  });

  it(`${SESSIONS} sessions set up, cut, recovered and closed leave nothing behind`, async () => {
    const key = uniqueKey("leak");
    const port = await redisPort();
    redis = new Redis({ port, host: "127.0.0.1" });
    const a = await startLocalNode("ioredis", key, port);
    const b = await startLocalNode("node-redis", key, port);
    nodes.push(a, b);
    let sent = 0;
    timer = setInterval(() => {
      sent++;
      a.io.emit("n", sent);
      b.io.to("odd").emit("n", -sent);
    }, 10);
    let recovered = 0;
    for (let done = 0; done < SESSIONS; done += BATCH) {
      const proxy = await RoundRobinProxy.start([a.port, b.port]);
      proxies.push(proxy);
      const batch = Array.from({ length: BATCH }, (_, i) =>
        recordingClient(RECOVERY_CLIENTS[i % 2]!, proxy.url, ["n"], {
          reconnectionDelay: 50,
          reconnectionDelayMax: 200,
        }),
      );
      clients.push(...batch);
      await Promise.all(batch.map((c) => c.nextConnect()));
      await Promise.all(
        batch.map((c, i) =>
          c.call("setup", { rooms: i % 2 === 1 ? ["odd", `r${i}`] : [`r${i}`], data: { i } }),
        ),
      );
      // Received something (an offset), then cut: every client comes back and recovers.
      await expect.poll(() => batch.every((c) => c.got.length > 0), WAIT).toBe(true);
      const back = Promise.all(batch.map((c) => c.nextConnect()));
      proxy.cutAll();
      await back;
      recovered += batch.filter((c) => c.connects[1]?.recovered === true).length;
      // Closed for good (the DISCONNECT reaches the nodes before the proxy goes).
      for (const c of batch) c.socket.disconnect();
      clients.splice(0);
      await expect.poll(() => a.io.of("/").sockets.size + b.io.of("/").sockets.size, WAIT).toBe(0);
      await proxy.close();
      proxies.splice(0);
    }
    clearInterval(timer);
    expect(recovered).toBe(SESSIONS);
    for (const node of [a, b]) {
      await expect
        .poll(
          () => ({
            sockets: node.io.of("/").sockets.size,
            tracked: node.adapter.trackedSessions,
            restoring: node.adapter.restoringSessions,
            appends: node.adapter.recovery.pendingAppends,
          }),
          WAIT,
        )
        .toEqual({ sockets: 0, tracked: 0, restoring: 0, appends: 0 });
    }
    await expect
      .poll(async () => (await readSessions(redis!, `${key}:session:`)).length, WAIT)
      .toBe(0);
    console.log(`leak check: sessions=${SESSIONS} recovered=${recovered} messages=${sent}`);
  }, 90_000);
});

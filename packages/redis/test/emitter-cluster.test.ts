// Our Emitter on a local Redis Cluster (both libraries' cluster clients) reaching a
// Switchboard node on createAdapter over the same cluster: binary, a join followed by an
// emit to the joined room (order kept across channels), serverSideEmit.
import { createServer } from "node:http";
import { io as connect } from "@switchboard/client";
import { Server } from "@switchboard/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdapter, Emitter } from "../src/index.js";
import { CLUSTER_CLIENT_KINDS, clusterClientPair } from "./helpers/cluster-clients.js";
import { uniqueKey } from "./helpers/redis.js";
import { type RedisCluster, startRedisCluster } from "./helpers/redis-cluster.js";
import { listen, received } from "./helpers/sockets.js";

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 30000);
afterAll(() => cluster.stop());

describe.each(CLUSTER_CLIENT_KINDS)("Emitter on %s", (kind) => {
  it("reaches a node on the cluster", async () => {
    const key = uniqueKey();
    const nodePair = await clusterClientPair(kind, cluster.nodes);
    const http = createServer();
    const io = new Server(http, { adapter: createAdapter(nodePair.pub, nodePair.sub, { key }) });
    io.on("connection", (s) => s.join("r"));
    const url = await listen(http);
    const client = connect(url, { transports: ["websocket"], forceNew: true });
    await received(client, "connect");
    // The node's subscriptions are made (its request channel counts it).
    await expect.poll(() => io.of("/").adapter.serverCount(), { timeout: 5000 }).toBe(1);
    const emitterPair = await clusterClientPair(kind, cluster.nodes);
    const emitter = new Emitter(emitterPair.pub, { key });
    const got = received(client, "hi");
    emitter.to("r").emit("hi", Buffer.from([1]));
    expect(Buffer.from((await got)[0] as ArrayBuffer)).toEqual(Buffer.from([1]));
    const left = received(client, "after-join");
    emitter.in("r").socketsJoin("j");
    emitter.to("j").emit("after-join", 2);
    expect(await left).toEqual([2]);
    const sse = new Promise((r) => io.on("sse", (...a: unknown[]) => r(a)));
    emitter.serverSideEmit("sse", 3);
    expect(await sse).toEqual([3]);
    client.disconnect();
    await io.close();
    await nodePair.quit();
    await emitterPair.quit();
  });
});

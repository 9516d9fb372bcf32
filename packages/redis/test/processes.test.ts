// Several Switchboard server processes on one Redis (one with ioredis, one with node-redis)
// plus a node in the test process: broadcasts, fetchSockets and server-side acks cross the
// process boundary, and a process that dies (SIGKILL) is seen: the node count drops and a
// request waiting for it completes with the answers of the nodes left, long before its
// 20 s timeout. The node processes run the built package (npm run build, as `npm test` does).
import { Server } from "@switchboard/server";
import { type NodeProcess, spawnNode } from "@switchboard/server/testing";
import { type Socket as ClientSocket, io as connect } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { createAdapter } from "../src/index.js";
import { type ClientPair, clientPair, redisPort, uniqueKey } from "./helpers/redis.js";

const WAIT_MS = 8000;
const NODE = new URL("./fixtures/cluster-node.mjs", import.meta.url);

/** Starts a node process; resolves once it listens, with its URL in `info`. */
async function startNode(
  children: NodeProcess[],
  args: string[],
): Promise<NodeProcess<{ url: string }>> {
  const child = await spawnNode<{ url: string }>(NODE, { args, readyTimeout: WAIT_MS });
  children.push(child);
  return child;
}

describe("server processes on one Redis", () => {
  const children: NodeProcess[] = [];
  const sockets: ClientSocket[] = [];
  let local: Server | undefined;
  let pair: ClientPair | undefined;

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    for (const child of children.splice(0)) await child.kill();
    await local?.close();
    await pair?.quit();
  });

  it("broadcast, fetch and acks across processes; a killed process is seen", async () => {
    const key = uniqueKey("procs");
    const port = String(await redisPort());
    const [one, two] = await Promise.all([
      startNode(children, [port, key, "ioredis", "one"]),
      startNode(children, [port, key, "node-redis", "two"]),
    ]);
    pair = await clientPair("ioredis");
    local = new Server({
      adapter: createAdapter(pair.pub, pair.sub, { key, requestsTimeout: 20_000 }),
    });
    local.on("who", (cb: (v: string) => void) => cb("local"));
    await expect.poll(() => local!.of("/").adapter.serverCount(), { timeout: WAIT_MS }).toBe(3);

    for (const url of [one.info.url, two.info.url]) {
      const socket = connect(url, { transports: ["websocket"], forceNew: true });
      sockets.push(socket);
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    }
    // a client of process one shouts; process one broadcasts; the client of two hears it
    const heard = new Promise((resolve) => sockets[1]!.once("shouted", (v: unknown) => resolve(v)));
    sockets[0]!.emit("shout", "hi");
    expect(await heard).toEqual({ from: "one", text: "hi" });

    const fetched = await local.fetchSockets();
    expect(fetched.map((s) => (s.data as { node: string }).node).sort()).toEqual(["one", "two"]);
    expect([...(await local.serverSideEmitWithAck("who"))].sort()).toEqual(["one", "two"]);

    // a request process one answers and process two does not; then process two dies
    const waiting = local.serverSideEmitWithAck("late");
    await two.kill(); // SIGKILL: a crash
    await expect.poll(() => local!.of("/").adapter.serverCount(), { timeout: WAIT_MS }).toBe(2);
    // the request ends with the answers of the nodes left, not at its 20 s timeout
    expect(await Promise.race([waiting, timeout(WAIT_MS)])).toEqual(["one"]);
  });
});

function timeout(ms: number): Promise<string> {
  return new Promise((resolve) => setTimeout(() => resolve("timed out"), ms).unref());
}

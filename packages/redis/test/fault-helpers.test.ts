// The README's fault test (packages/server/README.md, "Fault tests"), run: a Redis of the
// test's own and two nodes in child processes (fixtures/readme-node.mjs, the built
// packages), started with @switchboard/server/testing; a node SIGKILLed, Redis SIGKILLed and
// restarted, the node restarted, and broadcasts cross the nodes again. Bounded waits.
import { io, type Socket } from "@switchboard/client";
import {
  type NodeProcess,
  type RedisProcess,
  spawnNode,
  startRedisServer,
} from "@switchboard/server/testing";
import { afterEach, expect, it } from "vitest";

const NODE = new URL("./fixtures/readme-node.mjs", import.meta.url);
// Generous: two node processes and a Redis start while the rest of the suite loads both cores.
const WAIT_MS = 30_000;

let redis: RedisProcess | undefined;
const nodes: NodeProcess<{ port: number }>[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.disconnect();
  for (const node of nodes.splice(0)) await node.kill();
  await redis?.stop();
});

async function connect(node: NodeProcess<{ port: number }>): Promise<Socket> {
  const socket = io(`http://127.0.0.1:${node.info.port}`, {
    transports: ["websocket"],
    forceNew: true,
    reconnection: false,
  });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  return socket;
}

/** The number of nodes `socket`'s node counts (PUBSUB NUMSUB). */
async function nodeCount(socket: Socket): Promise<number> {
  return socket.timeout(5000).emitWithAck("nodes");
}

/** `from` shouts; resolves with what `to` heard (or "nothing" within 3 s). */
async function shout(from: Socket, to: Socket, text: string): Promise<unknown> {
  const heard = new Promise((resolve) => {
    const timer = setTimeout(() => resolve("nothing"), 3000);
    to.once("shouted", (value: unknown) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
  from.emit("shout", text);
  return heard;
}

it("a node SIGKILLed, Redis SIGKILLed and restarted: the cluster comes back", async () => {
  redis = await startRedisServer();
  const env = { REDIS_URL: redis.url };
  const [a, b] = await Promise.all([
    spawnNode<{ port: number }>(NODE, { env }),
    spawnNode<{ port: number }>(NODE, { env }),
  ]);
  nodes.push(a, b);
  const [toA, toB] = await Promise.all([connect(a), connect(b)]);
  await expect.poll(() => nodeCount(toA), { timeout: WAIT_MS }).toBe(2);
  expect(await shout(toA, toB, "hello")).toBe("hello");

  // node b crashes: node a counts one node, and still serves its own clients
  expect(await b.kill()).toBeNull();
  await expect.poll(() => nodeCount(toA), { timeout: WAIT_MS }).toBe(1);
  expect(await shout(toA, toA, "alone")).toBe("alone");

  // Redis crashes and comes back on its port; node b comes back as a new process
  await redis.kill();
  await redis.restart();
  await b.restart();
  const toNewB = await connect(b);
  await expect.poll(() => nodeCount(toA), { timeout: WAIT_MS }).toBe(2);
  expect(await shout(toA, toNewB, "again")).toBe("again");
}, 120_000);

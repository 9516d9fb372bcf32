// No orphans: a process that started a redis-server and a Node child with the helpers
// (fixtures/guardian.mjs) ends, by process.exit or by SIGKILL (no exit hook runs then: the
// watchdogs do it), and both are gone. Bounded polls, no sleeps.
import { type NodeProcess, pingRedis, spawnNode } from "@switchboard/server/testing";
import { afterEach, describe, expect, it } from "vitest";
import { alive } from "./processes.js";

interface Guarded extends Record<string, unknown> {
  redisPid: number;
  redisPort: number;
  nodePid: number;
  nodePort: number;
}

const GUARDIAN = new URL("./fixtures/guardian.mjs", import.meta.url);
const guardians: NodeProcess<Guarded>[] = [];

afterEach(async () => {
  for (const guardian of guardians.splice(0)) await guardian.kill();
});

async function guardian(): Promise<NodeProcess<Guarded>> {
  const started = await spawnNode<Guarded>(GUARDIAN);
  guardians.push(started);
  const { redisPid, redisPort, nodePid } = started.info;
  expect([alive(redisPid), alive(nodePid), await pingRedis(redisPort)]).toEqual([true, true, true]);
  return started;
}

async function expectGone({ redisPid, redisPort, nodePid, nodePort }: Guarded): Promise<void> {
  await expect.poll(() => alive(redisPid), { timeout: 10_000 }).toBe(false);
  await expect.poll(() => alive(nodePid), { timeout: 10_000 }).toBe(false);
  expect(await pingRedis(redisPort)).toBe(false);
  await expect(fetch(`http://127.0.0.1:${nodePort}/`)).rejects.toThrow();
}

describe("the processes started by the helpers never outlive their parent", () => {
  it("when the parent calls process.exit", async () => {
    const parent = await guardian();
    parent.send("exit");
    expect(await parent.exited).toEqual({ code: 0, signal: null });
    await expectGone(parent.info);
  });

  it("when the parent is SIGKILLed (no exit hook runs)", async () => {
    const parent = await guardian();
    expect(await parent.kill("SIGKILL")).toBeNull();
    await expectGone(parent.info);
  });
});

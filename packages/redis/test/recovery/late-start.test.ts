// A node that has just started (a rolling deploy's new node, met at once by the clients of
// the node it replaces) may not follow the log yet when a client asks it to restore: the
// restore waits for it (within `claimTimeout`) instead of answering a fresh session.
import { Server } from "@switchboard/server";
import { TestClient } from "@switchboard/server/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createAdapter } from "../../src/index.js";
import {
  type LocalNode,
  type RecoveryAdapterView,
  startLocalNode,
} from "../helpers/recovery-cluster.js";
import { type ClientPair, clientPair, redisPort, uniqueKey } from "../helpers/redis.js";

describe("recovery on a node that has just started", () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  for (const kind of ["ioredis", "node-redis"] as const) {
    it(`restores a session asked for before the new node follows the log (${kind})`, async () => {
      const key = uniqueKey("late");
      const port = await redisPort();
      const a: LocalNode = await startLocalNode("ioredis", key, port);
      cleanups.push(() => a.close());
      const first = await new TestClient(a.io).connect("/", { auth: {} });
      await first.emitWithAck("setup", { rooms: ["r"], data: { me: 1 } });
      a.io.emit("before", 0);
      const [, offset] = await first.waitFor("before");
      const { id, pid } = first;
      first.client.close();
      await expect.poll(() => a.io.of("/").sockets.size).toBe(0);
      a.io.to("r").emit("missed", 1);
      a.io.emit("missed", 2);

      const pair: ClientPair = await clientPair(kind, port);
      const b = new Server({
        connectionStateRecovery: { maxDisconnectionDuration: 60_000 },
        adapter: createAdapter(pair.pub, pair.sub, {
          key,
          recovery: { logKey: `${key}:{log}`, sessionPrefix: `${key}:session:` },
        }),
      });
      cleanups.push(async () => {
        await b.close();
        await pair.quit();
      });
      const adapter = b.of("/").adapter as unknown as RecoveryAdapterView;
      // The point of the test: the new node does not follow the log yet.
      expect(adapter.recovery.started).toBe(false);
      const again = await new TestClient(b).connect("/", { auth: { pid, offset } });
      expect(again.id).toBe(id);
      await expect.poll(() => again.received.length).toBe(2);
      expect(again.received.map(([event, value]) => [event, value])).toEqual([
        ["missed", 1],
        ["missed", 2],
      ]);
      const socket = b.of("/").sockets.get(id!)!;
      expect(socket.recovered).toBe(true);
      expect(socket.rooms).toEqual(new Set([id, "r"]));
      expect(socket.data).toEqual({ me: 1 });
    });
  }
});

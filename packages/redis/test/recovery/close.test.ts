// Closing a node with cluster recovery: the emits it made just before `io.close()` are in the
// log once `io.close()` resolves (the hub waits, bounded by `flushTimeout`, for Redis to
// answer the appends already sent), even when the Redis clients are dropped right after.
// And the recovery options are checked when the adapter is created.
import { Server } from "@switchboard/server";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { createAdapter } from "../../src/index.js";
import { startLocalNode } from "../helpers/recovery-cluster.js";
import { clientPair, redisPort, uniqueKey } from "../helpers/redis.js";

describe("recovery: closing", () => {
  let redis: Redis | undefined;
  afterEach(() => {
    redis?.disconnect();
  });

  for (const kind of ["ioredis", "node-redis"] as const) {
    it(`emits made right before io.close() are in the log when it resolves (${kind})`, async () => {
      const key = uniqueKey("close");
      const port = await redisPort();
      redis = new Redis({ port, host: "127.0.0.1" });
      const node = await startLocalNode(kind, key, port);
      const EMITS = 3000;
      for (let i = 0; i < EMITS; i++) node.io.emit("n", i);
      // close() = io.close(), then the Redis connections are dropped at once (no QUIT): what
      // Redis had not answered by then would be lost.
      await node.close();
      const entries = await redis.xlen(`${key}:{log}`);
      expect(entries).toBe(EMITS);
    });
  }

  it("refuses recovery options that are not positive integers", async () => {
    const pair = await clientPair("ioredis");
    try {
      for (const [name, value] of [
        ["replayRing", 0],
        ["replayRing", 1.5],
        ["flushTimeout", -1],
        ["maxHeldPackets", "10"],
        ["claimTimeout", Number.NaN],
      ] as const) {
        // The main namespace, created with the server, creates the hub and checks them.
        expect(
          () =>
            new Server({
              connectionStateRecovery: { maxDisconnectionDuration: 60_000 },
              adapter: createAdapter(pair.pub, pair.sub, {
                key: uniqueKey("opts"),
                recovery: { [name]: value } as never,
              }),
            }),
        ).toThrow(new RegExp(`recovery\\.${name} must be an integer`));
      }
    } finally {
      await pair.quit();
    }
  });
});

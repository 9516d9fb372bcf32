// The client layer on a local 3-master Redis Cluster, with each library's cluster client:
// node counts summed over the nodes (channels of three different shards), and one
// publisher's classic messages on many channels arriving in the order sent.
import { describe, expect, it } from "vitest";
import { wrapRedisClient } from "../src/redis-client.js";
import { CLUSTER_CLIENT_KINDS, clusterClientPair } from "./helpers/cluster-clients.js";
import { uniqueKey } from "./helpers/redis.js";
import { useRedisCluster } from "./helpers/redis-cluster.js";

const WAIT_MS = 5000;
const clusterNodes = useRedisCluster();

describe.each(CLUSTER_CLIENT_KINDS)("RedisClient on a Redis Cluster (%s)", (kind) => {
  it("counts the subscribers of a channel on whichever shard it lives (NUMSUB, SHARDNUMSUB)", async () => {
    const pairs = [
      await clusterClientPair(kind, clusterNodes()),
      await clusterClientPair(kind, clusterNodes()),
    ];
    try {
      const prefix = uniqueKey("count");
      // ten channels: their slots spread over the three masters
      const channels = Array.from({ length: 10 }, (_, i) => `${prefix}#${i}#`);
      for (const { sub } of pairs) {
        for (const channel of channels) {
          await wrapRedisClient(sub).ssubscribe(channel, () => {});
          await wrapRedisClient(sub).subscribe(channel, () => {});
        }
      }
      const pub = wrapRedisClient(pairs[0]!.pub);
      for (const channel of channels) {
        expect(await pub.shardNumsub(channel)).toBe(2);
        expect(await pub.numsub(channel)).toBe(2);
      }
    } finally {
      await Promise.all(pairs.map((p) => p.quit()));
    }
  });

  it("keeps one publisher's messages on many channels in the order sent", async () => {
    const { pub, sub, quit } = await clusterClientPair(kind, clusterNodes());
    try {
      const prefix = uniqueKey("order");
      const got: number[] = [];
      await wrapRedisClient(sub).psubscribe(`${prefix}#*`, (_, message) =>
        got.push(Number(message.toString())),
      );
      const sent = Array.from({ length: 60 }, (_, i) => i);
      // one of ten channels per message, so consecutive messages hash to different shards
      await Promise.all(
        sent.map((i) => wrapRedisClient(pub).publish(`${prefix}#${i % 10}#`, String(i))),
      );
      await expect.poll(() => got.length, { timeout: WAIT_MS }).toBe(sent.length);
      expect(got).toEqual(sent);
    } finally {
      await quit();
    }
  });
});

// The interop suite (helpers/interop.ts) for the classic adapter: a Switchboard node
// (@switchboard/redis, with each Redis client library) and a socket.io 4 node
// (@socket.io/redis-adapter 8's createAdapter) on one Redis and one key.
import { createAdapter as createSocketIoAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { describe } from "vitest";
import { createAdapter } from "../src/index.js";
import { interopSuite, socketIoNode, switchboardNode } from "./helpers/interop.js";
import { CLIENT_KINDS, clientPair, redisPort, uniqueKey } from "./helpers/redis.js";

for (const kind of CLIENT_KINDS) {
  describe(`a cluster of Switchboard (${kind}) and socket.io + @socket.io/redis-adapter`, () => {
    interopSuite(async () => {
      const key = uniqueKey("interop");
      const pair = await clientPair(kind);
      const pub = new Redis({ port: await redisPort(), host: "127.0.0.1" });
      const sub = pub.duplicate();
      const nodes = [
        await switchboardNode(createAdapter(pair.pub, pair.sub, { key, requestsTimeout: 2000 })),
        await socketIoNode(createSocketIoAdapter(pub, sub, { key, requestsTimeout: 2000 }), () => {
          pub.disconnect();
          sub.disconnect();
        }),
      ];
      return { nodes, close: () => pair.quit() };
    });
  });
}

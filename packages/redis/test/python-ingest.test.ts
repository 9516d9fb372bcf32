// The Python channel's ingest without Python: one subscription per node whatever its
// namespaces, gone when the server closes; messages (JSON, as python-socketio 5.14+ writes
// them) dispatched to the namespace's adapter; the option's validation.
import { createServer } from "node:http";
import { io as connect } from "@switchboard/client";
import { Server } from "@switchboard/server";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { createAdapter } from "../src/index.js";
import {
  CLIENT_KINDS,
  type ClientPair,
  clientPair,
  redisPort,
  uniqueKey,
} from "./helpers/redis.js";
import { listen, received, WAIT_MS } from "./helpers/sockets.js";

describe("pythonChannel", () => {
  let pair: ClientPair | undefined;
  let probe: Redis | undefined;

  afterEach(async () => {
    await pair?.quit();
    probe?.disconnect();
  });

  it("is validated: a non-empty string, a positive pythonMaxBytes", async () => {
    pair = await clientPair("ioredis");
    expect(() => createAdapter(pair!.pub, pair!.sub, { pythonChannel: "" })).toThrow(TypeError);
    expect(() =>
      createAdapter(pair!.pub, pair!.sub, { pythonChannel: 5 as unknown as string }),
    ).toThrow(TypeError);
    expect(() =>
      createAdapter(pair!.pub, pair!.sub, { pythonChannel: "socketio", pythonMaxBytes: 0 }),
    ).toThrow(TypeError);
  });

  for (const kind of CLIENT_KINDS) {
    it(`one subscription per node for every namespace, none after close (${kind})`, async () => {
      pair = await clientPair(kind);
      probe = new Redis({ port: await redisPort(), host: "127.0.0.1" });
      const channel = uniqueKey("socketio");
      const numsub = async () => Number((await probe!.pubsub("NUMSUB", channel))[1]);
      const http = createServer();
      const io = new Server(http, {
        adapter: createAdapter(pair.pub, pair.sub, { key: uniqueKey(), pythonChannel: channel }),
      });
      io.of("/a");
      io.of("/b");
      const url = await listen(http);
      await expect.poll(numsub, { timeout: WAIT_MS }).toBe(1);

      const client = connect(`${url}/b`, { transports: ["websocket"], forceNew: true });
      await received(client, "connect");
      let times = 0;
      client.on("from-python", () => times++);
      const got = received(client, "from-python");
      const marker = received(client, "marker");
      await probe.publish(
        channel,
        JSON.stringify({ method: "emit", event: "unknown-nsp", data: 1, namespace: "/nope" }),
      );
      await probe.publish(
        channel,
        JSON.stringify({ method: "emit", event: "from-python", data: [1, 2], namespace: "/b" }),
      );
      await probe.publish(
        channel,
        JSON.stringify({ method: "emit", event: "marker", namespace: "/b" }),
      );
      expect(await got).toEqual([[1, 2]]);
      await marker;
      // Carried out once, though three namespaces share the node's subscription.
      expect(times).toBe(1);
      client.disconnect();

      await io.close();
      await expect.poll(numsub, { timeout: WAIT_MS }).toBe(0);
    });
  }
});

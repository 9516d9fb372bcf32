// createRedisDirectory: the NodeDirectory of the server's `forwarding` option on a real
// Redis, with both client libraries; and two forwarding servers sharing it behind a
// round-robin balancer.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "@switchboard/server";
import { createBalancer } from "@switchboard/server/testing";
import { io as ioc } from "socket.io-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRedisDirectory } from "../src/index.js";
import { wrapRedisClient } from "../src/redis-client.js";
import { CLIENT_KINDS, type ClientPair, clientPair, uniqueKey } from "./helpers/redis.js";

describe.each(CLIENT_KINDS)("createRedisDirectory over %s", (kind) => {
  let pair: ClientPair;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    pair = await clientPair(kind);
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await pair.quit();
  });

  it("registers with a lease (SET PX under the prefix), looks up, unregisters", async () => {
    const prefix = `${uniqueKey("dir")}:`;
    const directory = createRedisDirectory(pair.pub, { prefix });
    const raw = wrapRedisClient(pair.pub);
    expect(await directory.lookup("abc123")).toBeUndefined();
    await directory.register("abc123", "10.0.0.7:40123", 60_000);
    expect(await directory.lookup("abc123")).toBe("10.0.0.7:40123");
    expect(await raw.command(["GET", `${prefix}abc123`])).toBe("10.0.0.7:40123");
    const ttl = Number(await raw.command(["PTTL", `${prefix}abc123`]));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await directory.unregister("abc123");
    expect(await directory.lookup("abc123")).toBeUndefined();
    expect(await raw.command(["EXISTS", `${prefix}abc123`])).toBe(0);
  });

  it("an entry whose lease is not renewed expires", async () => {
    const directory = createRedisDirectory(pair.pub, { prefix: `${uniqueKey("dir")}:` });
    await directory.register("short1", "127.0.0.1:1234", 30);
    while ((await directory.lookup("short1")) !== undefined) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await directory.lookup("short1")).toBeUndefined();
  });

  it("the default prefix is switchboard:node:", async () => {
    const directory = createRedisDirectory(pair.pub);
    const tag = uniqueKey("n").slice(0, 6);
    await directory.register(tag, "127.0.0.1:4321", 60_000);
    cleanups.push(() => directory.unregister(tag));
    expect(await wrapRedisClient(pair.pub).command(["GET", `switchboard:node:${tag}`])).toBe(
      "127.0.0.1:4321",
    );
  });

  it("two forwarding servers sharing it behind a round-robin balancer serve a polling client", async () => {
    const directory = createRedisDirectory(pair.pub, { prefix: `${uniqueKey("dir")}:` });
    const ports: number[] = [];
    const servers: Server[] = [];
    for (let i = 0; i < 2; i++) {
      const http = createServer();
      const io = new Server(http, { forwarding: { directory } });
      io.on("connection", (socket) => {
        socket.on("ping", (n: number, ack: (answer: number) => void) => ack(n + 1));
      });
      await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
      await io.engine.forwardingReady();
      cleanups.push(() => io.close());
      ports.push((http.address() as AddressInfo).port);
      servers.push(io);
    }
    const lb = await createBalancer(ports.map((port) => `127.0.0.1:${port}`));
    cleanups.push(() => lb.close());
    const socket = ioc(lb.url, { forceNew: true, reconnection: false, transports: ["polling"] });
    cleanups.push(async () => socket.disconnect());
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    });
    for (let i = 0; i < 10; i++)
      expect(await socket.timeout(5000).emitWithAck("ping", i)).toBe(i + 1);
    // Requests alternated between the two nodes; the session lives on one of them.
    expect(Object.keys(lb.stats.byTarget)).toHaveLength(2);
    expect(servers.map((io) => io.engine.clientsCount).sort()).toEqual([0, 1]);
    // Closing a server removes its entry.
    const tag = servers[0]!.engine.nodeTag!;
    expect(await directory.lookup(tag)).toMatch(/^127\.0\.0\.1:\d+$/);
    await servers[0]!.close();
    expect(await directory.lookup(tag)).toBeUndefined();
  });
});

import { io as sbio } from "@switchboard/client";
import { io as ioc } from "socket.io-client";
import { describe, expect, it } from "vitest";
import { createMemoryDirectory } from "../../src/index.js";
import { createBalancer } from "../../src/testing/index.js";
import { forwardingState, onCleanup, once, startCluster, startNode, until } from "./cluster.js";

describe("forwarding state is cleaned up", () => {
  it("after 60 sessions through a 3-node balancer (upgrade and polling, both clients), every map is empty", async () => {
    const { nodes, lb } = await startCluster(3);
    for (const node of nodes) {
      node.io.on("connection", (socket) => {
        socket.on("ping", (n: number, ack: (answer: number) => void) => ack(n + 1));
      });
    }
    const kinds = [
      () => ioc(lb.url, { forceNew: true, reconnection: false }),
      () => ioc(lb.url, { forceNew: true, reconnection: false, transports: ["polling"] }),
      () => sbio(lb.url, { forceNew: true, reconnection: false }),
    ];
    for (let round = 0; round < 4; round++) {
      const sockets = Array.from({ length: 15 }, (_, i) => kinds[i % kinds.length]!());
      for (const socket of sockets) onCleanup(() => socket.disconnect());
      await Promise.all(sockets.map((socket) => once(socket, "connect")));
      const answers = await Promise.all(
        sockets.map((socket, i) => socket.timeout(5000).emitWithAck("ping", i)),
      );
      expect(answers).toEqual(sockets.map((_, i) => i + 1));
      for (const socket of sockets) socket.disconnect();
    }
    await until(
      () => Object.values(forwardingState(nodes)).every((n) => n === 0),
      10_000,
      "sessions, forwarded requests, tunnels and lookups to end",
    );
    expect(forwardingState(nodes)).toEqual({ lookups: 0, requests: 0, tunnels: 0, sessions: 0 });
    // The lookup cache holds at most one entry per other node.
    for (const node of nodes) {
      expect(node.io.engine.forwardingSizes()!.cached).toBeLessThanOrEqual(nodes.length - 1);
    }
    expect(lb.stats.upgrades).toBeGreaterThan(0);
  });
});

describe("createBalancer", () => {
  it("skips a target that refuses connections, and answers 502 when every target does", async () => {
    const node = await startNode(createMemoryDirectory());
    node.io.on("connection", (socket) => {
      socket.on("ping", (n: number, ack: (answer: number) => void) => ack(n + 1));
    });
    // Port 1 on loopback refuses.
    const lb = await createBalancer(["127.0.0.1:1", { host: "127.0.0.1", port: node.port }]);
    onCleanup(() => lb.close());
    const socket = ioc(lb.url, { forceNew: true, reconnection: false });
    onCleanup(() => socket.disconnect());
    await once(socket, "connect");
    expect(await socket.timeout(5000).emitWithAck("ping", 1)).toBe(2);
    await until(() => socket.io.engine.transport.name === "websocket", 10_000, "the upgrade");
    expect(lb.stats.refused).toBeGreaterThan(0);
    expect(lb.stats.byTarget["127.0.0.1:1"]).toBeUndefined();
    expect(lb.stats.byTarget[`127.0.0.1:${node.port}`]).toBe(lb.stats.requests + lb.stats.upgrades);

    lb.setTargets(["http://127.0.0.1:1"]);
    const answer = await fetch(`${lb.url}/socket.io/?EIO=4&transport=polling`);
    expect(answer.status).toBe(502);
  });
});

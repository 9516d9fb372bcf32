import { describe, expect, it } from "vitest";
import { type ContractHarness, eventNames, itWhen, settle } from "./harness.js";

type Data = { node: number; k: number };

/** fetchSockets and remote sockets, socketsJoin/Leave, disconnectSockets, serverSideEmit. */
export function remoteContract(h: ContractHarness): void {
  describe("fetchSockets", () => {
    it.each(h.nodeCounts)(
      "returns every socket of a %i-node cluster, with its details",
      async (n) => {
        const { nodes, all } = await h.cluster(n, { perNode: 2 });
        for (const io of nodes) {
          const sockets = await io.fetchSockets();
          expect(sockets.map((s) => s.id).sort()).toEqual(
            all()
              .map((c) => c.id)
              .sort(),
          );
          for (const s of sockets) {
            const { node, k } = s.data as Data;
            expect(s.rooms).toEqual(new Set([s.id, `room-${k}`]));
            expect(s.handshake.auth).toEqual({ k });
            expect(typeof s.handshake.address).toBe("string");
            expect(node).toBeLessThan(n);
          }
        }
      },
    );

    it("selects by rooms and except, on every node", async () => {
      const { nodes } = await h.cluster(h.maxNodes, { perNode: 3 });
      const nodesOf = async (select: { fetchSockets(): Promise<{ data: unknown }[]> }) =>
        (await select.fetchSockets()).map((s) => (s.data as Data).node).sort();
      const every = [...nodes.keys()];
      expect(await nodesOf(nodes[0]!.in("room-1"))).toEqual(every);
      expect(await nodesOf(nodes[0]!.in(["room-0", "room-1"]).except("room-0"))).toEqual(every);
      expect(await nodes[0]!.in("nobody").fetchSockets()).toEqual([]);
      // local: this node's only
      expect((await nodes[0]!.local.fetchSockets()).map((s) => (s.data as Data).node)).toEqual([
        0, 0, 0,
      ]);
    });

    it("gives remote sockets that emit, join, leave and disconnect across nodes", async () => {
      const { nodes, clients } = await h.cluster(h.maxNodes, { perNode: 2 });
      const last = h.maxNodes - 1;
      const target = clients[last]![1]!;
      const [remote] = await nodes[0]!.in(target.id!).fetchSockets();
      expect(remote?.id).toBe(target.id);
      remote!.emit("direct", "hi", { n: 1 });
      expect(await target.waitFor("direct")).toEqual(["hi", { n: 1 }]);

      remote!.join(["vip", "vip-2"]);
      await h
        .eventually(async () => [...(await nodes[0]!.in("vip").fetchSockets())].map((s) => s.id))
        .toEqual([target.id]);
      expect(nodes[last]!.of("/").adapter.rooms.get("vip-2")?.has(target.id!)).toBe(true);
      nodes[0]!.to("vip").emit("vip-news");
      expect(await target.waitFor("vip-news")).toEqual([]);

      remote!.leave("vip");
      await h.eventually(async () => (await nodes[0]!.in("vip").fetchSockets()).length).toBe(0);
      expect(nodes[last]!.of("/").adapter.rooms.has("vip")).toBe(false);

      remote!.disconnect();
      expect(await target.waitForDisconnect(h.options.waitMs)).toBe("io server disconnect");
      // only the namespace: the connection stays open
      expect(target.client.closeReason).toBeUndefined();
      await h
        .eventually(async () => (await nodes[0]!.fetchSockets()).length)
        .toBe(2 * h.maxNodes - 1);
    });

    it("remote emit with an ack gets the one answer of that socket", async () => {
      const { nodes, clients } = await h.cluster(h.maxNodes, { perNode: 1 });
      const target = clients[h.maxNodes - 1]![0]!;
      target.on("question", (cb: (v: string) => void) => cb(`answer of ${target.id}`));
      const [remote] = await nodes[0]!.in(target.id!).fetchSockets();
      const [err, answer] = await new Promise<[Error | null, unknown]>((resolve) =>
        remote!
          .timeout(h.options.waitMs)
          .emit("question", (e: Error | null, a: unknown) => resolve([e, a])),
      );
      expect(err).toBeNull();
      expect(answer).toBe(`answer of ${target.id}`);
    });

    it("remote disconnect(true) closes the whole connection", async () => {
      const { nodes, clients } = await h.cluster(h.maxNodes, { perNode: 1 });
      const target = clients[h.maxNodes - 1]![0]!;
      const [remote] = await nodes[0]!.in(target.id!).fetchSockets();
      remote!.disconnect(true);
      await target.client.waitForClose(h.options.waitMs);
    });
  });

  describe("socketsJoin, socketsLeave, disconnectSockets", () => {
    it("socketsJoin and socketsLeave act on the selected sockets of every node", async () => {
      const { nodes, all } = await h.cluster(h.maxNodes, { perNode: 2 });
      nodes[h.maxNodes - 1]!.in("room-0").socketsJoin(["zero", "nil"]);
      await h
        .eventually(async () => (await nodes[0]!.in("zero").fetchSockets()).length)
        .toBe(h.maxNodes);
      nodes[0]!.to("nil").emit("to-nil");
      await settle(nodes[0]!, all());
      expect(all().filter((c) => eventNames(c).includes("to-nil"))).toHaveLength(h.maxNodes);
      nodes[0]!.except("room-1").socketsLeave("zero");
      await h.eventually(async () => (await nodes[0]!.in("zero").fetchSockets()).length).toBe(0);
      expect((await nodes[0]!.in("nil").fetchSockets()).length).toBe(h.maxNodes);
      // everyone joins, then the room empties: the room maps forget it on every node
      nodes[0]!.socketsJoin("everyone");
      await h
        .eventually(async () => (await nodes[0]!.in("everyone").fetchSockets()).length)
        .toBe(2 * h.maxNodes);
      nodes[0]!.socketsLeave(["everyone", "nil"]);
      for (const io of nodes) {
        await h.eventually(() => io.of("/").adapter.rooms.has("everyone")).toBe(false);
        await h.eventually(() => io.of("/").adapter.rooms.has("nil")).toBe(false);
      }
    });

    it("disconnectSockets disconnects the selected sockets of every node", async () => {
      const { nodes, clients } = await h.cluster(h.maxNodes, { perNode: 2 });
      nodes[0]!.in("room-1").disconnectSockets();
      for (const list of clients) {
        expect(await list[1]!.waitForDisconnect(h.options.waitMs)).toBe("io server disconnect");
        expect(list[1]!.client.closeReason).toBeUndefined();
      }
      await h.eventually(async () => (await nodes[0]!.fetchSockets()).length).toBe(h.maxNodes);
      expect(clients.every((list) => list[0]!.connected)).toBe(true);
      nodes[h.maxNodes - 1]!.disconnectSockets(true);
      await Promise.all(clients.map((list) => list[0]!.client.waitForClose(h.options.waitMs)));
      await h.eventually(async () => (await nodes[0]!.fetchSockets()).length).toBe(0);
    });
  });

  describe("serverSideEmit", () => {
    it.each(h.nodeCounts)(
      "reaches every other node of a %i-node cluster, not the sender",
      async (n) => {
        const heard: [number, unknown][] = [];
        const { nodes } = await h.cluster(n, {
          setup: (io, node) => io.on("hello", (v: unknown) => heard.push([node, v])),
        });
        nodes[0]!.serverSideEmit("hello", { from: 0 });
        await h.eventually(() => heard.length).toBe(n - 1);
        // a second round from another node: the first one is complete by then
        nodes[n - 1]!.serverSideEmit("hello", "again");
        await h.eventually(() => heard.length).toBe(2 * (n - 1));
        expect(heard.filter(([node, v]) => node === 0 && typeof v === "object")).toEqual([]);
        expect(heard.filter(([node, v]) => node === n - 1 && v === "again")).toEqual([]);
      },
    );

    it.each(h.nodeCounts)("gathers one answer per other node of a %i-node cluster", async (n) => {
      const { nodes } = await h.cluster(n, {
        setup: (io, node) => io.on("whoami", (cb: (v: number) => void) => cb(node)),
      });
      const answers = (await nodes[0]!.serverSideEmitWithAck("whoami")) as number[];
      expect(answers.sort()).toEqual([...nodes.keys()].slice(1));
      const callback = await new Promise<[Error | null, unknown[]]>((resolve) =>
        nodes[n - 1]!.serverSideEmit("whoami", (err: Error | null, responses: unknown[]) =>
          resolve([err, responses]),
        ),
      );
      expect(callback[0]).toBeNull();
      expect((callback[1] as number[]).sort()).toEqual([...nodes.keys()].slice(0, -1));
    });

    itWhen(h.maxNodes > 1)("fails the ack when another node never answers", async () => {
      const { nodes } = await h.cluster(h.maxNodes, {
        // node 1 hears the event but never answers
        setup: (io, node) =>
          io.on("whoami", (cb: (v: number) => void) => {
            if (node !== 1) cb(node);
          }),
      });
      await expect(nodes[0]!.serverSideEmitWithAck("whoami")).rejects.toBeInstanceOf(Error);
    });
  });
}

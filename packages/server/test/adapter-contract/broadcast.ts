import { describe, expect, it } from "vitest";
import { type ContractHarness, eventNames, itWhen, settle } from "./harness.js";

type Ack = (err: Error | null, responses: unknown[]) => void;

/** serverCount, broadcasts (rooms, except, flags) and broadcasts with acks, over 1..N nodes. */
export function broadcastContract(h: ContractHarness): void {
  describe("serverCount", () => {
    it.each(h.nodeCounts)("counts every node of a %i-node cluster, on each node", async (n) => {
      const { nodes } = await h.cluster(n);
      for (const io of nodes) expect(await io.of("/").adapter.serverCount()).toBe(n);
    });

    itWhen(h.maxNodes > 1)("forgets a node once it closed", async () => {
      const { nodes } = await h.cluster(h.maxNodes);
      await nodes[nodes.length - 1]!.close();
      await h.eventually(() => nodes[0]!.of("/").adapter.serverCount()).toBe(h.maxNodes - 1);
    });
  });

  describe("broadcast", () => {
    it.each(h.nodeCounts)("reaches every socket of a %i-node cluster, once", async (n) => {
      const { nodes, all } = await h.cluster(n, { perNode: 2 });
      nodes[n - 1]!.emit("all", 1, { two: [2] });
      await settle(nodes[n - 1]!, all());
      for (const c of all())
        expect(c.received.filter(([e]) => e === "all")).toEqual([["all", 1, { two: [2] }]]);
    });

    it("reaches the sockets of any of the rooms, each once, on every node", async () => {
      const { nodes, clients, all } = await h.cluster(h.maxNodes, { perNode: 3 });
      // every client is in room-<k>; clients 0 and 1 of every node are in "both" too
      for (const io of nodes) io.in(["room-0", "room-1"]).socketsJoin("both");
      await h
        .eventually(async () => (await nodes[0]!.in("both").fetchSockets()).length)
        .toBe(2 * h.maxNodes);
      nodes[0]!.to("room-1").emit("r1");
      nodes[0]!.to(["room-0", "both"]).emit("r0-or-both");
      await settle(nodes[0]!, all());
      for (const list of clients) {
        expect(list.map((c) => eventNames(c).filter((e) => e === "r1").length)).toEqual([0, 1, 0]);
        expect(list.map((c) => eventNames(c).filter((e) => e === "r0-or-both").length)).toEqual([
          1, 1, 0,
        ]);
      }
    });

    it("leaves out the sockets of the except rooms, on every node", async () => {
      const { nodes, clients, all } = await h.cluster(h.maxNodes, { perNode: 3 });
      nodes[0]!.except("room-1").emit("not-r1");
      nodes[0]!.to(["room-0", "room-1"]).except("room-0").emit("r1-only");
      nodes[0]!.except(["room-0", "room-2"]).emit("r1-again");
      await settle(nodes[0]!, all());
      for (const list of clients) {
        expect(list.map((c) => eventNames(c).includes("not-r1"))).toEqual([true, false, true]);
        expect(list.map((c) => eventNames(c).includes("r1-only"))).toEqual([false, true, false]);
        expect(list.map((c) => eventNames(c).includes("r1-again"))).toEqual([false, true, false]);
      }
    });

    it("reaches one socket on another node through its own-id room, and leaves one out the same way", async () => {
      const { nodes, clients, all } = await h.cluster(h.maxNodes, { perNode: 2 });
      const target = clients[h.maxNodes - 1]![1]!;
      nodes[0]!.to(target.id!).emit("just-you");
      nodes[0]!.except(target.id!).emit("all-but-you");
      await settle(nodes[0]!, all());
      for (const c of all()) {
        expect(eventNames(c).includes("just-you")).toBe(c === target);
        expect(eventNames(c).includes("all-but-you")).toBe(c !== target);
      }
    });

    it("socket.broadcast and socket.to() leave out the sender, across nodes", async () => {
      const { nodes, clients, all } = await h.cluster(h.maxNodes, {
        perNode: 2,
        setup: (io) =>
          io.on("connection", (socket) => {
            socket.on("shout", () => socket.broadcast.emit("heard"));
            socket.on("shout-r0", () => socket.to("room-0").emit("heard-r0"));
          }),
      });
      const sender = clients[0]![0]!;
      sender.emit("shout");
      sender.emit("shout-r0");
      await h
        .eventually(() => all().filter((c) => eventNames(c).includes("heard-r0")).length)
        .toBe(h.maxNodes - 1);
      await settle(nodes[0]!, all());
      expect(all().filter((c) => eventNames(c).includes("heard"))).toHaveLength(2 * h.maxNodes - 1);
      expect(eventNames(sender)).not.toContain("heard");
      expect(eventNames(sender)).not.toContain("heard-r0");
    });

    it("local: stays on the node that sends it", async () => {
      const { nodes, clients, all } = await h.cluster(h.maxNodes, { perNode: 1 });
      nodes[0]!.local.emit("here");
      nodes[0]!.local.to("room-0").emit("here-r0");
      await settle(nodes[0]!, all());
      for (const [n, list] of clients.entries()) {
        expect(eventNames(list[0]!).includes("here")).toBe(n === 0);
        expect(eventNames(list[0]!).includes("here-r0")).toBe(n === 0);
      }
    });

    it("volatile and compress(false): delivered to sockets that can take them, on every node", async () => {
      // in-process connections are always writable: volatile packets are not shed here
      const { nodes, all } = await h.cluster(h.maxNodes, { perNode: 1 });
      nodes[0]!.volatile.emit("v", 1);
      nodes[0]!.compress(false).emit("c", 2);
      nodes[0]!.volatile.to("room-0").emit("vr", 3);
      await settle(nodes[0]!, all());
      for (const c of all()) {
        expect(c.received.filter(([e]) => e !== "settled")).toEqual([
          ["v", 1],
          ["c", 2],
          ["vr", 3],
        ]);
      }
    });

    it("carries binary data and nested objects to every node", async () => {
      const { nodes, all } = await h.cluster(h.maxNodes, { perNode: 1 });
      nodes[0]!.emit("bin", new Uint8Array([1, 2, 3]), { nested: { at: [new Uint8Array([4])] } });
      for (const c of all()) {
        const [bytes, nested] = await c.waitFor("bin");
        expect(new Uint8Array(bytes as Uint8Array)).toEqual(new Uint8Array([1, 2, 3]));
        const inner = (nested as { nested: { at: Uint8Array[] } }).nested.at[0]!;
        expect(new Uint8Array(inner)).toEqual(new Uint8Array([4]));
      }
    });
  });

  describe("broadcast with acks", () => {
    it.each(h.nodeCounts)("collects one answer per socket of a %i-node cluster", async (n) => {
      const { nodes, all } = await h.cluster(n, { perNode: 2 });
      for (const [i, c] of all().entries()) c.on("ping", (cb: (v: number) => void) => cb(i));
      const responses = await nodes[0]!.timeout(h.options.waitMs).emitWithAck("ping");
      expect((responses as number[]).sort((a, b) => a - b)).toEqual([...all().keys()]);
    });

    it("waits only for the recipients: rooms, except, and nodes with none", async () => {
      const { nodes, all } = await h.cluster(h.maxNodes, { perNode: 2 });
      for (const c of all()) c.on("ping", (cb: (v: string) => void) => cb(c.id!));
      const r1 = await nodes[0]!.to("room-1").timeout(h.options.waitMs).emitWithAck("ping");
      expect(r1).toHaveLength(h.maxNodes);
      const others = await nodes[0]!.except("room-1").timeout(h.options.waitMs).emitWithAck("ping");
      expect(others).toHaveLength(h.maxNodes);
      // one recipient, on the last node: every other node answers with zero recipients
      const target = all()[all().length - 1]!;
      expect(await nodes[0]!.to(target.id!).timeout(h.options.waitMs).emitWithAck("ping")).toEqual([
        target.id,
      ]);
    });

    it("answers at once with no responses when there is no recipient anywhere", async () => {
      const { nodes } = await h.cluster(h.maxNodes, { perNode: 1 });
      // a timeout far beyond the test's: only the recipient counts can end the wait
      const answer = await nodes[0]!.to("nobody").timeout(600_000).emitWithAck("ping");
      expect(answer).toEqual([]);
    });

    it("times out with the answers that came, when a recipient never answers", async () => {
      const { nodes, clients } = await h.cluster(h.maxNodes, { perNode: 1 });
      // everyone answers but the client of the last node
      for (const list of clients.slice(0, -1)) {
        list[0]!.on("ping", (cb: (v: string) => void) => cb("pong"));
      }
      const result = await new Promise<[Error | null, unknown[]]>((resolve) =>
        nodes[0]!.timeout(500).emit("ping", ((err, responses) => resolve([err, responses])) as Ack),
      );
      expect(result[0]).toBeInstanceOf(Error);
      expect(result[1]).toEqual(Array(h.maxNodes - 1).fill("pong"));
    });

    it("stops waiting for a recipient of the sending node that disconnects", async () => {
      const { nodes, clients } = await h.cluster(h.maxNodes, { perNode: 1 });
      const leaver = clients[0]![0]!;
      for (const list of clients) {
        const c = list[0]!;
        c.on("ping", (cb: (v: string) => void) => {
          if (c === leaver) c.client.close();
          else cb("pong");
        });
      }
      const responses = await nodes[0]!.timeout(600_000).emitWithAck("ping");
      expect(responses).toEqual(Array(h.maxNodes - 1).fill("pong"));
    });
  });
}

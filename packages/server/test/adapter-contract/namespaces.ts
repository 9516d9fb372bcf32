import type { ParentNamespace, Server } from "@switchboard/server";
import type { TestSocket } from "@switchboard/server/testing";
import { describe, expect, it } from "vitest";
import { type ContractHarness, eventNames, settle } from "./harness.js";

/** The rooms/sids maps and their cleanup, per-namespace adapters, dynamic namespaces. */
export function namespacesContract(h: ContractHarness): void {
  describe("rooms and sids", () => {
    it("map this node's sockets and rooms, own-id rooms included", async () => {
      const { nodes, clients } = await h.cluster(h.maxNodes, { perNode: 2 });
      nodes.forEach((io, n) => {
        const { rooms, sids } = io.of("/").adapter;
        const [c0, c1] = clients[n]!;
        expect(rooms.get("room-0")).toEqual(new Set([c0!.id]));
        expect(rooms.get("room-1")).toEqual(new Set([c1!.id]));
        expect(rooms.get(c0!.id!)).toEqual(new Set([c0!.id]));
        expect(sids.get(c1!.id!)).toEqual(new Set([c1!.id, "room-1"]));
        // other nodes' sockets are not in this node's maps
        for (const other of clients.flat()) {
          if (other !== c0 && other !== c1) expect(sids.has(other.id!)).toBe(false);
        }
        expect(io.of("/").adapter.socketRooms(c0!.id!)).toEqual(new Set([c0!.id, "room-0"]));
      });
    });

    // not part of the Adapter interface (socket.io's cluster adapters and the Redis adapter
    // have it): run only for an adapter that declares it
    if (h.options.allRooms) {
      it("allRooms(): every room of every node", async () => {
        const { nodes, all } = await h.cluster(h.maxNodes, { perNode: 2 });
        const adapter = nodes[0]!.of("/").adapter as unknown as {
          allRooms(): Promise<Set<string>>;
        };
        nodes[h.maxNodes - 1]!.in("room-1").socketsJoin("late");
        await h
          .eventually(async () => (await nodes[0]!.in("late").fetchSockets()).length)
          .toBe(h.maxNodes);
        const rooms = await adapter.allRooms();
        expect([...rooms].sort()).toEqual(
          [...all().map((c) => c.id!), "room-0", "room-1", "late"].sort(),
        );
      });
    }

    it("end empty after many connects, joins, leaves and disconnects (no leak)", async () => {
      const { nodes } = await h.cluster(h.maxNodes, {
        setup: (io) => {
          for (const nsp of ["/", "/chat"]) {
            io.of(nsp).on("connection", (socket) => {
              socket.on("join", (rooms: string[], cb: () => void) => {
                socket.join(rooms);
                cb();
              });
              socket.on("leave", (room: string, cb: () => void) => {
                socket.leave(room);
                cb();
              });
            });
          }
        },
      });
      await h.ready(nodes, "/chat");
      const events = countRoomEvents(nodes, ["/", "/chat"]);
      for (let round = 0; round < 3; round++) {
        const sockets: TestSocket[] = [];
        for (const [n, io] of nodes.entries()) {
          for (let i = 0; i < 6; i++) {
            const socket = await h.connect(io, i % 2 === 0 ? "/" : "/chat", { k: i });
            await socket.emitWithAck("join", [`r-${i % 3}`, `n-${n}`, "shared"]);
            if (i % 3 === 0) await socket.emitWithAck("leave", "shared");
            sockets.push(socket);
          }
        }
        // a cross-node join of a room nobody else has, then everyone leaves in some way
        nodes[0]!.in("shared").socketsJoin("remote-only");
        await h
          .eventually(async () => (await nodes[0]!.in("remote-only").fetchSockets()).length)
          .toBe(2 * h.maxNodes);
        sockets.forEach((socket, i) => {
          if (i % 3 === 0) socket.disconnect();
          else if (i % 3 === 1) socket.client.close();
        });
        nodes[0]!.of("/chat").disconnectSockets();
        nodes[h.maxNodes - 1]!.disconnectSockets(true);
        for (const io of nodes) {
          for (const nsp of ["/", "/chat"]) {
            await h.eventually(() => io.of(nsp).sockets.size).toBe(0);
          }
        }
      }
      for (const io of nodes) {
        for (const nsp of ["/", "/chat"]) {
          const adapter = io.of(nsp).adapter;
          expect([adapter.rooms.size, adapter.sids.size]).toEqual([0, 0]);
          expect([...adapter.rooms.keys()]).toEqual([]);
        }
      }
      expect(events.created).toBe(events.deleted);
      expect(events.joined).toBe(events.left);
    });
  });

  describe("namespaces", () => {
    it("each namespace has its own adapter, rooms and broadcasts, on every node", async () => {
      const heard: string[] = [];
      const { nodes, clients, all } = await h.cluster(h.maxNodes, {
        perNode: 1,
        setup: (io, n) => {
          io.of("/chat").on("connection", (socket) => socket.join("room-0"));
          io.of("/chat").on("hello", () => heard.push(`chat@${n}`));
          io.on("hello", () => heard.push(`main@${n}`));
        },
      });
      await h.ready(nodes, "/chat");
      expect(nodes[0]!.of("/chat").adapter).not.toBe(nodes[0]!.of("/").adapter);
      const chat = await Promise.all(nodes.map((io) => h.connect(io, "/chat")));
      nodes[0]!.of("/chat").to("room-0").emit("chat-news");
      nodes[0]!.to("room-0").emit("main-news");
      await Promise.all(chat.map((c) => c.waitFor("chat-news")));
      await settle(nodes[0]!, all());
      for (const c of all()) {
        expect(eventNames(c)).toEqual(["main-news", "settled"]);
      }
      for (const c of chat) expect(eventNames(c)).toEqual(["chat-news"]);
      expect((await nodes[0]!.of("/chat").fetchSockets()).map((s) => s.id).sort()).toEqual(
        chat.map((c) => c.id).sort(),
      );
      expect(clients.flat().every((c) => c.connected)).toBe(true);
      nodes[0]!.of("/chat").serverSideEmit("hello");
      await h.eventually(() => heard.length).toBe(h.maxNodes - 1);
      expect(heard.every((e) => e.startsWith("chat@"))).toBe(true);
    });

    it("dynamic namespaces: children of the same name share broadcasts across nodes", async () => {
      const parents: ParentNamespace[] = [];
      const { nodes } = await h.cluster(h.maxNodes, {
        setup: (io) => {
          const parent = io.of(/^\/dyn-\d+$/);
          parent.on("connection", (socket) => socket.join("in-dyn"));
          parents.push(parent);
        },
      });
      const dyn = await Promise.all(nodes.map((io) => h.connect(io, "/dyn-1")));
      await h.ready(nodes, "/dyn-1");
      nodes[h.maxNodes - 1]!.of("/dyn-1").to("in-dyn").emit("to-child");
      await Promise.all(dyn.map((c) => c.waitFor("to-child")));
      expect((await nodes[0]!.of("/dyn-1").fetchSockets()).length).toBe(h.maxNodes);
      // a broadcast on a parent goes to its children, and through them to the other nodes
      parents[0]!.emit("to-parent");
      await Promise.all(dyn.map((c) => c.waitFor("to-parent")));
      // another child of the same parent is another namespace
      const other = await h.connect(nodes[0]!, "/dyn-2");
      nodes[0]!.of("/dyn-2").emit("only-dyn-2");
      await other.waitFor("only-dyn-2");
      nodes[0]!.of("/dyn-1").emit("settled");
      await Promise.all(dyn.map((c) => c.waitFor("settled")));
      for (const c of dyn) expect(eventNames(c)).toEqual(["to-child", "to-parent", "settled"]);
      expect(eventNames(other)).toEqual(["only-dyn-2"]);
    });
  });
}

/** Counts the room events of every adapter of `nsps` on `nodes`. */
function countRoomEvents(nodes: Server[], nsps: string[]) {
  const counts = { created: 0, deleted: 0, joined: 0, left: 0 };
  for (const io of nodes) {
    for (const nsp of nsps) {
      const adapter = io.of(nsp).adapter;
      adapter.on("create-room", () => counts.created++);
      adapter.on("delete-room", () => counts.deleted++);
      adapter.on("join-room", () => counts.joined++);
      adapter.on("leave-room", () => counts.left++);
    }
  }
  return counts;
}

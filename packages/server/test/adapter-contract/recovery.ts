import type { Socket } from "@switchboard/server";
import { describe, expect } from "vitest";
import { type ContractHarness, itWhen } from "./harness.js";

const RECOVERY = { connectionStateRecovery: { maxDisconnectionDuration: 60_000 } };

/**
 * Connection state recovery through the adapter's persistSession/restoreSession: a socket
 * whose transport closed comes back (same id, rooms, data) and gets the broadcasts it missed;
 * an adapter without recovery starts a fresh session instead.
 */
export function recoveryContract(h: ContractHarness): void {
  describe("connection state recovery", () => {
    /** Node 0's client k=1 misses broadcasts; returns what it needs to come back. */
    async function leaveAndMiss() {
      const recovered: Socket[] = [];
      const cluster = await h.cluster(h.maxNodes, {
        serverOptions: RECOVERY,
        setup: (io) =>
          io.on("connection", (socket) => {
            if (socket.recovered) recovered.push(socket);
          }),
      });
      const { nodes } = cluster;
      const socket = await h.connect(nodes[0]!, "/", { k: 1 });
      // the offset of a received broadcast is where the client resumes
      nodes[0]!.emit("before", 0);
      const [, offset] = await socket.waitFor("before");
      const pid = socket.pid;
      const id = socket.id;
      socket.client.close();
      await socket.waitForDisconnect(h.options.waitMs);
      await h.eventually(async () => (await nodes[0]!.fetchSockets()).length).toBe(0);
      const last = nodes[h.maxNodes - 1]!;
      nodes[0]!.to("room-1").emit("missed", 1);
      last.emit("missed", 2);
      nodes[0]!.to("room-2").emit("not-for-it", 3);
      last.except("room-1").emit("not-for-it", 4);
      nodes[0]!.emit("missed", 5);
      return { nodes, pid, id, offset, recovered };
    }

    itWhen(h.options.recovery !== "none")(
      "restores id, rooms, data and the missed broadcasts on the node the socket left",
      async () => {
        const { nodes, pid, id, offset, recovered } = await leaveAndMiss();
        expect(typeof pid).toBe("string");
        expect(typeof offset).toBe("string");
        await expectRecovery(nodes[0]!, { pid, id, offset, recovered });
      },
    );

    itWhen(h.options.recovery === "cluster" && h.maxNodes > 1)(
      "restores the session on another node",
      async () => {
        const { nodes, pid, id, offset, recovered } = await leaveAndMiss();
        await expectRecovery(nodes[h.maxNodes - 1]!, { pid, id, offset, recovered });
      },
    );

    itWhen(h.options.recovery === "none")(
      "starts a fresh session when the adapter does not recover",
      async () => {
        const { nodes, pid, id, offset, recovered } = await leaveAndMiss();
        const again = await h.connect(nodes[0]!, "/", { k: 1, pid, offset: offset ?? "0" });
        expect(again.id).not.toBe(id);
        expect(recovered).toEqual([]);
        expect(again.received).toEqual([]);
      },
    );

    async function expectRecovery(
      io: Awaited<ReturnType<typeof leaveAndMiss>>["nodes"][number],
      state: { pid?: string; id?: string; offset: unknown; recovered: Socket[] },
    ) {
      const again = await h.connect(io, "/", { k: 1, pid: state.pid, offset: state.offset });
      expect(again.id).toBe(state.id);
      await h.eventually(() => again.received.length).toBe(3);
      const missed = again.received.map(([event, value]) => [event, value]);
      if (h.options.recovery === "cluster") {
        // One order for every client (the cluster log's): each node's emits in the order it
        // made them, emits made at once on two nodes either way.
        expect([...missed].sort()).toEqual([
          ["missed", 1],
          ["missed", 2],
          ["missed", 5],
        ]);
        expect(missed.filter(([, value]) => value !== 2)).toEqual([
          ["missed", 1],
          ["missed", 5],
        ]);
      } else {
        expect(missed).toEqual([
          ["missed", 1],
          ["missed", 2],
          ["missed", 5],
        ]);
      }
      expect(state.recovered).toHaveLength(1);
      const socket = state.recovered[0]!;
      expect(socket.id).toBe(state.id);
      expect(socket.data).toEqual({ node: 0, k: 1 });
      expect(socket.rooms).toEqual(new Set([state.id, "room-1"]));
      const third = await h.connect(io, "/", { k: 1, pid: state.pid, offset: state.offset });
      if (h.options.recovery === "cluster") {
        // The session lives on while connected: a client coming back with it takes it over
        // (its old connection may not be noticed dead yet), and the older copy is dropped.
        expect(third.id).toBe(state.id);
        await again.waitForDisconnect(h.options.waitMs);
      } else {
        // the session is gone from the store once restored
        expect(third.id).not.toBe(state.id);
      }
    }
  });
}

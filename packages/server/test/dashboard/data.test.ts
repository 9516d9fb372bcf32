import type { NodeInfo, RoomsPage, SocketsPage } from "@switchboard/server/dashboard";
import { describe, expect, it } from "vitest";
import { CLIENTS, ready } from "../guards/clients.js";
import { once } from "../socket/helpers.js";
import { ask, connected, fetchToken, pageSocket, withDashboard } from "./helpers.js";

/**
 * Issue 19 part 2: what the page is told about one node, against traffic the test made,
 * and the page's actions on real clients (ours and the official one).
 */

interface Overview {
  node: string;
  nodes: NodeInfo[];
  missing: unknown[];
  error: string | null;
}

async function page(url: string) {
  return connected(pageSocket(url, { token: await fetchToken(url) }));
}

describe.each(CLIENTS)("dashboard data with $name", (client) => {
  it("shows nodes, sockets (rooms, data, transport), rooms, events and acks; hides its own namespace", async () => {
    const { io, url, d } = await withDashboard();
    io.on("connection", (socket) => {
      socket.data = { user: `u-${socket.handshake.auth.n}` };
      socket.join(["lobby", `team-${Number(socket.handshake.auth.n) % 2}`]);
      socket.on("ping-me", (ack: (n: number) => void) => ack(1));
    });
    io.of("/chat").on("connection", () => {});
    const clients = [];
    for (let n = 0; n < 5; n++) {
      const c = await ready(client.connect(url, { auth: { n } }));
      c.on("question", ((ack: (n: number) => void) => ack(42)) as never);
      clients.push(c);
    }
    await ready(client.connect(`${url}/chat`));
    const p = await page(url);
    for (const c of clients) await c.timeout(4000).emitWithAck("ping-me");
    const sockets = [...io.of("/").sockets.values()];
    await Promise.all(sockets.map((s) => s.timeout(4000).emitWithAck("question")));

    const o = await ask<Overview>(p, "overview");
    expect(o.node).toBe(d.nodeId);
    expect(o.missing).toEqual([]);
    expect(o.nodes).toHaveLength(1);
    const node = o.nodes[0]!;
    expect(node).toMatchObject({ id: d.nodeId, pid: process.pid, version: process.version });
    expect(node.sockets).toEqual({ "/": 5, "/chat": 1 });
    // The page's own session counts as a websocket session; the page's namespace does not.
    expect(node.sessions.websocket).toBe(7);
    expect(node.memory.rss).toBeGreaterThan(0);

    // Events in: 5 "ping-me" (the page's own requests are not counted); wait for their second to close.
    await expect
      .poll(
        async () => {
          const h = (await ask<Overview>(p, "overview")).nodes[0]!.history;
          return h.reduce((sum, row) => sum + row.in, 0);
        },
        { timeout: 5000 },
      )
      .toBe(5);
    const history = (await ask<Overview>(p, "overview")).nodes[0]!.history;
    expect(history.reduce((s, r) => s + r.out, 0)).toBe(5); // the 5 "question" events
    const acks = history.filter((r) => r.acks > 0);
    expect(acks.reduce((s, r) => s + r.acks, 0)).toBe(5);
    for (const row of acks) {
      expect(row.p50).toBeGreaterThanOrEqual(0);
      expect(row.p95).toBeGreaterThanOrEqual(row.p50!);
    }

    const list = await ask<SocketsPage>(p, "sockets", { nsp: "/" });
    expect(list.total).toBe(5);
    expect(list.next).toBeNull();
    expect(list.sockets.map((s) => s.id)).toEqual(sockets.map((s) => s.id).sort());
    const row = list.sockets.find((s) => s.id === sockets[3]!.id)!;
    expect(row).toMatchObject({
      nsp: "/",
      node: d.nodeId,
      transport: "websocket",
      rooms: ["lobby", "team-1"],
      roomCount: 2,
      data: '{"user":"u-3"}',
    });
    const byRoom = await ask<SocketsPage>(p, "sockets", { nsp: "/", query: "team-0" });
    expect(byRoom.total).toBe(3);
    const byId = await ask<SocketsPage>(p, "sockets", { nsp: "/", query: sockets[2]!.id });
    expect(byId.sockets.map((s) => s.id)).toEqual([sockets[2]!.id]);
    expect((await ask<SocketsPage>(p, "sockets", { nsp: "/_switchboard" })).total).toBe(0);

    const rooms = await ask<RoomsPage>(p, "rooms", { nsp: "/" });
    expect(rooms.rooms).toEqual([
      { name: "lobby", size: 5, nodes: 1 },
      { name: "team-0", size: 3, nodes: 1 },
      { name: "team-1", size: 2, nodes: 1 },
    ]);
    expect(rooms.total).toBe(3);
  });

  it("disconnects a socket, makes it join and leave a room, emits to a socket and a room", async () => {
    const { io, url } = await withDashboard();
    const a = await ready(client.connect(url));
    const b = await ready(client.connect(url));
    const [sa, sb] = [...io.of("/").sockets.values()];
    const p = await page(url);

    expect(await ask(p, "action", { type: "join", nsp: "/", id: sa!.id, room: "vip" })).toEqual({
      ok: true,
    });
    await expect.poll(() => sa!.rooms.has("vip")).toBe(true);

    const toRoom = once(a, "notice");
    const toB = once(b, "notice");
    await ask(p, "action", {
      type: "emit",
      nsp: "/",
      to: "vip",
      event: "notice",
      payload: '{"n":1}',
    });
    expect(await toRoom).toEqual([{ n: 1 }]);
    await ask(p, "action", {
      type: "emit",
      nsp: "/",
      to: sb!.id,
      event: "notice",
      payload: "[1,2]",
    });
    expect(await toB).toEqual([[1, 2]]);
    const bare = once(b, "bare");
    await ask(p, "action", { type: "emit", nsp: "/", to: sb!.id, event: "bare", payload: "" });
    expect(await bare).toEqual([]);

    await ask(p, "action", { type: "leave", nsp: "/", id: sa!.id, room: "vip" });
    await expect.poll(() => sa!.rooms.has("vip")).toBe(false);

    const gone = once(a, "disconnect");
    await ask(p, "action", { type: "disconnect", nsp: "/", id: sa!.id });
    expect((await gone)[0]).toBe("io server disconnect");
    await expect
      .poll(async () => (await ask<Overview>(p, "overview")).nodes[0]!.disconnects[0])
      .toMatchObject({ id: sa!.id, nsp: "/", reason: "server namespace disconnect" });
    expect(b.connected).toBe(true);
  });
});

describe("dashboard limits and hostile requests", () => {
  it("refuses malformed actions with stable codes; read-only refuses every action", async () => {
    const { io, url } = await withDashboard({ maxPayloadBytes: 64 });
    io.on("connection", () => {});
    const p = await page(url);
    const code = async (args: unknown) =>
      ((await p.timeout(4000).emitWithAck("action", args)) as { error?: { code: string } }).error
        ?.code;
    expect(await code(null)).toBe("SB_ERR_DASHBOARD_INVALID_ACTION");
    expect(await code({ type: "explode", nsp: "/" })).toBe("SB_ERR_DASHBOARD_INVALID_ACTION");
    expect(await code({ type: "disconnect", nsp: "/" })).toBe("SB_ERR_DASHBOARD_INVALID_ACTION");
    expect(await code({ type: "join", nsp: "/", id: "x", room: "r".repeat(300) })).toBe(
      "SB_ERR_DASHBOARD_INVALID_ACTION",
    );
    expect(await code({ type: "emit", nsp: "/", to: "x", event: "disconnect" })).toBe(
      "SB_ERR_DASHBOARD_INVALID_ACTION",
    );
    expect(await code({ type: "emit", nsp: "/", to: "x", event: "e", payload: "{oops" })).toBe(
      "SB_ERR_DASHBOARD_INVALID_PAYLOAD",
    );
    expect(
      await code({ type: "emit", nsp: "/", to: "x", event: "e", payload: `"${"x".repeat(100)}"` }),
    ).toBe("SB_ERR_DASHBOARD_INVALID_PAYLOAD");
    expect(await code({ type: "disconnect", nsp: "/nowhere", id: "x" })).toBe(
      "SB_ERR_DASHBOARD_UNKNOWN_NAMESPACE",
    );
    expect(await code({ type: "disconnect", nsp: "/_switchboard", id: p.id })).toBe(
      "SB_ERR_DASHBOARD_UNKNOWN_NAMESPACE",
    );
    const bad = (await p.timeout(4000).emitWithAck("sockets", { nsp: "/", limit: 10_000 })) as {
      error?: { code: string };
    };
    expect(bad.error?.code).toBe("SB_ERR_DASHBOARD_INVALID_ACTION");

    const ro = await withDashboard({ readOnly: true });
    const q = await page(ro.url);
    const answer = (await q
      .timeout(4000)
      .emitWithAck("action", { type: "disconnect", nsp: "/", id: "x" })) as {
      error?: { code: string };
    };
    expect(answer.error?.code).toBe("SB_ERR_DASHBOARD_READ_ONLY");
    expect(((await ask<Overview>(q, "overview")) as { readOnly?: boolean }).readOnly).toBe(true);
  });

  it("pages the sockets by id (keyset), bounded by pageSize; socket data is cut at maxDataBytes", async () => {
    const { io, url } = await withDashboard({ pageSize: 4, maxDataBytes: 40 });
    io.on("connection", (socket) => {
      socket.data = { big: "x".repeat(1000), self: null as unknown };
      (socket.data as { self: unknown }).self = socket.data; // circular: shown, not thrown
    });
    const clients = CLIENTS[1];
    for (let i = 0; i < 10; i++) await ready(clients.connect(url));
    const p = await page(url);
    const seen: string[] = [];
    let after = "";
    for (let pageNo = 0; pageNo < 5; pageNo++) {
      const list = await ask<SocketsPage>(p, "sockets", { nsp: "/", after, limit: 4 });
      expect(list.total).toBe(10);
      expect(list.sockets.length).toBeLessThanOrEqual(4);
      for (const s of list.sockets) expect(s.data.length).toBeLessThanOrEqual(41);
      seen.push(...list.sockets.map((s) => s.id));
      if (list.next === null) break;
      after = list.next;
    }
    expect(seen).toEqual([...io.of("/").sockets.keys()].sort());
    const tooMany = (await p.timeout(4000).emitWithAck("sockets", { nsp: "/", limit: 5 })) as {
      error?: unknown;
    };
    expect(tooMany.error).toBeDefined();
  });

  it("answers at most maxPendingRequests at once per page; the rest get busy", async () => {
    const { url } = await withDashboard({ maxPendingRequests: 1 });
    // Over long-polling the client sends what it queued meanwhile in one POST: the server
    // reads those requests in one go, before any of them is answered.
    const p = await connected(
      pageSocket(url, { token: await fetchToken(url) }, "/_switchboard", ["polling"]),
    );
    const answers = await Promise.all(
      Array.from(
        { length: 6 },
        () =>
          p.timeout(4000).emitWithAck("overview", {}) as Promise<{
            error?: { code: string } | null;
          }>,
      ),
    );
    const busy = answers.filter((a) => a.error?.code === "busy").length;
    expect(busy).toBeGreaterThan(0);
    expect(answers.length - busy).toBeGreaterThan(0);
    // Answered ones free their slot: a later request is served.
    expect((await ask<{ error?: unknown }>(p, "overview")).error).toBeNull();
  });

  it("keeps at most `disconnects` disconnect records", async () => {
    const { url } = await withDashboard({ disconnects: 3 });
    const client = CLIENTS[0];
    for (let i = 0; i < 6; i++) (await ready(client.connect(url))).disconnect();
    const p = await page(url);
    await expect
      .poll(async () => (await ask<Overview>(p, "overview")).nodes[0]!.disconnects.length)
      .toBe(3);
  });
});

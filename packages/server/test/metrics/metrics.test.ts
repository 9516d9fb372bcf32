import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type Socket, serveHealth } from "@switchboard/server";
import { metrics } from "@switchboard/server/metrics";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { CLIENTS, ready } from "../guards/clients.js";
import { client, listen, onCleanup, once, TRANSPORTS } from "../socket/helpers.js";
import { get, scrape, series, value } from "./scrape.js";

/**
 * Issue 19 parts 1 and 5: the Prometheus metrics, scraped over HTTP from a server that real
 * clients (ours and the official one) talk to; every value is checked against the traffic
 * the test made.
 */

/** A server with metrics on `/metrics`, its `connection` sockets handed to `onSocket`. */
async function metered(
  options: Parameters<typeof metrics>[1] = {},
  serverOptions: Parameters<typeof listen>[0] = {},
) {
  const l = await listen(serverOptions);
  const m = metrics(l.io, { path: "/metrics", ...options });
  onCleanup(() => m.close());
  return { ...l, m, scrapeUrl: `${l.url}/metrics` };
}

describe.each(CLIENTS)("metrics with $name", (client) => {
  it("counts sockets, handshakes, events, packets, acks and disconnects after known traffic", async () => {
    const { io, url, scrapeUrl } = await metered();
    const sockets: Socket[] = [];
    io.on("connection", (socket) => {
      sockets.push(socket);
      socket.on("echo", (n: number, ack: (n: number) => void) => ack(n));
    });
    const socket = await ready(client.connect(url));
    socket.on("question", ((n: number, ack: (a: number) => void) => ack(n * 2)) as never);
    for (let i = 0; i < 5; i++) expect(await socket.timeout(4000).emitWithAck("echo", i)).toBe(i);
    const server = sockets[0]!;
    expect(await server.timeout(4000).emitWithAck("question", 21)).toBe(42);

    const s = await scrape(scrapeUrl);
    expect(value(s, "switchboard_sockets", { namespace: "/", transport: "websocket" })).toBe(1);
    expect(value(s, "switchboard_engine_sessions", { transport: "websocket" })).toBe(1);
    expect(value(s, "switchboard_handshakes_total", { transport: "websocket" })).toBe(1);
    expect(value(s, "switchboard_connections_total", { recovered: "false" })).toBe(1);
    expect(value(s, "switchboard_events_received_total", { event: "echo" })).toBe(5);
    expect(value(s, "switchboard_packets_received_total", { type: "connect" })).toBe(1);
    expect(value(s, "switchboard_packets_received_total", { type: "event" })).toBe(5);
    expect(value(s, "switchboard_packets_received_total", { type: "ack" })).toBe(1);
    expect(value(s, "switchboard_packets_sent_total", { type: "connect" })).toBe(1);
    expect(value(s, "switchboard_packets_sent_total", { type: "ack" })).toBe(5);
    expect(value(s, "switchboard_packets_sent_total", { type: "event" })).toBe(1);
    // `420["echo",0]` … `424["echo",4]`: 13 bytes each, the engine digit included.
    expect(value(s, "switchboard_bytes_received_total", { type: "event" })).toBe(5 * 13);
    // `43<id>[<n>]` for ids 0-4: 6 bytes each.
    expect(value(s, "switchboard_bytes_sent_total", { type: "ack" })).toBe(5 * 6);
    expect(value(s, "switchboard_ack_round_trip_seconds_count")).toBe(1);
    expect(value(s, "switchboard_ack_round_trip_seconds_sum")).toBeGreaterThan(0);
    expect(value(s, "switchboard_ack_round_trip_seconds_bucket", { le: "+Inf" })).toBe(1);

    const gone = once<[string]>(server as never, "disconnect");
    socket.disconnect();
    expect((await gone)[0]).toBe("client namespace disconnect");
    const after = await scrape(scrapeUrl);
    expect(
      value(after, "switchboard_disconnects_total", { reason: "client namespace disconnect" }),
    ).toBe(1);
    expect(value(after, "switchboard_sockets", { namespace: "/", transport: "websocket" })).toBe(0);
  });

  it("counts ack timeouts apart from the latency histogram", async () => {
    const { io, url, scrapeUrl } = await metered();
    const connected = once<[Socket]>(io, "connection");
    await ready(client.connect(url)); // never answers "silent"
    const [server] = await connected;
    await expect(server.timeout(50).emitWithAck("silent")).rejects.toMatchObject({
      code: "SB_ERR_ACK_TIMEOUT",
    });
    const s = await scrape(scrapeUrl);
    expect(value(s, "switchboard_ack_timeouts_total")).toBe(1);
    expect(value(s, "switchboard_ack_round_trip_seconds_count")).toBe(0);
  });

  it("keeps the event-name label bounded under 1000 distinct names, the frequent one labelled", async () => {
    const { io, url, scrapeUrl } = await metered({ topEvents: 10 });
    let received = 0;
    const all = new Promise<void>((resolve) => {
      io.on("connection", (socket) =>
        socket.onAny(() => {
          if (++received === 1050) resolve();
        }),
      );
    });
    const socket = await ready(client.connect(url));
    for (let i = 0; i < 1000; i++) socket.emit(`name-${i}`);
    for (let i = 0; i < 50; i++) socket.emit("hot");
    await all;
    const first = await scrape(scrapeUrl);
    const names = series(first, "switchboard_events_received_total");
    expect(names.length).toBeLessThanOrEqual(11);
    const sum = names.reduce((n, k) => n + (first.get(k) ?? 0), 0);
    expect(sum).toBe(1050);
    // The scrape re-ranked the names: "hot" has its own counter from then on.
    const more = new Promise<void>((resolve) => {
      io.sockets.sockets
        .values()
        .next()
        .value?.onAny(() => {
          if (++received === 1060) resolve();
        });
    });
    for (let i = 0; i < 10; i++) socket.emit("hot");
    await more;
    const second = await scrape(scrapeUrl);
    expect(series(second, "switchboard_events_received_total").length).toBeLessThanOrEqual(11);
    expect(value(second, "switchboard_events_received_total", { event: "hot" })).toBe(10);
    expect(value(second, "switchboard_events_received_total", { event: "other" })).toBe(
      value(first, "switchboard_events_received_total", { event: "other" }),
    );
  });
});

describe("metrics: connection state recovery", () => {
  it("counts a resumed session as recovered, a session asked for after the window as not", async () => {
    const { io, url, scrapeUrl } = await metered(
      {},
      { connectionStateRecovery: { maxDisconnectionDuration: 60_000 } },
    );
    const sockets: Socket[] = [];
    io.on("connection", (socket) => {
      sockets.push(socket);
      socket.emit("welcome", socket.recovered);
    });
    const c = client(url, TRANSPORTS[0], {
      reconnection: true,
      reconnectionDelay: 10,
      reconnectionDelayMax: 20,
    });
    await once(c, "welcome");
    const gone = once(sockets[0]!, "disconnect");
    c.io.engine.close();
    await gone;
    const [recovered] = await once<[boolean]>(c, "welcome");
    expect(recovered).toBe(true);
    // A pid the server never issued: asked for, not recovered.
    const stranger = client(url, TRANSPORTS[0], { auth: { pid: "unknown", offset: "0" } });
    await once(stranger, "welcome");
    const s = await scrape(scrapeUrl);
    expect(value(s, "switchboard_recoveries_total", { recovered: "true" })).toBe(1);
    expect(value(s, "switchboard_recoveries_total", { recovered: "false" })).toBe(1);
    expect(value(s, "switchboard_connections_total", { recovered: "true" })).toBe(1);
    expect(value(s, "switchboard_connections_total", { recovered: "false" })).toBe(2);
    expect(value(s, "switchboard_disconnects_total", { reason: "transport close" })).toBe(1);
  });
});

describe("metrics: refusals, upgrades, health, lifecycle", () => {
  it("counts handshake refusals by SB_ERR code", async () => {
    const { url, scrapeUrl } = await metered();
    expect((await fetch(`${url}/socket.io/?EIO=4&transport=carrier-pigeon`)).status).toBe(400);
    expect((await fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=nope`)).status).toBe(400);
    expect((await fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=nope`)).status).toBe(400);
    const s = await scrape(scrapeUrl);
    expect(
      value(s, "switchboard_handshake_refusals_total", { code: "SB_ERR_UNKNOWN_TRANSPORT" }),
    ).toBe(1);
    expect(value(s, "switchboard_handshake_refusals_total", { code: "SB_ERR_UNKNOWN_SID" })).toBe(
      2,
    );
  });

  it.each(TRANSPORTS.slice(0, 2))(
    "counts received bytes as UTF-8 on the wire over $name (frame length or computed)",
    async (transport) => {
      const { io, url, scrapeUrl } = await metered();
      const got = new Promise<void>((resolve) => {
        io.on("connection", (socket) => socket.on("say", () => resolve()));
      });
      const c = client(url, transport);
      await once(c as never, "connect");
      c.emit("say", "héllo, 世界 🙂");
      await got;
      const s = await scrape(scrapeUrl);
      expect(value(s, "switchboard_bytes_received_total", { type: "event" })).toBe(
        Buffer.byteLength('42["say","héllo, 世界 🙂"]'),
      );
    },
  );

  it.each(CLIENTS)("counts a polling → websocket upgrade with $name", async (client) => {
    const { io, url, scrapeUrl } = await metered();
    const upgraded = new Promise<void>((resolve) =>
      io.on("connection", (socket) => socket.conn.once("upgrade", () => resolve())),
    );
    await ready(client.connect(url, { transports: ["polling", "websocket"] }));
    await upgraded;
    const s = await scrape(scrapeUrl);
    expect(value(s, "switchboard_handshakes_total", { transport: "polling" })).toBe(1);
    expect(value(s, "switchboard_upgrades_total", { outcome: "success" })).toBe(1);
    expect(value(s, "switchboard_engine_sessions", { transport: "websocket" })).toBe(1);
  });

  it("serves the health endpoint (healthPath): 200 ok with the session count, 503 once draining", async () => {
    const { io, url } = await listen();
    // A management port: the drain closes io's own listener (and Node its idle
    // connections), so there a probe fails to connect; here it gets the 503.
    const admin = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => admin.listen(0, "127.0.0.1", resolve));
    onCleanup(() => new Promise((resolve) => admin.close(resolve)));
    const m = metrics(io, { healthPath: "/health", path: "/metrics", httpServer: admin });
    onCleanup(() => m.close());
    const base = `http://127.0.0.1:${(admin.address() as AddressInfo).port}`;
    const idle = await get(`${base}/health`);
    expect(idle.status).toBe(200);
    expect(JSON.parse(idle.body)).toEqual({ status: "ok", sessions: 0 });
    await ready(CLIENTS[1].connect(url));
    expect(JSON.parse((await get(`${base}/health`)).body)).toEqual({ status: "ok", sessions: 1 });
    const draining = once(io, "draining");
    const drained = io.drain({ spread: 60_000 });
    await draining;
    const refused = await get(`${base}/health`);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toEqual({ status: "draining" });
    expect(
      value(await scrape(`${base}/metrics`), "switchboard_sockets", {
        namespace: "/",
        transport: "websocket",
      }),
    ).toBe(1);
    await io.drain({ spread: 0 });
    await drained;
    expect((await get(`${base}/health`)).status).toBe(503);
  });

  it("serveHealth on a separate HTTP server (a management port) follows the drain", async () => {
    const { io } = await listen();
    const admin = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => admin.listen(0, "127.0.0.1", resolve));
    onCleanup(() => new Promise((resolve) => admin.close(resolve)));
    const health = serveHealth(io, { httpServer: admin, path: "/ready" });
    const base = `http://127.0.0.1:${(admin.address() as AddressInfo).port}`;
    expect((await get(`${base}/ready`)).status).toBe(200);
    expect((await get(`${base}/other`)).status).toBe(404);
    await io.close();
    expect((await get(`${base}/ready`)).status).toBe(503);
    health.close();
    expect((await get(`${base}/ready`)).status).toBe(404);
  });

  it("registers in the user's registry, and close() removes the metrics, the route and the hooks", async () => {
    const register = new Registry();
    const { io, url } = await listen();
    io.on("connection", (socket) => socket.on("x", () => {}));
    const listenersBefore = io.httpServer?.listeners("request");
    const m = metrics(io, { register, path: "/metrics", prefix: "app_" });
    expect(io.httpServer?.listeners("request")).not.toEqual(listenersBefore);
    expect(m.register).toBe(register);
    const socket = await ready(CLIENTS[0].connect(url));
    const text = await register.metrics();
    expect(text).toContain('app_sockets{namespace="/",transport="websocket"} 1');
    expect(() => metrics(io)).toThrow(/already/);
    m.close();
    expect((await register.metrics()).trim()).toBe("");
    // The HTTP server has its own listeners back (the engine's), in place of the route.
    expect(io.httpServer?.listeners("request")).toEqual(listenersBefore);
    // The server goes on without hooks, and metrics can be turned on again.
    socket.emit("x");
    const again = metrics(io, { register });
    onCleanup(() => again.close());
    expect(await register.metrics()).toContain("switchboard_sockets");
  });

  it("validates its options", async () => {
    const { io } = await listen();
    expect(() => metrics(io, { topEvents: 0 })).toThrow(TypeError);
    expect(() => metrics(io, { path: "metrics" })).toThrow(TypeError);
    const { Server } = await import("@switchboard/server");
    const detached = new Server();
    onCleanup(() => detached.close());
    expect(() => metrics(detached, { path: "/metrics" })).toThrow(/not attached/);
    expect(() => serveHealth(detached)).toThrow(/not attached/);
  });
});

describe("metrics: leaks", () => {
  it("many connects and disconnects, over 300 dynamic namespaces: labels and tables stay bounded", async () => {
    const { io, url, scrapeUrl } = await metered(
      { maxNamespaces: 5, topEvents: 5 },
      { cleanupEmptyChildNamespaces: true },
    );
    let disconnected = 0;
    let onDisconnects: (n: number) => void = () => {};
    io.of(/^\/room-\d+$/).on("connection", (socket) =>
      socket.on("disconnect", () => onDisconnects(++disconnected)),
    );
    const disconnects = (n: number) =>
      new Promise<void>((resolve) => {
        onDisconnects = (count) => {
          if (count === n) resolve();
        };
        if (disconnected === n) resolve();
      });
    const round = async (from: number, to: number) => {
      for (let i = from; i < to; i += 20) {
        const batch = [];
        for (let j = i; j < Math.min(i + 20, to); j++) {
          batch.push(
            ready(CLIENTS[j % 2]!.connect(`${url}/room-${j}`)).then((socket) => {
              socket.emit(`event-${j}`);
              return socket;
            }),
          );
        }
        for (const socket of await Promise.all(batch)) socket.disconnect();
      }
    };
    await round(0, 100);
    await disconnects(100);
    const first = await scrape(scrapeUrl);
    await round(100, 300);
    await disconnects(300);
    const second = await scrape(scrapeUrl);
    expect(value(second, "switchboard_connections_total", { recovered: "false" })).toBe(300);
    expect(series(second, "switchboard_events_received_total").length).toBeLessThanOrEqual(6);
    expect(series(second, "switchboard_sockets").length).toBeLessThanOrEqual(5 * 2 + 2);
    // The same metric families and no more series than before, whatever the traffic added.
    expect(second.size).toBeLessThanOrEqual(first.size + 4);
    expect(io.namespaces.size).toBe(1); // empty children were cleaned up
  });
});

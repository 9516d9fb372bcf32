import type { NodeInfo } from "@switchboard/server/dashboard";
import { metrics } from "@switchboard/server/metrics";
import { describe, expect, it } from "vitest";
import { CLIENTS, ready } from "../guards/clients.js";
import { scrape, value } from "../metrics/scrape.js";
import { onCleanup } from "../socket/helpers.js";
import { ask, connected, fetchToken, pageSocket, withDashboard } from "./helpers.js";

/**
 * The dashboard and the Prometheus metrics on one server: both watch through the same
 * observer slots, each counts every event, and the dashboard's own namespace stays out of
 * the metrics. Closing one leaves the other counting.
 */

const inSum = async (p: Awaited<ReturnType<typeof connected>>) =>
  ((await ask<{ nodes: NodeInfo[] }>(p, "overview")).nodes[0]?.history ?? []).reduce(
    (sum, row) => sum + row.in,
    0,
  );

describe("dashboard and metrics together", () => {
  it("both count the app's events; the dashboard's namespace is not in the metrics", async () => {
    const { io, url, d } = await withDashboard();
    const m = metrics(io, { path: "/metrics" });
    onCleanup(() => m.close());
    io.on("connection", (socket) => socket.on("chat", (ack: () => void) => ack()));
    const client = await ready(CLIENTS[0].connect(url));
    const p = await connected(pageSocket(url, { token: await fetchToken(url) }));
    for (let i = 0; i < 3; i++) await client.timeout(4000).emitWithAck("chat");
    await ask(p, "overview");
    await ask(p, "sockets", { nsp: "/" });

    const s = await scrape(`${url}/metrics`);
    expect(value(s, "switchboard_events_received_total", { event: "chat" })).toBe(3);
    for (const event of ["overview", "sockets"]) {
      expect(value(s, "switchboard_events_received_total", { event })).toBe(0);
    }
    expect(value(s, "switchboard_sockets", { namespace: "/", transport: "websocket" })).toBe(1);
    expect(
      value(s, "switchboard_sockets", { namespace: "/_switchboard", transport: "websocket" }),
    ).toBe(0);
    expect(value(s, "switchboard_connections_total", { recovered: "false" })).toBe(1);
    await expect.poll(() => inSum(p), { timeout: 5000 }).toBe(3);

    // The dashboard goes: the metrics go on counting (and the namespace is theirs again).
    d.close();
    await client.timeout(4000).emitWithAck("chat");
    const after = await scrape(`${url}/metrics`);
    expect(value(after, "switchboard_events_received_total", { event: "chat" })).toBe(4);

    // The metrics go, a new dashboard counts alone.
    m.close();
    const again = await withDashboardOn(io);
    const q = await connected(pageSocket(url, { token: await fetchToken(url) }));
    await client.timeout(4000).emitWithAck("chat");
    await expect.poll(() => inSum(q), { timeout: 5000 }).toBe(1);
    again.close();
  });
});

async function withDashboardOn(io: Parameters<typeof metrics>[0]) {
  const { dashboard } = await import("@switchboard/server/dashboard");
  const { USER, PASSWORD } = await import("./helpers.js");
  return dashboard(io, { auth: { username: USER, password: PASSWORD } });
}

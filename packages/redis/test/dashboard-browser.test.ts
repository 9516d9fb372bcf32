// Issue 19 part 2, end to end: the dashboard page in headless Debian chromium, logged in with
// basic auth, on node A of a two-node cluster over the real Redis. It shows both nodes, the
// sockets of both (an official socket.io-client on A, an @switchboard/client on B), the rooms
// and the live charts; clicking join / emit / disconnect acts on the real clients, the one on
// node B included; and the page makes no request outside the server's origin.

import { createServer } from "node:http";
import { io as sbio } from "@switchboard/client";
import { Server } from "@switchboard/server";
import { dashboard } from "@switchboard/server/dashboard";
import { io as ioc } from "socket.io-client";
import { describe, expect, it } from "vitest";
import { cleanupsAfterEach, sharedChromium } from "../../../scripts/browser-suite.js";
import { createAdapter } from "../src/index.js";
import { clientPair, uniqueKey } from "./helpers/redis.js";
import { listen, received, untilNodes, WAIT_MS } from "./helpers/sockets.js";

const auth = { username: "ops", password: "browser-test" };

const browser = sharedChromium();

const cleanups = cleanupsAfterEach();

async function node(key: string) {
  const pair = await clientPair("ioredis");
  const http = createServer();
  const io = new Server(http, {
    adapter: createAdapter(pair.pub, pair.sub, { key, requestsTimeout: 1000 }),
    drainSpread: 0,
  });
  const url = await listen(http);
  const d = dashboard(io, { auth });
  io.on("connection", (socket) => {
    socket.data = { client: socket.handshake.auth.name };
    socket.join("lobby");
    socket.on("chat", (text: string, ack?: (ok: boolean) => void) => ack?.(text.length > 0));
  });
  cleanups.push(async () => {
    d.close();
    await io.close();
    await pair.quit();
  });
  return { io, url, d };
}

describe("the dashboard page in chromium", () => {
  it("logs in, shows the cluster, and its buttons act on real clients of both nodes", async () => {
    const key = uniqueKey("dashboard-e2e");
    const a = await node(key);
    const b = await node(key);
    await untilNodes([a.io, b.io], 2, ["/_switchboard"]);
    const official = ioc(a.url, {
      auth: { name: "official" },
      transports: ["websocket"],
      reconnection: false,
    });
    const ours = sbio(b.url, {
      auth: { name: "ours" },
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
    });
    cleanups.push(
      () => official.disconnect(),
      () => ours.disconnect(),
    );
    await Promise.all([received(official, "connect"), received(ours, "connect")]);
    const idOurs = ours.id!;
    // Some traffic for the charts: events in, and acked events out.
    ours.on("question", ((n: number, ack: (n: number) => void) => ack(n)) as never);
    const traffic = setInterval(() => {
      official.emit("chat", "hi");
      for (const s of b.io.of("/").sockets.values()) s.timeout(2000).emit("question", 1, () => {});
    }, 100);
    cleanups.push(() => clearInterval(traffic));

    // Without credentials: the browser gets a 401 (chromium then fails the navigation with
    // ERR_INVALID_AUTH_CREDENTIALS), the page never loads.
    const anonymous = await browser().newContext();
    cleanups.push(() => anonymous.close());
    const refused = await anonymous.request.get(`${a.url}/dashboard`);
    expect(refused.status()).toBe(401);
    expect(refused.headers()["www-authenticate"]).toMatch(/^Basic /);
    await expect((await anonymous.newPage()).goto(`${a.url}/dashboard`)).rejects.toThrow(
      /ERR_INVALID_AUTH_CREDENTIALS/,
    );

    const context = await browser().newContext({
      httpCredentials: auth,
      viewport: { width: 1280, height: 900 },
    });
    cleanups.push(() => context.close());
    const page = await context.newPage();
    const origin = new URL(a.url).origin;
    const foreign: string[] = [];
    const errors: string[] = [];
    page.on("request", (r) => {
      if (new URL(r.url()).origin !== origin) foreign.push(r.url());
    });
    page.on("websocket", (ws) => {
      const u = new URL(ws.url());
      if (`http://${u.host}` !== origin) foreign.push(ws.url());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${a.url}/dashboard`);
    await page.locator("#status[data-state='ok']").waitFor({ timeout: WAIT_MS });

    // Both nodes, this one first.
    await expect.poll(() => page.locator("#nodes tbody tr").count(), { timeout: WAIT_MS }).toBe(2);
    await page.locator(`#nodes tr[data-node='${a.d.nodeId}']`).waitFor();
    await page.locator(`#nodes tr[data-node='${b.d.nodeId}']`).waitFor();
    // Sockets of both nodes, with rooms and data; the lobby room with 2 sockets on 2 nodes.
    await expect
      .poll(() => page.locator("#sockets tbody tr").count(), { timeout: WAIT_MS })
      .toBe(2);
    const oursRow = page.locator(`#sockets tr[data-id='${idOurs}']`);
    await expect.poll(() => oursRow.textContent()).toContain(b.d.nodeId);
    expect(await oursRow.textContent()).toContain('{"client":"ours"}');
    expect(await oursRow.textContent()).toContain("lobby");
    await expect
      .poll(() => page.locator("#rooms tr[data-room='lobby']").textContent(), { timeout: WAIT_MS })
      .toMatch(/lobby\s*22/);
    // Live charts: lines drawn once a few seconds of traffic are in.
    await expect
      .poll(() => page.locator("#chart-events polyline").count(), { timeout: 8000 })
      .toBeGreaterThan(0);
    await expect
      .poll(() => page.locator("#chart-acks polyline.p95").count(), { timeout: 8000 })
      .toBeGreaterThan(0);

    // Join: pick the socket of node B in the list, type a room, click.
    await oursRow.click();
    expect(await page.locator("#socket-id").inputValue()).toBe(idOurs);
    await page.locator("#room-name").fill("picked-in-ui");
    await page.locator("#do-join").click();
    await page.locator("#action-result[data-state='ok']").waitFor();
    await expect
      .poll(async () => (await b.io.of("/").in("picked-in-ui").fetchSockets()).map((s) => s.id), {
        timeout: WAIT_MS,
      })
      .toEqual([idOurs]);

    // Emit a test event to the room; the client on node B gets it.
    const got = received(ours, "from-ui");
    await page.locator("#emit-to").fill("picked-in-ui");
    await page.locator("#emit-event").fill("from-ui");
    await page.locator("#emit-payload").fill('{"clicked":true}');
    await page.locator("#do-emit").click();
    expect(await got).toEqual([{ clicked: true }]);

    // Disconnect from the row's button: the client on node B is disconnected by the server.
    const gone = received(ours, "disconnect");
    await oursRow.locator("button.danger").click();
    expect((await gone)[0]).toBe("io server disconnect");
    await expect
      .poll(() => page.locator("#disconnects tbody").textContent(), { timeout: WAIT_MS })
      .toContain(idOurs);
    expect(official.connected).toBe(true);

    // "emit here" on the lobby room: the official client on node A gets the test event.
    const toLobby = received(official, "lobby-news");
    await page.locator("#rooms tr[data-room='lobby'] button").click();
    expect(await page.locator("#emit-to").inputValue()).toBe("lobby");
    await page.locator("#emit-event").fill("lobby-news");
    await page.locator("#emit-payload").fill('"hello lobby"');
    await page.locator("#do-emit").click();
    expect(await toLobby).toEqual(["hello lobby"]);

    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
  }, 60_000);
});

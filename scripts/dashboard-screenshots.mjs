#!/usr/bin/env node
// Screenshots of the dashboard for the READMEs: a two-node cluster over the Redis at
// 127.0.0.1:6379 (REDIS_PORT to change), 24 clients (official socket.io-client and
// @switchboard/client, half on each node) chatting in rooms and answering acks, the page
// opened in headless Debian chromium on node A. Writes packages/server/docs/dashboard-*.png.
// Run after `npm run build`: node scripts/dashboard-screenshots.mjs
// CI does not run this; the committed PNGs are only rewritten by hand.
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { io as sbio } from "@switchboard/client";
import { createAdapter } from "@switchboard/redis";
import { Server } from "@switchboard/server";
import { dashboard } from "@switchboard/server/dashboard";
import { Redis } from "ioredis";
import { io as ioc } from "socket.io-client";
import { launchChromium } from "./chromium.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "packages", "server", "docs");
const port = Number(process.env.REDIS_PORT ?? 6379);
const auth = { username: "admin", password: "screenshots" };
const key = `dashboard-shots-${process.pid}`;
const closers = [];

async function node(name) {
  const pub = new Redis({ port, host: "127.0.0.1" });
  const sub = pub.duplicate();
  const http = createServer();
  const io = new Server(http, {
    adapter: createAdapter(pub, sub, { key, requestsTimeout: 2000 }),
    drainSpread: 0,
  });
  await new Promise((r) => http.listen(0, "127.0.0.1", r));
  const d = dashboard(io, { auth, title: "Switchboard demo" });
  io.on("connection", (socket) => {
    const { user, room } = socket.handshake.auth;
    socket.data = { user, room, joinedVia: name };
    socket.join(["lobby", room]);
    socket.on("chat", (text, ack) => {
      socket.to(room).emit("chat", { user, text });
      if (typeof ack === "function") ack("ok");
    });
  });
  io.of("/admin").on("connection", () => {});
  closers.push(async () => {
    d.close();
    await io.close();
    pub.disconnect();
    sub.disconnect();
  });
  return { io, url: `http://127.0.0.1:${http.address().port}`, d };
}

const a = await node("node-a");
const b = await node("node-b");
await new Promise((r) => setTimeout(r, 500));
const rooms = ["general", "random", "support", "design"];
const clients = [];
for (let i = 0; i < 24; i++) {
  const target = i % 2 === 0 ? a : b;
  const make = i % 3 === 0 ? sbio : ioc;
  const opts = {
    auth: { user: `user-${i}`, room: rooms[i % rooms.length] },
    transports: i % 5 === 0 ? ["polling"] : ["websocket"],
    forceNew: true,
  };
  const c = make(target.url, opts);
  c.on("ask", (n, ack) => setTimeout(() => ack(n), 2 + (i % 7) * 3));
  clients.push(c);
}
ioc(`${a.url}/admin`, { forceNew: true });
const traffic = setInterval(() => {
  for (const c of clients) if (Math.random() < 0.35) c.emit("chat", "hello", () => {});
  for (const n of [a, b])
    for (const s of n.io.of("/").sockets.values()) {
      if (Math.random() < 0.3) s.timeout(2000).emit("ask", 1, () => {});
    }
}, 100);
// A few disconnects with different reasons for the list.
setTimeout(() => clients[3].disconnect(), 1500);
setTimeout(() => {
  for (const s of b.io.of("/").sockets.values()) if (s.data.user === "user-7") s.disconnect(true);
}, 2500);

const browser = await launchChromium();
try {
  const context = await browser.newContext({
    httpCredentials: auth,
    viewport: { width: 1280, height: 860 },
  });
  const page = await context.newPage();
  await page.goto(`${a.url}/dashboard`);
  await page.locator("#status[data-state='ok']").waitFor();
  await new Promise((r) => setTimeout(r, 20_000)); // 20 s of chart
  await page.screenshot({ path: join(out, "dashboard-overview.png") });
  // Sockets of the "general" room, one of them picked and made to join "vip"; the actions.
  await page.locator("#query").fill("general");
  await new Promise((r) => setTimeout(r, 1500));
  await page.locator("#sockets tbody tr").nth(1).click();
  await page.locator("#room-name").fill("vip");
  await page.locator("#do-join").click();
  await page.locator("#action-result[data-state='ok']").waitFor();
  await page.locator("#emit-to").fill("vip");
  await new Promise((r) => setTimeout(r, 3500));
  // Page coordinates (the click may have scrolled the viewport).
  const [top, bottom] = await page.evaluate(() => {
    const box = (id) => document.getElementById(id).getBoundingClientRect();
    return [box("browse").top + window.scrollY, box("disconnects-section").bottom + window.scrollY];
  });
  await page.screenshot({
    path: join(out, "dashboard-sockets.png"),
    fullPage: true,
    clip: { x: 0, y: top - 10, width: 1280, height: bottom - top + 20 },
  });
  // Node B stops answering (its dashboard is closed): the page shows it as not answering.
  b.d.close();
  await page.locator("#nodes tr.missing").waitFor({ timeout: 10_000 });
  await page.evaluate(() => window.scrollTo(0, 0));
  const nodes = await page.locator("#cluster").boundingBox();
  await page.screenshot({
    path: join(out, "dashboard-missing-node.png"),
    clip: { x: 0, y: 0, width: 1280, height: nodes.y + nodes.height + 10 },
  });
  console.log(
    "wrote dashboard-overview.png, dashboard-sockets.png, dashboard-missing-node.png in",
    out,
  );
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  clearInterval(traffic);
  await browser.close();
  for (const c of clients) c.disconnect();
  for (const close of closers) await close();
  process.exit();
}

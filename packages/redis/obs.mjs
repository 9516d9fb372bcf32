import { createServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { Server } from "socket.io";
import { io as ioc } from "socket.io-client";

const key = process.argv[2] ?? "obs";
const specific = process.argv[3] === "specific";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nodes = [];
for (let i = 0; i < 2; i++) {
  const pub = new Redis(),
    sub = pub.duplicate();
  const http = createServer();
  const io = new Server(http, {
    adapter: createAdapter(pub, sub, { key, publishOnSpecificResponseChannel: specific }),
  });
  io.on("connection", (s) => {
    s.join("room1");
    s.data = { n: i, b: Buffer.from([9]) };
    s.on("x", () => {});
  });
  io.on("ping", (a, cb) => cb?.(`pong${i}`, Buffer.from([8])));
  await new Promise((r) => http.listen(0, r));
  nodes.push({ io, http, pub, sub, port: http.address().port });
}
const clients = [];
for (const n of nodes) {
  const c = ioc(`http://localhost:${n.port}`, { auth: { t: 1 } });
  c.on("ack", (...args) => args.at(-1)("a"));
  c.on("ev", (...a) => {});
  await new Promise((r) => c.on("connect", r));
  clients.push(c);
}
await sleep(200);
const [a, b] = nodes;
console.log("MARK broadcast");
a.io.emit("ev", 1, Buffer.from([1, 2]));
await sleep(100);
console.log("MARK room");
a.io.to("room1").except("x").emit("ev", 2);
await sleep(100);
console.log("MARK volatile compress");
a.io.volatile.compress(false).emit("ev", 3);
await sleep(100);
console.log("MARK local");
a.io.local.emit("ev", 3);
await sleep(100);
console.log("MARK ack");
await a.io.timeout(1000).emitWithAck("ack", 1);
await sleep(100);
console.log("MARK fetch");
const socks = await a.io.fetchSockets();
await sleep(100);
console.log("MARK remote emit");
const remote = socks.find((s) => !a.io.of("/").sockets.has(s.id));
remote.emit("ev", 4);
await sleep(100);
console.log("MARK remote ack");
await remote.timeout(1000).emitWithAck("ack", 5);
await sleep(100);
console.log("MARK join");
a.io.in("room1").socketsJoin(["r2", "r3"]);
await sleep(100);
console.log("MARK leave");
a.io.socketsLeave("r2");
await sleep(100);
console.log("MARK sse");
a.io.serverSideEmit("hello", Buffer.from([7]));
await sleep(100);
console.log("MARK sse ack");
await a.io.serverSideEmitWithAck("ping", 1);
await sleep(100);
console.log("MARK allRooms");
await a.io.of("/").adapter.allRooms();
await sleep(100);
console.log("MARK sockets");
await a.io.of("/").adapter.sockets(new Set(["room1"]));
await sleep(100);
console.log("MARK serverCount");
await a.io.of("/").adapter.serverCount();
await sleep(100);
console.log("MARK disconnect");
a.io.in(remote.id).disconnectSockets(true);
await sleep(100);
console.log("MARK nsp");
b.io.of("/chat");
a.io.of("/chat").emit("x");
await sleep(100);
console.log("MARK close");
for (const c of clients) c.close();
for (const n of nodes) {
  n.io.close();
}
await sleep(200);
for (const n of nodes) {
  n.pub.quit();
  n.sub.quit();
}

// The server under attack in the heap-bound tests, in a process of its own so that its heap
// is measured alone: started by child-server.ts with
// `node --expose-gc --max-old-space-size=128 attacked-server.mjs '<options JSON>'`.
// Imports the BUILT @switchboard/server (run `npm run build` first). Listens on 127.0.0.1,
// port 0, and reports the port with reportReady (spawnNode); answers IPC requests:
// - {type: "memory", id}: process.memoryUsage() after two full GCs, the engine close reasons
//   seen so far and the number of live engine sessions;
// - {type: "close-session", id, sid}: closes that engine session (EngineConnection.close()).
import { createServer } from "node:http";
import { Server } from "@switchboard/server";
import { reportReady } from "@switchboard/server/testing";

const options = JSON.parse(process.argv[2] ?? "{}");
const http = createServer();
const io = new Server(http, { serveClient: false, ...options });
const reasons = [];
io.engine.on("connection", (conn) => {
  conn.on("close", (reason) => reasons.push(reason));
});
io.on("connection", (socket) => {
  socket.on("echo", (value, ack) => {
    if (typeof ack === "function") ack(value);
  });
});

process.on("message", (msg) => {
  if (msg.type === "memory") {
    globalThis.gc();
    globalThis.gc();
    process.send({
      type: "memory",
      id: msg.id,
      memory: process.memoryUsage(),
      reasons,
      clients: io.engine.clientsCount,
    });
  } else if (msg.type === "close-session") {
    const conn = io.engine.clients.get(msg.sid);
    conn?.close();
    process.send({ type: "close-session", id: msg.id, found: conn !== undefined });
  }
});
http.listen(0, "127.0.0.1", () => {
  void reportReady({ port: http.address().port });
});

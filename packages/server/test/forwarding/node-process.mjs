// One Switchboard node of the multi-process forwarding test (cluster-processes.test.ts):
// its NodeDirectory asks the parent process over IPC. Imports the built package.
import { createServer } from "node:http";
import { Server } from "@switchboard/server";

let seq = 0;
const pending = new Map();
const call = (op, ...args) =>
  new Promise((resolve) => {
    const id = ++seq;
    pending.set(id, resolve);
    process.send({ type: "dir", id, op, args });
  });
const directory = {
  register: (node, address, ttl) => call("register", node, address, ttl),
  lookup: (node) => call("lookup", node),
  unregister: (node) => call("unregister", node),
};

const refusals = [];
const http = createServer();
const io = new Server(http, {
  forwarding: { directory, lease: 1000, timeout: 2000 },
  pingInterval: 2000,
  pingTimeout: 2000,
});
io.engine.on("connection_error", (error) => {
  const sid = new URL(error.req.url, "http://x").searchParams.get("sid");
  refusals.push({ code: error.code, sid });
});
io.on("connection", (socket) => {
  socket.on("ping", (n, ack) => ack({ n: n + 1, tag: io.engine.nodeTag }));
});

process.on("message", (msg) => {
  if (msg.type === "dir-answer") {
    const resolve = pending.get(msg.id);
    pending.delete(msg.id);
    resolve?.(msg.value);
  } else if (msg.type === "refusals") {
    process.send({ type: "refusals", list: refusals });
  }
});
process.on("disconnect", () => process.exit(0));

http.listen(0, "127.0.0.1", async () => {
  await io.engine.forwardingReady();
  process.send({ type: "ready", port: http.address().port, tag: io.engine.nodeTag });
});

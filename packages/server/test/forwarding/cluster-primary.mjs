// Node's cluster module with forwarding (cluster-processes.test.ts): the primary forks two
// workers sharing one public port (connections handed out round-robin, so one session's
// polling requests reach both), answers their directory calls from its own memory, and
// reports the public port and each worker's tag and internal address. Imports the built
// package.
import cluster from "node:cluster";
import { createServer } from "node:http";
import { createMemoryDirectory, Server } from "@switchboard/server";

if (cluster.isPrimary) {
  cluster.schedulingPolicy = cluster.SCHED_RR;
  const directory = createMemoryDirectory();
  const workers = [];
  const ready = [];
  for (let i = 0; i < 2; i++) {
    const worker = cluster.fork();
    workers.push(worker);
    worker.on("message", async (msg) => {
      if (msg.type === "dir") {
        const value = await directory[msg.op](...msg.args);
        // A worker killed meanwhile fails the write with EPIPE: the callback takes it.
        if (worker.isConnected())
          worker.send({ type: "dir-answer", id: msg.id, value: value ?? null }, () => {});
      } else if (msg.type === "ready") {
        ready.push({ tag: msg.tag, address: await directory.lookup(msg.tag), port: msg.port });
        if (ready.length === workers.length) process.send({ type: "ready", workers: ready });
      }
    });
  }
  process.on("disconnect", () => {
    for (const worker of workers) worker.kill("SIGKILL");
    process.exit(0);
  });
} else {
  let seq = 0;
  const pending = new Map();
  const call = (op, ...args) =>
    new Promise((resolve) => {
      const id = ++seq;
      pending.set(id, resolve);
      process.send({ type: "dir", id, op, args });
    });
  process.on("message", (msg) => {
    if (msg.type !== "dir-answer") return;
    const resolve = pending.get(msg.id);
    pending.delete(msg.id);
    resolve?.(msg.value);
  });
  const directory = {
    register: (node, address, ttl) => call("register", node, address, ttl),
    lookup: (node) => call("lookup", node),
    unregister: (node) => call("unregister", node),
  };
  const http = createServer();
  const io = new Server(http, { forwarding: { directory } });
  // Every connection is closed after its answer: each request comes on a new connection,
  // which the primary hands to the workers in turn.
  let forwarded = 0;
  io.engine.on("headers", (headers, req) => {
    headers.Connection = "close";
    if (req.headers["x-switchboard-forwarded"] !== undefined) forwarded++;
  });
  io.on("connection", (socket) => {
    socket.on("ping", (n, ack) => ack({ n: n + 1, tag: io.engine.nodeTag, forwarded }));
  });
  // Port 0 in cluster workers: one random port shared by all of them.
  http.listen(0, "127.0.0.1", async () => {
    await io.engine.forwardingReady();
    process.send({ type: "ready", tag: io.engine.nodeTag, port: http.address().port });
  });
}

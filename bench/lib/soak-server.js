// Soak test server process, started by bench/soak.js with --expose-gc: Switchboard's server
// (the workspace build) on 127.0.0.1, port 0, default options except the heartbeat, running
// the soak app (rooms, acks, sequence-numbered broadcasts, binary payloads). It answers the
// parent's calls over IPC, reports each engine close of a non-well-behaved client as it
// happens, and exits when the parent goes away or after a hard lifetime limit.
import http from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";

/**
 * @typedef {{
 *   pingInterval: number, pingTimeout: number, tickMs: number, binaryEvery: number,
 *   bulkBytes: number, roomBinaryBytes: number, allEvery: number, lifetimeMs: number,
 *   rooms: string[],
 * }} SoakServerConfig
 */

/** @type {SoakServerConfig} */
const cfg = JSON.parse(process.argv[2] ?? "{}");
/** Rooms a client can ask for in its CONNECT auth (and "bulk", with `bulk: true`). */
const ROOMS = cfg.rooms;

/** @param {any} msg */
function send(msg) {
  if (process.connected) process.send?.(msg);
}

/** A crash is reported to the parent, then the process exits as an uncaught error would. */
function fatal(/** @type {string} */ kind, /** @type {unknown} */ err) {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  console.error(`soak server: ${kind}: ${message}`);
  if (!process.connected) process.exit(70);
  process.send?.({ type: "fatal", kind, message }, () => process.exit(70));
  setTimeout(() => process.exit(70), 1000).unref();
}
process.on("uncaughtException", (err) => fatal("uncaughtException", err));
process.on("unhandledRejection", (err) => fatal("unhandledRejection", err));
process.on("disconnect", () => process.exit(0));
setTimeout(() => process.exit(3), cfg.lifetimeMs).unref();

const { Server } = await import("@switchboard/server");
const httpServer = http.createServer();
const io = new Server(httpServer, { pingInterval: cfg.pingInterval, pingTimeout: cfg.pingTimeout });

/** @param {Record<string, Record<string, number>>} table @param {string} a @param {string} b */
function tally(table, a, b) {
  const row = table[a] ?? {};
  table[a] = row;
  row[b] = (row[b] ?? 0) + 1;
}

/** The kind and id a soak client puts in its query string (`k`, `id`). @param {string | undefined} url */
function clientTag(url) {
  const q = new URLSearchParams((url ?? "").split("?")[1] ?? "");
  return { kind: q.get("k") ?? "unknown", id: q.get("id") ?? "" };
}

const counts = {
  /** Engine connections opened, per client kind. */
  engineOpened: /** @type {Record<string, number>} */ ({}),
  /** Engine close reasons (and the description's code), per client kind. */
  engineClosed: /** @type {Record<string, Record<string, number>>} */ ({}),
  /** Socket.IO disconnect reasons, per client kind (from the CONNECT auth). */
  socketClosed: /** @type {Record<string, Record<string, number>>} */ ({}),
  /** Refused requests (`connection_error`), per code and message. */
  connectionErrors: /** @type {Record<string, number>} */ ({}),
  upgrades: 0,
};
/** Engine connections open now, per kind. */
const openByKind = /** @type {Record<string, number>} */ ({});

io.engine.on("connection", (/** @type {any} */ conn) => {
  const { kind, id } = clientTag(conn.request?.url);
  counts.engineOpened[kind] = (counts.engineOpened[kind] ?? 0) + 1;
  openByKind[kind] = (openByKind[kind] ?? 0) + 1;
  const opened = performance.now();
  conn.on("upgrade", () => {
    counts.upgrades++;
  });
  conn.on("close", (/** @type {string} */ reason, /** @type {any} */ description) => {
    openByKind[kind] = (openByKind[kind] ?? 1) - 1;
    // The description's stable code, else its text ("poll connection closed prematurely").
    const code =
      typeof description?.code === "string"
        ? description.code
        : typeof description === "string"
          ? description
          : typeof description?.message === "string"
            ? description.message
            : null;
    tally(counts.engineClosed, kind, code ? `${reason} (${code})` : reason);
    // Slow readers and hostile clients learn from this why the server dropped them.
    if (kind !== "good" && kind !== "churn") {
      send({ type: "closed", kind, id, reason, code, ms: performance.now() - opened });
    }
  });
});
io.engine.on("connection_error", (/** @type {any} */ err) => {
  const key = `${err?.code ?? "?"} ${err?.message ?? String(err)}`;
  counts.connectionErrors[key] = (counts.connectionErrors[key] ?? 0) + 1;
});

/** Last sequence number broadcast per stream ("all" is io.emit; 0: none yet). */
const seq = /** @type {Record<string, number>} */ ({ all: 0, bulk: 0 });
for (const r of ROOMS) seq[r] = 0;

/** A binary payload that carries its sequence number: 4 bytes BE, then the low byte repeated. */
function binary(/** @type {number} */ n, /** @type {number} */ bytes) {
  const b = Buffer.alloc(bytes, n & 0xff);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

io.on("connection", (/** @type {any} */ socket) => {
  const auth = socket.handshake.auth ?? {};
  const kind = typeof auth.kind === "string" ? auth.kind.slice(0, 16) : "unknown";
  /** @type {Record<string, number>} */
  const welcome = { all: seq.all ?? 0 };
  if (typeof auth.room === "string" && ROOMS.includes(auth.room)) {
    socket.join(auth.room);
    welcome[auth.room] = seq[auth.room] ?? 0;
  }
  if (auth.bulk === true) {
    socket.join("bulk");
    welcome.bulk = seq.bulk ?? 0;
  }
  // Sent before any broadcast the socket is owed (those leave from a later timer turn).
  socket.emit("welcome", welcome);
  socket.on("echo", (/** @type {unknown} */ data, /** @type {unknown} */ ack) => {
    if (typeof ack === "function") ack(data);
  });
  socket.on("disconnect", (/** @type {string} */ reason) =>
    tally(counts.socketClosed, kind, reason),
  );
});

let ticks = 0;
let broadcasts = 0;
/** One timer turn: one event to each room, the bulk room, and every `allEvery` turns to all. */
function tick() {
  ticks++;
  for (const r of ROOMS) {
    const n = next(r);
    if (n % cfg.binaryEvery === 0) io.to(r).emit("b", r, n, binary(n, cfg.roomBinaryBytes));
    else io.to(r).emit("b", r, n, { t: Date.now(), p: "soak".repeat(16) });
  }
  const nb = next("bulk");
  io.to("bulk").emit("b", "bulk", nb, binary(nb, cfg.bulkBytes));
  if (ticks % cfg.allEvery === 0) io.emit("b", "all", next("all"), { t: Date.now() });
}

/** The next sequence number of a stream (counted as one broadcast). @param {string} stream */
function next(stream) {
  const n = (seq[stream] ?? 0) + 1;
  seq[stream] = n;
  broadcasts++;
  return n;
}
/** @type {NodeJS.Timeout | null} */
let ticker = setInterval(tick, cfg.tickMs);

const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();
let lastCpu = process.cpuUsage();
let lastAt = performance.now();
const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);

/** @type {Record<string, (payload: any) => any>} */
const handlers = {
  /** Memory, event-loop delay and CPU since the previous call, counters. */
  stats: () => {
    const m = process.memoryUsage();
    const cpu = process.cpuUsage(lastCpu);
    const now = performance.now();
    const out = {
      rss: m.rss,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      eldP50Ms: eld.count > 0 ? eld.percentile(50) / 1e6 : 0,
      eldP99Ms: eld.count > 0 ? eld.percentile(99) / 1e6 : 0,
      eldMaxMs: eld.count > 0 ? eld.max / 1e6 : 0,
      cpuPct: ((cpu.user + cpu.system) / 10 / (now - lastAt)) | 0,
      engineClients: io.engine.clientsCount,
      sockets: io.of("/").sockets.size,
      openByKind: { ...openByKind },
      broadcasts,
      seq: { ...seq },
      ...counts,
    };
    eld.reset();
    lastCpu = process.cpuUsage();
    lastAt = now;
    return out;
  },
  /** Memory after a forced, settled GC. */
  gcMemory: async () => {
    if (!gc) throw new Error("the soak server needs --expose-gc");
    for (let i = 0; i < 4; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 25));
    }
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
  },
  /** Stop broadcasting; the last sequence number of every stream. */
  stopBroadcasts: () => {
    if (ticker) clearInterval(ticker);
    ticker = null;
    return { seq: { ...seq } };
  },
  /** Close the Socket.IO server (every connection, then the HTTP server). */
  close: () => new Promise((resolve) => io.close(() => resolve({ ok: true }))),
};

process.on("message", async (/** @type {any} */ msg) => {
  if (msg?.cmd === "exit") {
    eld.disable();
    setImmediate(() => process.exit(0));
    return;
  }
  const handler = handlers[msg?.cmd];
  try {
    if (!handler) throw new Error(`unknown command ${msg?.cmd}`);
    send({ type: "reply", id: msg.id, result: (await handler(msg.payload)) ?? null });
  } catch (err) {
    send({ type: "reply", id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});

await new Promise((resolve) => httpServer.listen(0, "127.0.0.1", () => resolve(undefined)));
const address = httpServer.address();
send({ type: "ready", port: typeof address === "object" && address ? address.port : 0 });

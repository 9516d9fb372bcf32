// Client-load process (scenarios/client-load.js), pinned to core 1 with --expose-gc: here the
// client library is what is measured. It loads one library (the harness's target names it:
// "switchboard" = @switchboard/client from the workspace build, "socketio" = the official
// socket.io-client), creates N instances of it against the Switchboard server (core 0), and
// measures this process: time and CPU to connect N, memory per instance, ticks received per
// second of this process's CPU, ack round trips/s. Both libraries get the same options and the
// same handlers; only the import differs.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { PAD, TICK } from "./app.js";
import { CpuMeter, nowMs, serveRpc } from "./rpc.js";

/**
 * The slice of socket.io-client's API both libraries share.
 * @typedef {{
 *   on(ev: string, fn: (...args: any[]) => void): unknown,
 *   once(ev: string, fn: (...args: any[]) => void): unknown,
 *   emit(ev: string, ...args: any[]): unknown,
 *   disconnect(): unknown,
 *   connected: boolean,
 * }} ClientSocket
 * @typedef {(url: string, opts: Record<string, unknown>) => ClientSocket} IoFn
 */

/**
 * The "raw-ws" target, the floor under any client built on `ws`: one bare `ws` WebSocket per
 * instance speaking only what this scenario needs (open `0{…}` → CONNECT `40`, ping `2` →
 * `3`, `42[…]` events JSON-parsed and dispatched to their one handler, `43N[…]` acks
 * matched by id, `42N["echo",…]` sent). No reconnection, buffering, namespaces or binary.
 * @param {typeof import("ws").WebSocket} WebSocket
 * @param {string} url
 * @returns {ClientSocket}
 */
function bareClient(WebSocket, url) {
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket`);
  /** @type {Map<string, (...args: any[]) => void>} */
  const handlers = new Map();
  /** @type {Map<number, (...args: any[]) => void>} */
  const acks = new Map();
  let nextAck = 0;
  const s = {
    connected: false,
    /** @param {string} ev @param {(...args: any[]) => void} fn */
    on(ev, fn) {
      handlers.set(ev, fn);
      return s;
    },
    /** @param {string} ev @param {(...args: any[]) => void} fn */
    once(ev, fn) {
      handlers.set(ev, fn);
      return s;
    },
    /** @param {string} ev @param {...any} args */
    emit(ev, ...args) {
      const ack = typeof args.at(-1) === "function" ? args.pop() : null;
      if (ack) {
        const id = nextAck++;
        acks.set(id, ack);
        ws.send(`42${id}${JSON.stringify([ev, ...args])}`);
      } else ws.send(`42${JSON.stringify([ev, ...args])}`);
      return s;
    },
    disconnect() {
      ws.close();
      s.connected = false;
      return s;
    },
  };
  ws.on("message", (/** @type {Buffer} */ buf, /** @type {boolean} */ isBinary) => {
    if (isBinary) return;
    const text = buf.toString();
    const type = text.charCodeAt(0);
    if (type === 0x34 /* 4 message */) {
      const st = text.charCodeAt(1);
      if (st === 0x32 /* 2 event */) {
        const [name, ...args] = JSON.parse(text.slice(2));
        handlers.get(name)?.(...args);
      } else if (st === 0x33 /* 3 ack */) {
        const open = text.indexOf("[");
        const id = Number(text.slice(2, open));
        const fn = acks.get(id);
        acks.delete(id);
        fn?.(...JSON.parse(text.slice(open)));
      } else if (st === 0x30 /* 0 connect */) {
        s.connected = true;
        handlers.get("connect")?.();
      }
    } else if (type === 0x30 /* 0 open */) ws.send("40");
    else if (type === 0x32 /* 2 ping */) ws.send("3");
  });
  ws.on("error", (err) => handlers.get("connect_error")?.(err));
  return s;
}

/** @type {IoFn | null} */
let io = null;
let library = "";
/** @type {ClientSocket[]} */
let sockets = [];
const cpu = new CpuMeter();
const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);

/** Broadcast tracking (armed by `expect`): per client, the next sequence number due. */
const track = {
  events: 0,
  expected: 0,
  received: 0,
  outOfOrder: 0,
  badPayloads: 0,
  tFirst: 0,
  tLast: 0,
  next: new Int32Array(0),
  /** @type {(() => void) | null} */
  done: null,
};

/** @param {number} i @param {unknown} msg */
function onTick(i, msg) {
  const s = /** @type {{ s?: unknown } | null} */ (msg)?.s;
  if (typeof s !== "number") {
    track.badPayloads++;
    return;
  }
  if (s !== track.next[i]) track.outOfOrder++;
  track.next[i] = s + 1;
  if (track.received++ === 0) track.tFirst = nowMs();
  if (track.received === track.expected) {
    track.tLast = nowMs();
    track.done?.();
  }
}

async function settleGc() {
  if (!gc) throw new Error("client-main needs --expose-gc");
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** @param {number[]} sorted @param {number} q */
const quantile = (sorted, q) =>
  sorted.length === 0
    ? null
    : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null);

// BENCH_CLIENT_PROFILE=<prefix>: a V8 CPU profile of each measured window (cpuStart …
// cpuStop), written to <prefix>-<phase>.cpuprofile (phase: connect, receive, acks).
const profilePrefix = process.env.BENCH_CLIENT_PROFILE;
const session = profilePrefix ? new Session() : null;
session?.connect();
/** @param {string} method @param {object} [params] @returns {Promise<any>} */
const inspect = (method, params) =>
  new Promise((resolve, reject) =>
    session?.post(method, params, (err, res) => (err ? reject(err) : resolve(res))),
  );
let phase = "window";

const handlers = {
  async cpuStart(/** @type {{ phase?: string }} */ p) {
    phase = p?.phase ?? "window";
    if (session) {
      await inspect("Profiler.enable");
      await inspect("Profiler.setSamplingInterval", { interval: 200 });
      await inspect("Profiler.start");
    }
    return cpu.start();
  },
  async cpuStop() {
    const result = cpu.stop();
    if (session) {
      const { profile } = await inspect("Profiler.stop");
      writeFileSync(
        `${profilePrefix}-${library.replace(/\W/g, "")}-${phase}.cpuprofile`,
        JSON.stringify(profile),
      );
    }
    return result;
  },

  /** Load the client library under test (before the memory baseline). */
  async load(/** @type {{ target: string }} */ p) {
    if (p.target === "switchboard") {
      const m = await import("@switchboard/client");
      io = /** @type {IoFn} */ (/** @type {unknown} */ (m.io));
      library = "@switchboard/client";
    } else if (p.target === "socketio") {
      const m = await import("socket.io-client");
      io = /** @type {IoFn} */ (/** @type {unknown} */ (m.io));
      library = "socket.io-client";
    } else if (p.target === "raw-ws") {
      const { WebSocket } = await import("ws");
      io = /** @type {IoFn} */ ((url) => bareClient(WebSocket, url));
      library = "ws (bare Engine.IO/Socket.IO subset)";
    } else throw new Error(`client-main: no client library for target ${p.target}`);
    return { library };
  },

  /** RSS and heap after GC, and the young generation's physical size. */
  async mem() {
    await settleGc();
    const { getHeapSpaceStatistics } = await import("node:v8");
    const m = process.memoryUsage();
    const young = getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
    return {
      rss: m.rss,
      heapUsed: m.heapUsed,
      external: m.external,
      youngPhysical: young ? young.physical_space_size : 0,
      connected: sockets.filter((s) => s.connected).length,
    };
  },

  /**
   * Create `n` instances (`transports` as given, forceNew: one connection each), at most
   * `concurrency` connecting at a time; resolves when every one has its `connect` event.
   */
  async connect(
    /** @type {{ port: number, n: number, concurrency: number, transports: string[] }} */ p,
  ) {
    if (!io) throw new Error("client-main: load first");
    const ioFn = io;
    const url = `http://127.0.0.1:${p.port}`;
    const t0 = performance.now();
    let next = 0;
    let errors = 0;
    /** @type {string | null} */
    let firstError = null;
    const base = sockets.length;
    const one = () =>
      new Promise((resolve) => {
        const i = base + next++;
        const s = ioFn(url, { transports: p.transports, forceNew: true });
        sockets[i] = s;
        s.on(TICK, (/** @type {unknown} */ m) => onTick(i, m));
        s.once("connect", () => resolve(undefined));
        s.once("connect_error", (/** @type {Error} */ err) => {
          errors++;
          firstError ??= String(err);
          resolve(undefined);
        });
      });
    const worker = async () => {
      while (next < p.n) await one();
    };
    await Promise.all(Array.from({ length: Math.min(p.concurrency, p.n) }, worker));
    const ms = performance.now() - t0;
    return { ms, connected: sockets.filter((s) => s.connected).length, errors, firstError };
  },

  /** Arm broadcast counting: `events` ticks to every client. */
  expect(/** @type {{ events: number }} */ p) {
    track.next = new Int32Array(sockets.length);
    Object.assign(track, {
      events: p.events,
      expected: sockets.length * p.events,
      received: 0,
      outOfOrder: 0,
      badPayloads: 0,
      tFirst: 0,
      tLast: 0,
      done: null,
    });
    return { expected: track.expected };
  },

  /** Wait until every armed tick arrived, or until nothing arrived for `idleMs`. */
  waitDone(/** @type {{ idleMs: number }} */ p) {
    return new Promise((resolve) => {
      let last = -1;
      /** @type {NodeJS.Timeout | undefined} */
      let timer;
      const finish = () => {
        clearInterval(timer);
        track.done = null;
        let incompleteClients = 0;
        for (let i = 0; i < track.next.length; i++)
          if (track.next[i] !== track.events) incompleteClients++;
        resolve({
          expected: track.expected,
          received: track.received,
          lost: track.expected - track.received,
          outOfOrder: track.outOfOrder,
          badPayloads: track.badPayloads,
          incompleteClients,
          tFirst: track.tFirst,
          tLast: track.tLast || nowMs(),
        });
      };
      if (track.received >= track.expected) {
        finish();
        return;
      }
      track.done = finish;
      timer = setInterval(() => {
        if (track.received === last) finish();
        last = track.received;
      }, p.idleMs);
    });
  },

  /**
   * Closed loop of `echo` emits with an ack for `durationMs`: `concurrency` in flight, spread
   * over every client in turn. Each ack must carry the sequence number that was sent.
   */
  async echo(/** @type {{ durationMs: number, concurrency: number }} */ p) {
    const n = sockets.length;
    const deadline = performance.now() + p.durationMs;
    const t0 = performance.now();
    let seq = 0;
    let completed = 0;
    let mismatches = 0;
    let lostAcks = 0;
    /** @type {number[]} */
    const rtts = [];
    const worker = async (/** @type {number} */ w) => {
      let i = w;
      while (performance.now() < deadline) {
        const s = /** @type {ClientSocket} */ (sockets[i % n]);
        i += p.concurrency;
        const sent = seq++;
        const t = performance.now();
        const ok = await new Promise((resolve) => {
          const timer = setTimeout(() => resolve(null), 10_000);
          s.emit("echo", { s: sent, p: PAD }, (/** @type {any} */ data) => {
            clearTimeout(timer);
            resolve(data);
          });
        });
        if (ok === null) {
          lostAcks++;
          continue;
        }
        if (/** @type {any} */ (ok)?.s !== sent) mismatches++;
        completed++;
        if (rtts.length < 200_000) rtts.push(performance.now() - t);
      }
    };
    await Promise.all(Array.from({ length: Math.min(p.concurrency, n) }, (_, w) => worker(w)));
    const elapsedMs = performance.now() - t0;
    rtts.sort((a, b) => a - b);
    return {
      completed,
      elapsedMs,
      mismatches,
      lostAcks,
      p50Ms: quantile(rtts, 0.5),
      p99Ms: quantile(rtts, 0.99),
    };
  },

  /** Disconnect every instance. */
  closeAll() {
    for (const s of sockets) s.disconnect();
    sockets = [];
    return { ok: true };
  },
};

serveRpc(handlers, { role: "client-load" });

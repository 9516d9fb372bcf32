// Load generator of the reconnect storm (scenarios/cluster-storm.js), pinned to core 1: N
// official socket.io-client instances (WebSocket transport, the same client library and
// reconnection backoff for every target), each in one room, counting every numbered
// broadcast it gets. The servers are reached as through an L4 round robin without a proxy
// process: each client's http.Agent opens its TCP connection to the node the balancer
// picks, client i's first connection to node i mod nodes, any later one (a reconnection) to
// a node drawn at random from the surviving ones (`arm` tells them, as a balancer's health
// check would). A proxy in front of 10,000 connections would hold 20,000 file descriptors,
// the hard per-process limit on the machine these figures come from.
import http from "node:http";
import net from "node:net";
import { io } from "socket.io-client";
import { TICK } from "./app.js";
import { CpuMeter, nowMs, serveRpc } from "./rpc.js";

/** @typedef {import("socket.io-client").Socket} ClientSocket */

/** @type {ClientSocket[]} */
let sockets = [];
let ports = /** @type {number[]} */ ([]);
let alive = /** @type {number[]} */ ([]);
let T = 0;
/** Per client and tick: how many times it arrived (0..255). */
let counts = new Uint8Array(0);
/** Per client: highest tick number received so far (-1: none). */
let lastSeq = new Int32Array(0);
/** Per client: index in `ports` of the node its current connection went to. */
let nodeOf = new Int8Array(0);
/** Per client: connections opened (1 = never reconnected). */
let opened = new Int32Array(0);
/** Per client, epoch ms: first disconnect after `arm`, next connect after it (0: none). */
let disconnectedAt = new Float64Array(0);
let reconnectedAt = new Float64Array(0);
/** Per client: `socket.recovered` at that reconnection. */
let recovered = new Uint8Array(0);
/** Per client and tick: 1 when it first arrived after the reconnection. */
let afterBack = new Uint8Array(0);
/** Per tick: when it was emitted (epoch ms, from its payload). */
let tickTime = new Float64Array(0);
/** Per client, epoch ms: when the node it reconnected to says its socket joined (`welcome`). */
let joinedAt = new Float64Array(0);
/** Per client, epoch ms: the start of its last reconnection attempt (after the backoff). */
let attemptAt = new Float64Array(0);
/** Per client, ms: from that attempt's start to the `connect` event (handshake + restore). */
let attemptMs = new Float64Array(0);
/** Per client: a tick that arrived after a higher one (a first arrival, not a duplicate). */
let reordered = new Int32Array(0);
/** Per client: disconnects after its reconnection (a second loss of the connection). */
let againLost = new Int32Array(0);
/** Per client: 1 when its connection was on the killed node at `arm`. */
let affected = new Uint8Array(0);
let armed = false;
let received = 0;
let badPayloads = 0;
let connectErrors = 0;
/** connect_error messages and how often (at most 20 kinds). @type {Map<string, number>} */
const errorKinds = new Map();

/**
 * @param {number} i
 * @param {unknown} msg
 */
function onTick(i, msg) {
  received++;
  const m = /** @type {{ s?: unknown, t?: unknown } | null} */ (msg);
  const s = m?.s;
  const t = m?.t;
  if (typeof s !== "number" || typeof t !== "number" || s < 0 || s >= T || !Number.isInteger(s)) {
    badPayloads++;
    return;
  }
  const k = i * T + s;
  const c = counts[k] ?? 0;
  if (c < 255) counts[k] = c + 1;
  if (c === 0 && s < (lastSeq[i] ?? -1)) reordered[i] = (reordered[i] ?? 0) + 1;
  if (s > (lastSeq[i] ?? -1)) lastSeq[i] = s;
  if (c === 0 && (reconnectedAt[i] ?? 0) > 0) afterBack[k] = 1;
  if (tickTime[s] === 0) tickTime[s] = t;
}

/**
 * An http.Agent whose connections go where the balancer sends client `i`.
 * @param {number} i
 */
function balancedAgent(i) {
  const agent = new http.Agent({ keepAlive: false });
  agent.createConnection = () => {
    const first = (opened[i] ?? 0) === 0;
    opened[i] = (opened[i] ?? 0) + 1;
    const pool = first ? ports : alive;
    const node = first
      ? i % ports.length
      : ports.indexOf(pool[Math.floor(Math.random() * pool.length)] ?? -1);
    nodeOf[i] = node;
    return net.createConnection({ host: "127.0.0.1", port: ports[node] ?? 0 });
  };
  return agent;
}

/**
 * Run `fn(i)` for i in [0, n), `concurrency` at a time.
 * @param {number} n
 * @param {number} concurrency
 * @param {(i: number) => Promise<void>} fn
 */
async function pool(n, concurrency, fn) {
  let next = 0;
  let errors = 0;
  /** @type {string | null} */
  let firstError = null;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      try {
        await fn(i);
      } catch (err) {
        errors++;
        firstError ??= String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return { errors, firstError };
}

const cpu = new CpuMeter();

const handlers = {
  cpuStart: () => cpu.start(),
  cpuStop: () => cpu.stop(),

  /**
   * Open `n` clients with connection state recovery's client side (socket.io-client keeps
   * the session id and the last offset and sends them when it reconnects); client i in room
   * `r<i mod rooms>`, first connected to node i mod nodes.
   */
  async connect(
    /** @type {{ ports: number[], n: number, rooms: number, maxTicks: number, concurrency: number,
     *   reconnectionDelay: number, reconnectionDelayMax: number, randomizationFactor: number }} */ p,
  ) {
    ports = p.ports;
    alive = [...p.ports];
    T = p.maxTicks;
    const n = p.n;
    counts = new Uint8Array(n * T);
    lastSeq = new Int32Array(n).fill(-1);
    nodeOf = new Int8Array(n).fill(-1);
    opened = new Int32Array(n);
    disconnectedAt = new Float64Array(n);
    reconnectedAt = new Float64Array(n);
    recovered = new Uint8Array(n);
    afterBack = new Uint8Array(n * T);
    tickTime = new Float64Array(T);
    joinedAt = new Float64Array(n);
    attemptAt = new Float64Array(n);
    attemptMs = new Float64Array(n);
    reordered = new Int32Array(n);
    affected = new Uint8Array(n);
    againLost = new Int32Array(n);
    sockets = new Array(n);
    const t0 = performance.now();
    const res = await pool(n, p.concurrency, (i) => {
      const socket = io(`http://127.0.0.1:${ports[0]}`, {
        transports: ["websocket"],
        forceNew: true,
        agent: /** @type {any} (the Node build passes it to `ws`) */ (balancedAgent(i)),
        auth: { room: `r${i % p.rooms}` },
        reconnectionDelay: p.reconnectionDelay,
        reconnectionDelayMax: p.reconnectionDelayMax,
        randomizationFactor: p.randomizationFactor,
        timeout: 20_000,
      });
      sockets[i] = socket;
      socket.on(TICK, (/** @type {unknown} */ msg) => onTick(i, msg));
      socket.on("disconnect", (/** @type {string} */ reason) => {
        if (armed && disconnectedAt[i] === 0) disconnectedAt[i] = nowMs();
        else if (armed && (reconnectedAt[i] ?? 0) > 0) {
          againLost[i] = (againLost[i] ?? 0) + 1;
          const why = `disconnect after reconnecting: ${reason}`;
          if (errorKinds.size < 20 || errorKinds.has(why))
            errorKinds.set(why, (errorKinds.get(why) ?? 0) + 1);
        }
      });
      socket.on("connect", () => {
        if (disconnectedAt[i] !== 0 && reconnectedAt[i] === 0) {
          reconnectedAt[i] = nowMs();
          attemptMs[i] = (reconnectedAt[i] ?? 0) - (attemptAt[i] ?? 0);
          recovered[i] = socket.recovered ? 1 : 0;
        }
      });
      socket.on("welcome", (/** @type {{ t?: unknown }} */ msg) => {
        if ((reconnectedAt[i] ?? 0) > 0 && joinedAt[i] === 0 && typeof msg?.t === "number") {
          joinedAt[i] = msg.t;
        }
      });
      socket.io.on("reconnect_attempt", () => {
        if (armed && reconnectedAt[i] === 0) attemptAt[i] = nowMs();
      });
      socket.on("connect_error", (/** @type {Error} */ err) => {
        connectErrors++;
        const why = String(err?.message ?? err);
        if (errorKinds.size < 20 || errorKinds.has(why))
          errorKinds.set(why, (errorKinds.get(why) ?? 0) + 1);
      });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`client ${i}: no connect in 30 s`)),
          30_000,
        );
        socket.once("connect", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    });
    const perNode = ports.map(() => 0);
    for (let i = 0; i < n; i++) {
      const k = nodeOf[i] ?? -1;
      if (k >= 0 && sockets[i]?.connected) perNode[k] = (perNode[k] ?? 0) + 1;
    }
    return {
      connected: sockets.filter((s) => s?.connected).length,
      perNode,
      ms: performance.now() - t0,
      ...res,
    };
  },

  /** The node at `victim` is about to be killed: reconnections go to `survivors` from now on. */
  arm(/** @type {{ victim: number, survivors: number[] }} */ p) {
    alive = [...p.survivors];
    armed = true;
    let n = 0;
    for (let i = 0; i < sockets.length; i++) {
      const on = ports[nodeOf[i] ?? -1] === p.victim && sockets[i]?.connected === true;
      affected[i] = on ? 1 : 0;
      if (on) n++;
    }
    return { affected: n };
  },

  /** Wait until every affected client is connected again, at most `timeoutMs`. */
  waitReconnected(/** @type {{ timeoutMs: number }} */ p) {
    return new Promise((resolve) => {
      const deadline = performance.now() + p.timeoutMs;
      const check = () => {
        let waiting = 0;
        for (let i = 0; i < sockets.length; i++) {
          if (affected[i] === 1 && reconnectedAt[i] === 0) waiting++;
        }
        if (waiting === 0 || performance.now() > deadline) resolve({ waiting });
        else setTimeout(check, 20);
      };
      check();
    });
  },

  /**
   * Wait until every connected client has tick `ticks - 1` (the last one published), or
   * until no event arrived for `idleMs`.
   */
  drain(/** @type {{ ticks: number, idleMs: number }} */ p) {
    return new Promise((resolve) => {
      let last = received;
      let quietSince = performance.now();
      const check = () => {
        let missing = 0;
        for (let i = 0; i < sockets.length; i++) {
          if (sockets[i]?.connected && (counts[i * T + p.ticks - 1] ?? 0) === 0) missing++;
        }
        if (received !== last) {
          last = received;
          quietSince = performance.now();
        }
        if (missing === 0 || performance.now() - quietSince > p.idleMs) resolve({ missing });
        else setTimeout(check, 50);
      };
      check();
    });
  },

  /**
   * Per-client analysis over ticks 0 … ticks-1 (every client was in its room before the first):
   * lost (never arrived), duplicated (arrived more than once), reordered; reconnection times
   * measured from `tKill` (epoch ms).
   */
  report(/** @type {{ ticks: number, tKill: number }} */ p) {
    const ticks = Math.min(p.ticks, T);
    const a = {
      clients: 0,
      reconnected: 0,
      recovered: 0,
      replayed: 0,
      lost: 0,
      dup: 0,
      reordered: 0,
      clientsWithLoss: 0,
      maxLost: 0,
      noWelcome: 0,
      triesRecovered: 0,
      triesFresh: 0,
      recoveredLostAgain: 0,
      recoveredWithGap: 0,
    };
    const u = { clients: 0, lost: 0, dup: 0, reordered: 0, disconnected: 0 };
    /** @type {number[]} */
    const times = [];
    /** @type {number[]} */
    const attempts = [];
    for (let i = 0; i < sockets.length; i++) {
      let lost = 0;
      let dup = 0;
      let replayed = 0;
      const joined = joinedAt[i] ?? 0;
      for (let s = 0; s < ticks; s++) {
        const c = counts[i * T + s] ?? 0;
        if (c === 0) lost++;
        else dup += c - 1;
        // only a recovered session has missed packets sent to it (a fresh one may still get a
        // tick emitted just before its join, in flight through Redis: a live delivery)
        if (
          recovered[i] === 1 &&
          afterBack[i * T + s] === 1 &&
          joined > 0 &&
          (tickTime[s] ?? 0) < joined
        )
          replayed++;
      }
      if (affected[i] === 1) {
        a.clients++;
        // connections opened after the kill (1 = back at the first attempt)
        const tries = (opened[i] ?? 1) - 1;
        if (recovered[i] === 1) a.triesRecovered += tries;
        else a.triesFresh += tries;
        if ((reconnectedAt[i] ?? 0) > 0) {
          a.reconnected++;
          times.push((reconnectedAt[i] ?? 0) - p.tKill);
          if ((attemptAt[i] ?? 0) > 0) attempts.push(attemptMs[i] ?? 0);
          if (joined === 0) a.noWelcome++;
        }
        a.recovered += recovered[i] ?? 0;
        a.replayed += replayed;
        a.lost += lost;
        a.dup += dup;
        a.reordered += reordered[i] ?? 0;
        if (lost > 0) a.clientsWithLoss++;
        // a client recovered at its first reconnection that still misses ticks: lost again
        // later (then its next session may be fresh), or a gap in the recovery itself
        if (lost > 0 && recovered[i] === 1) {
          if ((againLost[i] ?? 0) > 0) a.recoveredLostAgain++;
          else a.recoveredWithGap++;
        }
        if (lost > a.maxLost) a.maxLost = lost;
      } else {
        u.clients++;
        u.lost += lost;
        u.dup += dup;
        u.reordered += reordered[i] ?? 0;
        if ((disconnectedAt[i] ?? 0) > 0) u.disconnected++;
      }
    }
    times.sort((x, y) => x - y);
    attempts.sort((x, y) => x - y);
    return {
      affected: a,
      unaffected: u,
      // over every affected client: null when half of them (or any, for the max) are not back
      reconnectP50Ms: times[Math.floor(a.clients / 2)] ?? null,
      reconnectMaxMs: a.reconnected === a.clients ? (times.at(-1) ?? null) : null,
      attemptP50Ms: attempts[Math.floor(attempts.length / 2)] ?? null,
      attemptMaxMs: attempts.at(-1) ?? null,
      received,
      badPayloads,
      connectErrors,
      errorKinds: Object.fromEntries(errorKinds),
    };
  },

  closeAll() {
    for (const s of sockets) s?.disconnect();
    sockets = [];
    armed = false;
    return { ok: true };
  },
};

serveRpc(handlers, { pid: process.pid });

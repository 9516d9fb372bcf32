// Load-generator process (pinned to core 1): the same code drives every target. It holds
// the client table and runs the workloads the orchestrator asks for, counting every
// message and checking per-client ordering through the sequence numbers in payloads.
import { PAD } from "./app.js";
import { LeanPolling, seqOfText } from "./lean-polling.js";
import { LeanWs, seqOf } from "./lean-ws.js";
import { CpuMeter, nowMs, serveRpc } from "./rpc.js";

/** @typedef {LeanWs | LeanPolling} Client */

/** @type {Client[]} */
let clients = [];
/** @type {boolean[]} */
let inRoom = [];
/** Extra connections opened by the connect-rate workload. @type {{ close(): void }[]} */
let extra = [];
const cpu = new CpuMeter();

/** @param {string} target */
const kindOf = (target) => (target === "raw-ws" ? "raw" : "sio");

/** @param {number} port @param {"sio" | "raw"} kind @param {string} [sid] */
function wsUrl(port, kind, sid) {
  if (kind === "raw") return `ws://127.0.0.1:${port}/raw`;
  const s = sid ? `&sid=${sid}` : "";
  return `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket${s}`;
}

/**
 * Run `fn(i)` for i in [0, n) with at most `concurrency` in flight, until `deadline`.
 * @param {number} n
 * @param {number} concurrency
 * @param {(i: number) => Promise<void>} fn
 * @param {number} [deadline] performance.now() limit
 */
async function pool(n, concurrency, fn, deadline = Number.POSITIVE_INFINITY) {
  let next = 0;
  let errors = 0;
  /** @type {string | null} */
  let firstError = null;
  const worker = async () => {
    while (next < n && performance.now() < deadline) {
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
  return { started: next, errors, firstError };
}

/** @param {number[]} sorted @param {number} q */
function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;
}

/** Broadcast tracking state (armed by `expect`). */
const track = {
  expected: 0,
  received: 0,
  outOfOrder: 0,
  unexpected: 0,
  badFrames: 0,
  events: 0,
  tFirst: 0,
  tLast: 0,
  /** @type {Int32Array} */
  next: new Int32Array(0),
  /** @type {Uint8Array} */
  member: new Uint8Array(0),
  /** @type {(() => void) | null} */
  done: null,
};

/** @param {number} i @param {number} seq */
function onTick(i, seq) {
  if (seq < 0) {
    track.badFrames++;
    return;
  }
  if (track.member[i] !== 1) {
    track.unexpected++;
    return;
  }
  if (seq !== track.next[i]) track.outOfOrder++;
  track.next[i] = seq + 1;
  if (track.received++ === 0) track.tFirst = nowMs();
  if (track.received === track.expected) {
    track.tLast = nowMs();
    track.done?.();
  }
}

const handlers = {
  cpuStart: () => cpu.start(),
  cpuStop: () => cpu.stop(),

  /** Open `n` clients (websocket or polling-only); client i joins room "half" if roomEvery divides i. */
  async connect(/** @type {any} */ p) {
    const kind = kindOf(p.target);
    const t0 = performance.now();
    const base = clients.length;
    const res = await pool(p.n, p.concurrency ?? 100, async (k) => {
      const i = base + k;
      const room = p.roomEvery && i % p.roomEvery === 0;
      const auth = room ? { room: "half" } : null;
      /** @type {Client} */
      let c;
      if (p.transport === "polling") {
        const lp = new LeanPolling(kind, p.port, auth);
        await lp.connect();
        lp.start();
        c = lp;
      } else {
        // sourceAddresses: spread the connections over 127.0.0.2, .3, … (a source address
        // has ~28k ephemeral ports; loopback answers on all of 127/8)
        const from = p.sourceAddresses ? `127.0.0.${2 + (i % p.sourceAddresses)}` : undefined;
        c = new LeanWs(kind, wsUrl(p.port, kind), auth, from);
        await c.connect();
      }
      c.index = i;
      clients[i] = c;
      inRoom[i] = Boolean(room);
    });
    if (res.errors > 0) {
      // keep the two tables aligned when some connections failed
      const kept = clients.map((c, i) => ({ c, r: inRoom[i] ?? false })).filter((e) => e.c);
      clients = kept.map((e) => e.c);
      inRoom = kept.map((e) => e.r);
      clients.forEach((c, i) => {
        c.index = i;
      });
    }
    return { connected: clients.length, ms: performance.now() - t0, ...res };
  },

  /** Arm broadcast counting: `events` ticks to every client (or to room members only). */
  expect(/** @type {any} */ p) {
    const n = clients.length;
    track.next = new Int32Array(n);
    track.member = new Uint8Array(n);
    let members = 0;
    for (let i = 0; i < n; i++) {
      const m = !p.room || inRoom[i];
      track.member[i] = m ? 1 : 0;
      if (m) members++;
    }
    Object.assign(track, {
      events: p.events,
      expected: members * p.events,
      received: 0,
      outOfOrder: 0,
      unexpected: 0,
      badFrames: 0,
      tFirst: 0,
      tLast: 0,
      done: null,
    });
    for (const c of clients) {
      if (c instanceof LeanWs) c.onEvent = (cl, buf) => onTick(cl.index, seqOf(buf));
      else {
        c.onEvent = (cl, payload, at) => onTick(cl.index, seqOfText(payload, at));
        c.eventAnswers = 0;
      }
    }
    return { members, expected: track.expected };
  },

  /** Wait until every armed message arrived, or until nothing arrived for idleMs. */
  waitDone(/** @type {any} */ p) {
    return new Promise((resolve) => {
      let last = -1;
      /** @type {NodeJS.Timeout | undefined} */
      let timer;
      const finish = () => {
        clearInterval(timer);
        track.done = null;
        let incompleteClients = 0;
        for (let i = 0; i < track.next.length; i++) {
          if (track.member[i] === 1 && track.next[i] !== track.events) incompleteClients++;
        }
        let pollAnswers = 0;
        for (const c of clients) if (c instanceof LeanPolling) pollAnswers += c.eventAnswers;
        resolve({
          expected: track.expected,
          received: track.received,
          lost: track.expected - track.received,
          outOfOrder: track.outOfOrder,
          unexpected: track.unexpected,
          badFrames: track.badFrames,
          incompleteClients,
          pollAnswers,
          tFirst: track.tFirst,
          tLast: track.tLast || nowMs(),
        });
      };
      if (track.received >= track.expected) return finish();
      track.done = finish;
      timer = setInterval(() => {
        if (track.received === last) finish();
        last = track.received;
      }, p.idleMs ?? 5000);
    });
  },

  /**
   * Closed loop of emit-with-ack (event `event`, default "echo") on the first `clients`
   * clients for `durationMs`, or until `count` round trips completed when given (a fixed
   * amount of work: bench/callgrind.js).
   */
  echo(/** @type {any} */ p) {
    const cs = /** @type {LeanWs[]} */ (clients.slice(0, p.clients));
    const event = typeof p.event === "string" ? p.event : "echo";
    return new Promise((resolve) => {
      const ids = new Int32Array(cs.length);
      const t0 = new Float64Array(cs.length);
      /** @type {number[]} */
      const rtts = [];
      let stop = false;
      let inflight = 0;
      let mismatches = 0;
      let tStart = 0;
      let tStop = 0;
      const finish = () => {
        clearTimeout(safety);
        if (timer !== null) clearTimeout(timer);
        rtts.sort((a, b) => a - b);
        resolve({
          completed: rtts.length,
          elapsedMs: tStop - tStart,
          p50Ms: quantile(rtts, 0.5),
          p99Ms: quantile(rtts, 0.99),
          maxMs: rtts.at(-1) ?? null,
          mismatches,
          lostAcks: inflight,
        });
      };
      /** @param {LeanWs} c */
      const send = (c) => {
        const i = c.index;
        const id = (ids[i] ?? 0) + 1;
        ids[i] = id;
        t0[i] = performance.now();
        inflight++;
        c.send(
          c.kind === "sio"
            ? `42${id}["${event}",{"s":${id},"p":"${PAD}"}]`
            : `[${id},"${event}",{"s":${id},"p":"${PAD}"}]`,
        );
      };
      for (const c of cs) {
        c.onAck = (cl, id, buf) => {
          const now = performance.now();
          inflight--;
          const i = cl.index;
          if (id !== ids[i] || seqOf(buf) !== id) mismatches++;
          if (!stop) {
            rtts.push(now - /** @type {number} */ (t0[i]));
            if (rtts.length === p.count) {
              stop = true;
              tStop = now;
              if (inflight === 0) finish();
            } else send(cl);
          } else if (inflight === 0) finish();
        };
      }
      tStart = performance.now();
      for (const c of cs) send(c);
      const counted = typeof p.count === "number";
      const timer = counted
        ? null
        : setTimeout(() => {
            stop = true;
            tStop = performance.now();
          }, p.durationMs);
      const safety = setTimeout(
        () => {
          tStop ||= performance.now();
          finish();
        },
        (counted ? (p.timeoutMs ?? 600_000) : p.durationMs) + 10_000,
      );
    });
  },

  /** Closed loop of `size`-byte binary emit-with-ack echoes on the first `clients` clients. */
  binaryEcho(/** @type {any} */ p) {
    const cs = /** @type {LeanWs[]} */ (clients.slice(0, p.clients));
    const size = p.size;
    return new Promise((resolve) => {
      const ids = new Int32Array(cs.length);
      const bufs = cs.map((c) => {
        if (c.kind === "sio") return Buffer.alloc(size, 0xab);
        const b = Buffer.alloc(9 + size, 0xab);
        b.writeUInt8(4, 4);
        b.write("echo", 5, "latin1");
        return b;
      });
      let stop = false;
      let inflight = 0;
      let mismatches = 0;
      let completed = 0;
      let tStart = 0;
      let tStop = 0;
      const finish = () => {
        clearTimeout(safety);
        resolve({
          completed,
          bytes: completed * size,
          elapsedMs: tStop - tStart,
          mismatches,
          lostAcks: inflight,
        });
      };
      /** @param {LeanWs} c */
      const send = (c) => {
        const i = c.index;
        const id = (ids[i] ?? 0) + 1;
        ids[i] = id;
        const b = /** @type {Buffer} */ (bufs[i]);
        inflight++;
        if (c.kind === "sio") {
          b.writeUInt32LE(id, 0);
          c.sendWithAttachment(`451-${id}["echo",{"_placeholder":true,"num":0}]`, b);
        } else {
          b.writeUInt32LE(id, 0);
          b.writeUInt32LE(id, 9);
          c.send(b);
        }
      };
      for (const c of cs) {
        c.onBinaryAck = (cl, id, data) => {
          inflight--;
          const i = cl.index;
          if (id !== ids[i] || data.length !== size || data.readUInt32LE(0) !== id) mismatches++;
          if (!stop) {
            completed++;
            send(cl);
          } else if (inflight === 0) finish();
        };
      }
      tStart = performance.now();
      for (const c of cs) send(c);
      setTimeout(() => {
        stop = true;
        tStop = performance.now();
      }, p.durationMs);
      const safety = setTimeout(() => {
        tStop ||= performance.now();
        finish();
      }, p.durationMs + 10_000);
    });
  },

  /** Open up to `total` connections, `concurrency` at a time, within `durationMs`. */
  async connectRate(/** @type {any} */ p) {
    const kind = kindOf(p.target);
    let completed = 0;
    let tLast = 0;
    const t0 = performance.now();
    const res = await pool(
      p.total,
      p.concurrency,
      async () => {
        if (p.transport === "upgrade") {
          const lp = new LeanPolling("sio", p.port, null);
          extra.push({ close: () => lp.stop() });
          await lp.connect();
          const pending = lp.pollOnce(); // the GET the server must release with a noop
          const ws = new LeanWs("sio", wsUrl(p.port, "sio", lp.sid), null);
          extra.push(ws);
          await ws.probe();
          await pending;
          ws.send("5");
        } else {
          const ws = new LeanWs(kind, wsUrl(p.port, kind), null);
          extra.push(ws);
          await ws.connect();
        }
        completed++;
        tLast = performance.now();
      },
      t0 + p.durationMs,
    );
    return { completed, elapsedMs: tLast - t0, errors: res.errors, firstError: res.firstError };
  },

  closeAll() {
    for (const c of clients) {
      if (c instanceof LeanPolling) c.stop();
      else c.close();
    }
    for (const c of extra) c.close();
    clients = [];
    inRoom = [];
    extra = [];
    return { ok: true };
  },
};

serveRpc(handlers, { pid: process.pid });

// Well-behaved clients of the soak test (bench/soak.js): the workspace's @switchboard/client
// and the official socket.io-client, over WebSocket, long-polling, or polling upgraded to
// WebSocket. Each joins a room through its CONNECT auth, checks that every broadcast it is
// owed arrives, in order and intact (sequence numbers per stream, from the server's
// "welcome"), and sends acked echoes (text and binary) whose round trips are measured.
import { io as sbIo } from "@switchboard/client";
import { io as sioIo } from "socket.io-client";

/** @typedef {"sb" | "sio"} Lib */
/** @typedef {"websocket" | "polling" | "upgrade"} Mode */
/**
 * What a client needs from the driver.
 * @typedef {{
 *   url: string,
 *   fail(kind: string, detail: string): void,
 *   stats: ClientStats,
 *   binaryEvery: number, roomBinaryBytes: number, bulkBytes: number,
 *   ackEveryMs: number, ackTimeoutMs: number,
 * }} Driver
 */

export const LIBS = /** @type {const} */ (["sb", "sio"]);
export const MODES = /** @type {const} */ (["websocket", "polling", "upgrade"]);
const ECHO_BINARY_BYTES = 4096;
/** At most this many echoes in flight per client (a stalled server cannot make it queue more). */
const MAX_PENDING_ACKS = 20;

/**
 * Log-bucketed latency histogram (1% wide buckets from 10 µs): whole-run percentiles in
 * bounded memory.
 */
export class LatencyHistogram {
  static #BASE = 0.01;
  static #STEP = Math.log(1.01);
  /** @type {number[]} */
  #buckets = [];
  count = 0;
  max = 0;
  /** @param {number} ms */
  add(ms) {
    const i =
      ms <= LatencyHistogram.#BASE
        ? 0
        : Math.ceil(Math.log(ms / LatencyHistogram.#BASE) / LatencyHistogram.#STEP);
    this.#buckets[i] = (this.#buckets[i] ?? 0) + 1;
    this.count++;
    if (ms > this.max) this.max = ms;
  }
  /** Upper edge of the bucket holding the p-th percentile, ms. @param {number} p */
  percentile(p) {
    if (this.count === 0) return null;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < this.#buckets.length; i++) {
      seen += this.#buckets[i] ?? 0;
      if (seen >= rank) return Math.min(this.max, LatencyHistogram.#BASE * 1.01 ** i);
    }
    return this.max;
  }
}

/** p-th percentile of a small sample (sorted in place). @param {number[]} xs @param {number} p */
export function percentile(xs, p) {
  if (xs.length === 0) return null;
  xs.sort((a, b) => a - b);
  return xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? null;
}

/** Counters of the well-behaved clients: per reporting interval and for the whole run. */
export class ClientStats {
  /** Ack round trips of the current interval, ms. @type {number[]} */
  intervalAcks = [];
  intervalBroadcasts = 0;
  acks = 0;
  broadcasts = 0;
  binaryBroadcasts = 0;
  binaryEchoes = 0;
  connects = 0;
  disconnects = 0;
  upgrades = 0;
  lateAcks = 0;
  all = new LatencyHistogram();
  /** @param {number} ms */
  ack(ms) {
    this.acks++;
    this.intervalAcks.push(ms);
    this.all.add(ms);
  }
  /** The interval's figures; starts the next interval. */
  takeInterval() {
    const xs = this.intervalAcks;
    this.intervalAcks = [];
    const out = {
      acks: xs.length,
      ackP50: percentile(xs, 50),
      ackP99: percentile(xs, 99),
      ackMax: xs.length ? (xs[xs.length - 1] ?? null) : null,
      broadcasts: this.intervalBroadcasts,
    };
    this.intervalBroadcasts = 0;
    return out;
  }
}

/** Bytes of a binary argument as either library hands it over. @param {unknown} x */
export function asBuffer(x) {
  if (Buffer.isBuffer(x)) return x;
  if (x instanceof ArrayBuffer) return Buffer.from(x);
  if (ArrayBuffer.isView(x)) return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  return null;
}

/** The server's binary payload shape: 4-byte BE sequence number, then its low byte. */
function binaryOk(/** @type {Buffer} */ b, /** @type {number} */ n, /** @type {number} */ bytes) {
  return b.length === bytes && b.readUInt32BE(0) === n >>> 0 && b[bytes - 1] === (n & 0xff);
}

function echoBinary(/** @type {number} */ n) {
  const b = Buffer.alloc(ECHO_BINARY_BYTES, n & 0xff);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/** One well-behaved client: a socket of either library, checked end to end. */
export class GoodClient {
  /** @type {"connecting" | "connected" | "ended"} */
  state = "connecting";
  /** Ended by us (churn, end of run), not by the server. */
  leaving = false;
  /** Next sequence number owed per stream, from "welcome"; null until it arrives. @type {Record<string, number> | null} */
  streams = null;
  /** Echoes in flight: number → send time (performance.now()). @type {Map<number, number>} */
  pending = new Map();
  /** Echoes reported late (answered after the timeout): still expected, not unknown. @type {Set<number>} */
  late = new Set();
  #n = 0;
  /** @type {NodeJS.Timeout | null} */
  #ackTimer = null;
  /** @type {any} */
  socket = null;
  /** Resolves when the client has ended (for any reason). @type {Promise<void>} */
  ended;
  /** @type {() => void} */
  #resolveEnded = () => {};

  /**
   * @param {Driver} d
   * @param {{ lib: Lib, mode: Mode, room: string, bulk: boolean, kind: "good" | "churn", id: string }} o
   */
  constructor(d, o) {
    this.d = d;
    this.o = o;
    this.label = `${o.kind}#${o.id} ${o.lib}/${o.mode} ${o.room}${o.bulk ? "+bulk" : ""}`;
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
  }

  start() {
    const { lib, mode, room, bulk, kind, id } = this.o;
    const open = lib === "sb" ? sbIo : sioIo;
    /** @type {any} */
    const s = open(this.d.url, {
      forceNew: true,
      reconnection: false,
      timeout: 10_000,
      transports:
        mode === "websocket"
          ? ["websocket"]
          : mode === "polling"
            ? ["polling"]
            : ["polling", "websocket"],
      upgrade: mode === "upgrade",
      auth: { kind, room, bulk },
      query: { k: kind, id },
    });
    this.socket = s;
    s.on("connect", () => {
      if (this.state !== "connecting") return;
      this.state = "connected";
      this.d.stats.connects++;
      s.io?.engine?.on?.("upgrade", () => {
        this.d.stats.upgrades++;
      });
      this.#scheduleEcho(Math.random() * this.d.ackEveryMs);
    });
    s.on("connect_error", (/** @type {Error} */ err) => {
      this.d.fail("well-behaved client could not connect", `${this.label}: ${err?.message}`);
      this.#end();
    });
    s.on("disconnect", (/** @type {string} */ reason) => {
      if (!this.leaving) {
        this.d.fail("well-behaved client disconnected by the server", `${this.label}: ${reason}`);
      }
      this.d.stats.disconnects++;
      this.#end();
    });
    s.on("welcome", (/** @type {Record<string, number>} */ w) => this.#onWelcome(w));
    s.on(
      "b",
      (/** @type {string} */ stream, /** @type {number} */ n, /** @type {unknown} */ payload) =>
        this.#onBroadcast(stream, n, payload),
    );
  }

  /** Current transport name (for the interval line). */
  get transport() {
    return this.socket?.io?.engine?.transport?.name ?? "?";
  }

  /** @param {Record<string, number>} w */
  #onWelcome(w) {
    const want = ["all", this.o.room, ...(this.o.bulk ? ["bulk"] : [])];
    if (this.streams !== null || !want.every((k) => typeof w?.[k] === "number")) {
      this.d.fail("bad welcome", `${this.label}: ${JSON.stringify(w)}`);
      return;
    }
    /** @type {Record<string, number>} */
    const streams = {};
    for (const k of want) streams[k] = /** @type {number} */ (w[k]) + 1;
    this.streams = streams;
  }

  /** @param {string} stream @param {number} n @param {unknown} payload */
  #onBroadcast(stream, n, payload) {
    const next = this.streams?.[stream];
    if (next === undefined) {
      this.d.fail(
        "broadcast for a stream not joined, or before the welcome",
        `${this.label}: ${stream} #${n}`,
      );
      return;
    }
    const streams = /** @type {Record<string, number>} */ (this.streams);
    if (n !== next) {
      if (n > next) {
        this.d.fail(
          "missing broadcast",
          `${this.label}: ${stream} expected #${next}, got #${n} (${n - next} missing)`,
        );
      } else {
        this.d.fail(
          "duplicate or out-of-order broadcast",
          `${this.label}: ${stream} expected #${next}, got #${n}`,
        );
      }
    }
    if (n >= next) streams[stream] = n + 1;
    const wantBinary = stream === "bulk" || (stream !== "all" && n % this.d.binaryEvery === 0);
    if (wantBinary) {
      const b = asBuffer(payload);
      const bytes = stream === "bulk" ? this.d.bulkBytes : this.d.roomBinaryBytes;
      if (b === null || !binaryOk(b, n, bytes)) {
        this.d.fail(
          "corrupt binary broadcast",
          `${this.label}: ${stream} #${n} (${b?.length ?? typeof payload})`,
        );
      } else this.d.stats.binaryBroadcasts++;
    } else if (typeof payload !== "object" || payload === null || asBuffer(payload) !== null) {
      this.d.fail("corrupt broadcast", `${this.label}: ${stream} #${n}`);
    }
    this.d.stats.broadcasts++;
    this.d.stats.intervalBroadcasts++;
  }

  /** @param {number} ms */
  #scheduleEcho(ms) {
    if (this.state !== "connected" || this.leaving) return;
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = null;
      this.#echo();
      this.#scheduleEcho(this.d.ackEveryMs * (0.5 + Math.random()));
    }, ms);
  }

  #echo() {
    if (this.state !== "connected" || this.pending.size >= MAX_PENDING_ACKS) return;
    const n = ++this.#n;
    const binary = n % 4 === 0;
    const data = binary ? echoBinary(n) : { n, c: this.o.id, p: "echo".repeat(16) };
    this.pending.set(n, performance.now());
    this.socket.emit("echo", data, (/** @type {any} */ res) => this.#onAck(n, binary, res));
  }

  /** @param {number} n @param {boolean} binary @param {any} res */
  #onAck(n, binary, res) {
    const t0 = this.pending.get(n);
    if (t0 === undefined) {
      if (this.late.delete(n)) this.d.stats.lateAcks++;
      else this.d.fail("ack for an echo not sent", `${this.label}: #${n}`);
      return;
    }
    this.pending.delete(n);
    this.d.stats.ack(performance.now() - t0);
    if (binary) {
      const b = asBuffer(res);
      if (b === null || !binaryOk(b, n, ECHO_BINARY_BYTES)) {
        this.d.fail("wrong ack payload", `${this.label}: binary #${n}`);
      } else this.d.stats.binaryEchoes++;
    } else if (res?.n !== n || res?.c !== this.o.id) {
      this.d.fail(
        "wrong ack payload",
        `${this.label}: #${n} answered ${JSON.stringify(res)?.slice(0, 80)}`,
      );
    }
  }

  /** Report (once) every echo unanswered for longer than the ack timeout. @param {number} now */
  sweepAcks(now) {
    for (const [n, t0] of this.pending) {
      if (now - t0 <= this.d.ackTimeoutMs) break; // in send order: the rest are younger
      this.pending.delete(n);
      this.late.add(n);
      this.d.fail("ack not answered within the timeout", `${this.label}: #${n}`);
    }
  }

  stopEchoes() {
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    this.#ackTimer = null;
  }

  /**
   * Leave on purpose: stop echoing, wait (bounded) for the echoes in flight, then disconnect
   * (a Socket.IO DISCONNECT) or, `abrupt`, close the engine connection under the socket.
   * @param {boolean} abrupt
   */
  async leave(abrupt) {
    this.stopEchoes();
    const deadline = performance.now() + this.d.ackTimeoutMs + 500;
    while (this.state === "connected" && this.pending.size > 0 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
    }
    this.leaving = true;
    if (this.state === "ended") return;
    if (abrupt && this.state === "connected") this.socket.io?.engine?.close();
    else this.socket.disconnect();
    // Bounded: a library that never reports the disconnect does not hold the run.
    await Promise.race([this.ended, new Promise((r) => setTimeout(r, 5000))]);
    this.#end();
  }

  /**
   * Broadcasts owed and not received, given the last sequence number of every stream.
   * @param {Record<string, number>} last
   */
  missing(last) {
    if (this.streams === null) return -1;
    let missing = 0;
    for (const [k, next] of Object.entries(this.streams))
      missing += Math.max(0, (last[k] ?? 0) + 1 - next);
    return missing;
  }

  #end() {
    if (this.state === "ended") return;
    this.state = "ended";
    this.stopEchoes();
    // Echoes in flight die with the connection; an unexpected end was reported already.
    this.pending.clear();
    this.#resolveEnded();
  }
}

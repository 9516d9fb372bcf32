// Browser driver (scenarios/browser-decode.js), started pinned to core 1: headless Chromium
// (Debian's /usr/bin/chromium through playwright-core; its processes inherit the pinning)
// with one page that loads a client's browser bundle, connects one socket to the Switchboard
// server (core 0) over WebSocket and counts a burst of `tick` events. The page times the
// burst itself (performance.now() at the first and the last event) and checks every
// sequence number (and, for the binary variant, every attachment's size). Bundles: the
// harness's target names one — "switchboard" = packages/client/dist/bundle/socket.io.min.js,
// "socketio" = socket.io-client's dist/socket.io.min.js — loaded as they are, no bundler.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../../scripts/chromium.mjs";
import { serveRpc } from "./rpc.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// BENCH_BROWSER_PROFILE=<prefix>: a CPU profile of the page over each measured burst
// (Chrome DevTools Protocol), written to <prefix>-<target>.cpuprofile; with it the
// unminified bundles are loaded (readable function names).
const profilePrefix = process.env.BENCH_BROWSER_PROFILE;
const min = profilePrefix ? "" : ".min";

/** @param {string} target */
function bundleOf(target) {
  if (target === "switchboard")
    return path.resolve(here, `../../packages/client/dist/bundle/socket.io${min}.js`);
  if (target === "socketio")
    return path.join(
      path.dirname(require.resolve("socket.io-client/package.json")),
      `dist/socket.io${min}.js`,
    );
  throw new Error(`browser-main: no bundle for target ${target}`);
}

const browser = await launchChromium([], { executablePath: process.env.BENCH_CHROMIUM });
const page = await browser.newPage();
const cdp = profilePrefix ? await page.context().newCDPSession(page) : null;
let loaded = "";
/** @type {string[]} */
const pageErrors = [];
page.on("pageerror", (err) => pageErrors.push(String(err)));
process.on("exit", () => {
  browser.close().catch(() => {});
});

/**
 * The "replay" variants' stand-in for the page's WebSocket, defined before the bundle loads
 * (socket.io-client's bundle reads `WebSocket` when it loads): it plays a server that opens
 * the Engine.IO session, answers the namespace CONNECT, and on `replay(frames)` hands the
 * prepared frames to `onmessage`, 500 per task, as fast as the page takes them. What is
 * timed is then the bundle's own work per event (engine packet, Socket.IO decode, event
 * dispatch, the handler), without Chromium's network service and IPC in between.
 */
function installReplayWebSocket() {
  const w = /** @type {any} */ (window);
  class ReplayWebSocket {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;
    /** @param {string} url */
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.binaryType = "blob";
      this.protocol = "";
      this.extensions = "";
      this.bufferedAmount = 0;
      /** @type {any} */ this.onopen = null;
      /** @type {any} */ this.onmessage = null;
      /** @type {any} */ this.onclose = null;
      /** @type {any} */ this.onerror = null;
      w.replaySocket = this;
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.({ type: "open" });
        this.#deliver(
          '0{"sid":"replay-sid","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}',
        );
      }, 0);
    }
    /** @param {unknown} data */
    #deliver(data) {
      this.onmessage?.({ type: "message", data });
    }
    /** @param {unknown} data */
    send(data) {
      if (typeof data === "string" && data.startsWith("40")) {
        setTimeout(() => this.#deliver('40{"sid":"replay-socket"}'), 0);
      }
    }
    close() {
      this.readyState = 3;
    }
    /** Deliver `frames` in tasks of 500. @param {unknown[]} frames */
    replay(frames) {
      let i = 0;
      const step = () => {
        const end = Math.min(frames.length, i + 500);
        for (; i < end; i++) this.#deliver(frames[i]);
        if (i < frames.length) setTimeout(step, 0);
      };
      step();
    }
  }
  w.WebSocket = ReplayWebSocket;
}

const handlers = {
  /** Load the bundle under test into a blank page (with `replay`, over the stand-in WebSocket). */
  async load(/** @type {{ target: string, replay?: boolean }} */ p) {
    await page.setContent(
      "<!doctype html><html><head><meta charset='utf-8'></head><body></body></html>",
    );
    if (p.replay) await page.evaluate(installReplayWebSocket);
    loaded = p.target;
    await page.addScriptTag({ content: readFileSync(bundleOf(p.target), "utf8") });
    const version = await page.evaluate(() => typeof (/** @type {any} */ (window).io));
    if (version !== "function") throw new Error("the bundle did not define io()");
    return { ok: true };
  },

  /** Connect one socket (WebSocket only) and install the counting `tick` handler. */
  async connect(/** @type {{ port: number }} */ p) {
    return page.evaluate(async (port) => {
      const w = /** @type {any} */ (window);
      const st = {
        expected: 0,
        received: 0,
        next: 0,
        outOfOrder: 0,
        bad: 0,
        bytes: 0,
        t0: 0,
        t1: 0,
        done: /** @type {any} */ (null),
      };
      w.st = st;
      const socket = w.io(`http://127.0.0.1:${port}`, {
        transports: ["websocket"],
        forceNew: true,
      });
      w.socket = socket;
      socket.on("tick", (/** @type {any} */ m) => {
        if (st.received++ === 0) st.t0 = performance.now();
        if (m === null || typeof m !== "object" || m.s !== st.next) st.outOfOrder++;
        st.next = (m?.s ?? st.next) + 1;
        if (st.bytes > 0 && !(m.b instanceof ArrayBuffer && m.b.byteLength === st.bytes)) st.bad++;
        if (st.received === st.expected) {
          st.t1 = performance.now();
          st.done?.();
        }
      });
      await new Promise((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("connect_error", reject);
      });
      return { connected: socket.connected };
    }, p.port);
  },

  /** Arm the counter for `events` ticks (with `bytes`-byte attachments when > 0). */
  expect(/** @type {{ events: number, bytes: number }} */ p) {
    return page.evaluate(
      ({ events, bytes }) => {
        const st = /** @type {any} */ (window).st;
        Object.assign(st, {
          expected: events,
          received: 0,
          next: 0,
          outOfOrder: 0,
          bad: 0,
          bytes,
          t0: 0,
          t1: 0,
        });
        return { ok: true };
      },
      { events: p.events, bytes: p.bytes },
    );
  },

  /** Wait for the whole burst (or until nothing arrived for `idleMs`); page-side timings. */
  waitDone(/** @type {{ idleMs: number }} */ p) {
    return page.evaluate(
      (idleMs) =>
        new Promise((resolve) => {
          const st = /** @type {any} */ (window).st;
          let last = -1;
          /** @type {any} */
          let timer;
          const finish = () => {
            clearInterval(timer);
            st.done = null;
            resolve({
              expected: st.expected,
              received: st.received,
              outOfOrder: st.outOfOrder,
              bad: st.bad,
              ms: (st.t1 || performance.now()) - st.t0,
            });
          };
          if (st.received >= st.expected) return finish();
          st.done = finish;
          timer = setInterval(() => {
            if (st.received === last) finish();
            last = st.received;
          }, idleMs);
        }),
      p.idleMs,
    );
  },

  /**
   * Replay variants: build `events` frames as the server sends them (outside the timing),
   * then deliver them to the page's socket.
   */
  async replay(/** @type {{ events: number, bytes: number, pad: string }} */ p) {
    return page.evaluate(({ events, bytes, pad }) => {
      /** @type {unknown[]} */
      const frames = [];
      for (let s = 0; s < events; s++) {
        if (bytes > 0) {
          frames.push(`451-["tick",{"s":${s},"b":{"_placeholder":true,"num":0}}]`);
          frames.push(new Uint8Array(bytes).fill(7).buffer);
        } else frames.push(`42["tick",{"s":${s},"p":"${pad}"}]`);
      }
      /** @type {any} */ (window).replaySocket.replay(frames);
      return { frames: frames.length };
    }, p);
  },

  errors: () => ({ errors: pageErrors.slice(0, 5) }),
  async cpuStart() {
    if (cdp) {
      await cdp.send("Profiler.enable");
      await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
      await cdp.send("Profiler.start");
    }
    return { ok: true };
  },
  async cpuStop() {
    if (cdp) {
      const { profile } = await cdp.send("Profiler.stop");
      writeFileSync(`${profilePrefix}-${loaded}.cpuprofile`, JSON.stringify(profile));
    }
    return { cpuUs: 0, wallMs: 0 };
  },

  async closeAll() {
    await page.evaluate(() => /** @type {any} */ (window).socket?.disconnect()).catch(() => {});
    return { ok: true };
  },
};

serveRpc(handlers, { role: "browser" });

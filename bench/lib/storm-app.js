// The reconnect storm's server part (scenarios/cluster-storm.js), the same code for every
// target: a publisher of numbered room broadcasts at a steady rate, a count of recovered
// and fresh connections, and a peak-RSS watcher.
import { TICK } from "./app.js";

/**
 * @typedef {{
 *   on(ev: "connection", fn: (socket: any) => void): unknown,
 *   to(room: string): { emit(ev: string, ...args: unknown[]): unknown },
 * }} StormIo
 */

/**
 * Connections seen by this node: recovered (`socket.recovered`) or fresh; fresh ones whose
 * client asked to recover (its CONNECT carried a session id).
 */
export const stormState = { recovered: 0, fresh: 0, failedRestores: 0 };

/**
 * Counts connections, and tells each client when its socket joined this node (`welcome {t}`,
 * epoch ms): a tick emitted before that time that the client still got after reconnecting
 * was missed and replayed (or held during the restore), one emitted after it is live.
 * @param {StormIo} io
 */
export function installStormApp(io) {
  io.on("connection", (socket) => {
    if (socket.recovered === true) stormState.recovered++;
    else stormState.fresh++;
    // the client sent its session id (it asked to recover) and got a fresh session
    if (socket.recovered !== true && typeof socket.handshake?.auth?.pid === "string")
      stormState.failedRestores++;
    socket.emit("welcome", { t: performance.timeOrigin + performance.now() });
  });
}

/** @type {NodeJS.Timeout | undefined} */
let publishTimer;
let ticks = 0;

/**
 * Every `intervalMs`, one event to each of the rooms `r0` … `r<rooms-1>`:
 * `tick {s, t}` with `s` the tick's number (0, 1, …, the same in every room) and `t` the
 * time of the emit (epoch ms). Stops by itself after `maxTicks` ticks.
 * @param {StormIo} io
 * @param {{ rooms: number, intervalMs: number, maxTicks: number }} p
 */
export function startPublisher(io, { rooms, intervalMs, maxTicks }) {
  clearInterval(publishTimer);
  ticks = 0;
  const names = Array.from({ length: rooms }, (_, r) => `r${r}`);
  const tick = () => {
    if (ticks >= maxTicks) {
      clearInterval(publishTimer);
      return;
    }
    const t = performance.timeOrigin + performance.now();
    for (const room of names) io.to(room).emit(TICK, { s: ticks, t });
    ticks++;
  };
  tick();
  publishTimer = setInterval(tick, intervalMs);
  return { ok: true };
}

/** Stop publishing; returns how many ticks went out. */
export function stopPublisher() {
  clearInterval(publishTimer);
  publishTimer = undefined;
  return { ticks };
}

/** @type {NodeJS.Timeout | undefined} */
let rssTimer;
let rssPeak = 0;
let rssStart = 0;

let restoringPeak = 0;

/**
 * Sample this process's RSS every `everyMs` until {@link stopRssWatch}, and, where the
 * adapter tells (`restoringSessions`, @switchboard/redis with recovery), how many sessions
 * are being restored at once.
 * @param {{ of(nsp: string): { adapter: unknown } }} io
 */
export function startRssWatch(io, everyMs = 50) {
  clearInterval(rssTimer);
  rssStart = process.memoryUsage.rss();
  rssPeak = rssStart;
  restoringPeak = 0;
  const adapter = /** @type {{ restoringSessions?: unknown }} */ (io.of("/").adapter);
  rssTimer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > rssPeak) rssPeak = rss;
    const restoring = adapter.restoringSessions;
    if (typeof restoring === "number" && restoring > restoringPeak) restoringPeak = restoring;
  }, everyMs);
  return { rss: rssStart };
}

/** The RSS when the watch started, its peak since, and now (bytes); the restores' peak. */
export function stopRssWatch() {
  clearInterval(rssTimer);
  rssTimer = undefined;
  const now = process.memoryUsage.rss();
  return { start: rssStart, peak: Math.max(rssPeak, now), now, restoringPeak };
}

// The application every server target runs: the same code for Switchboard, socket.io and
// the raw-ws shim (which offers the same small subset of the socket.io server API).

/** Event name used by broadcasts. */
export const TICK = "tick";

/** Padding that makes one broadcast's JSON arguments ~100 bytes: ["tick",{"s":12345,"p":"…"}]. */
export const PAD = "x".repeat(73);

/** @typedef {{ emit(ev: string, ...args: unknown[]): unknown }} Emitter */
/**
 * @typedef {{
 *   on(ev: "connection", fn: (socket: any) => void): unknown,
 *   emit(ev: string, ...args: unknown[]): unknown,
 *   to(room: string): Emitter,
 * }} IoLike
 */

/** Connected-socket counter kept by the app itself (same for every target). */
export const state = { connected: 0, connections: 0 };

/** @param {IoLike} io */
export function installApp(io) {
  io.on("connection", (socket) => {
    state.connected++;
    state.connections++;
    const room = socket.handshake?.auth?.room;
    if (typeof room === "string") socket.join(room);
    socket.on("echo", (/** @type {unknown} */ data, /** @type {unknown} */ ack) => {
      if (typeof ack === "function") ack(data);
    });
    socket.on("disconnect", () => {
      state.connected--;
    });
  });
}

/**
 * Broadcast `events` tick events, `perTick` of them per event-loop turn (setImmediate),
 * to everyone or to `room`. Sequence numbers run 0..events-1.
 * With `bytes` > 0 every event also carries a binary attachment of that size (`b`, one
 * Buffer shared by all events): a BINARY_EVENT and its attachment frame.
 * @param {IoLike} io
 * @param {{ events: number, perTick: number, room?: string | null, bytes?: number }} opts
 * @returns {Promise<{ tStart: number, tEnd: number }>} epoch ms
 */
export function blast(io, { events, perTick, room, bytes = 0 }) {
  if (bytes > 0) return blastBinary(io, events, perTick, Buffer.alloc(bytes, 7));
  return new Promise((resolve) => {
    const tStart = performance.timeOrigin + performance.now();
    let seq = 0;
    const step = () => {
      const end = Math.min(events, seq + perTick);
      if (room) {
        for (; seq < end; seq++) io.to(room).emit(TICK, { s: seq, p: PAD });
      } else {
        for (; seq < end; seq++) io.emit(TICK, { s: seq, p: PAD });
      }
      if (seq < events) setImmediate(step);
      else resolve({ tStart, tEnd: performance.timeOrigin + performance.now() });
    };
    step();
  });
}

/**
 * `blast` with a binary attachment on every event: `{ s, b }` to everyone.
 * @param {IoLike} io @param {number} events @param {number} perTick @param {Buffer} b
 * @returns {Promise<{ tStart: number, tEnd: number }>}
 */
function blastBinary(io, events, perTick, b) {
  return new Promise((resolve) => {
    const tStart = performance.timeOrigin + performance.now();
    let seq = 0;
    const step = () => {
      const end = Math.min(events, seq + perTick);
      for (; seq < end; seq++) io.emit(TICK, { s: seq, b });
      if (seq < events) setImmediate(step);
      else resolve({ tStart, tEnd: performance.timeOrigin + performance.now() });
    };
    step();
  });
}

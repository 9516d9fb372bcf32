// Scenario 1: broadcast fan-out. N WebSocket clients; the server emits ~100-byte JSON
// events with io.emit (or io.to(room).emit to a room holding half the clients), either
// 20 per event-loop tick or one per tick. Measures delivered messages/s and server CPU
// µs per delivered message; the generator checks every client got every event in order.
import { cpuOf } from "../lib/measure.js";

/** @typedef {import("../lib/measure.js").Scenario} Scenario */

/** @param {string} id @param {string} title @param {number} perTick @param {string | null} room @param {number | null} speedTarget */
function variant(id, title, perTick, room, speedTarget) {
  /** @type {import("../lib/measure.js").Variant} */
  const v = {
    id,
    title,
    perTick,
    room,
    metrics: [
      {
        key: "msgsPerSec",
        label: "delivered msgs/s",
        better: "higher",
        target: speedTarget === null ? undefined : { op: ">=", value: speedTarget },
      },
      {
        key: "cpuUsPerMsg",
        label: "server CPU µs/msg",
        better: "lower",
        target: perTick === 20 && !room ? { op: "<=", value: 0.5 } : undefined,
      },
    ],
  };
  return v;
}

/** @type {Scenario} */
export default {
  name: "broadcast",
  variants: [
    variant("broadcast-20", "Broadcast, 20 events/tick", 20, null, 2.0),
    variant("broadcast-1", "Broadcast, 1 event/tick", 1, null, 1.2),
    variant("broadcast-room", "Broadcast to a room of half the clients, 20/tick", 20, "half", null),
  ],
  config: (quick) => ({
    clients: quick ? 200 : 1000,
    events: quick ? 30 : 600,
    warm: quick ? 5 : 40,
  }),
  async measure({ server, gen, port, target, cfg }, v) {
    const room = v.room ?? null;
    const c = await gen.call("connect", {
      port,
      target,
      transport: "websocket",
      n: cfg.clients,
      roomEvery: room ? 2 : 0,
    });
    await gen.call("expect", { events: cfg.warm, room });
    await server.call("blast", { events: cfg.warm, perTick: v.perTick, room });
    const warm = await gen.call("waitDone", { idleMs: 5000 });

    await gen.call("expect", { events: cfg.events, room });
    await server.call("cpuStart");
    await gen.call("cpuStart");
    const b = await server.call("blast", { events: cfg.events, perTick: v.perTick, room });
    const d = await gen.call("waitDone", { idleMs: 10_000 });
    const sc = await server.call("cpuStop");
    const gc = await gen.call("cpuStop");
    const wallMs = d.tLast - b.tStart;
    return {
      metrics: {
        msgsPerSec: (d.received / wallMs) * 1000,
        cpuUsPerMsg: sc.cpuUs / Math.max(1, d.received),
      },
      checks: {
        connectErrors: c.errors,
        lost: d.lost + warm.lost,
        outOfOrder: d.outOfOrder + warm.outOfOrder,
        unexpected: d.unexpected + warm.unexpected,
        badFrames: d.badFrames + warm.badFrames,
      },
      counts: { clients: c.connected, delivered: d.received, expected: d.expected },
      cpu: cpuOf(sc, gc),
    };
  },
};

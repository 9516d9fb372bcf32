// Scenario 5: long-polling throughput. N polling-only clients (HTTP keep-alive agent,
// one GET always pending) receive broadcasts of ~100-byte events, 20 per tick.
// Measures delivered messages/s; order and loss are checked like the WebSocket broadcast.
import { cpuOf } from "../lib/measure.js";

/** @type {import("../lib/measure.js").Scenario} */
export default {
  name: "long-polling",
  variants: [
    {
      id: "long-polling",
      title: "Long-polling broadcast, 20/tick",
      metrics: [
        {
          key: "msgsPerSec",
          label: "delivered msgs/s",
          better: "higher",
          target: { op: ">=", value: 1.5 },
        },
        { key: "cpuUsPerMsg", label: "server CPU µs/msg", better: "lower" },
        // How many messages one GET answer carried on average: the scenario settles either
        // where every GET is answered once per event-loop turn (~20 messages, the turn's
        // events) or where the blast outruns the GETs and answers grow to hundreds, about
        // twice as fast for any server (see bench/README.md, "Long-polling").
        { key: "msgsPerAnswer", label: "msgs per poll answer", better: "higher" },
      ],
    },
  ],
  config: (quick) => ({
    clients: quick ? 20 : 100,
    events: quick ? 40 : 5000,
    warm: quick ? 5 : 200,
  }),
  async measure({ server, gen, port, target, cfg }) {
    const c = await gen.call("connect", {
      port,
      target,
      transport: "polling",
      n: cfg.clients,
      concurrency: 20,
    });
    await gen.call("expect", { events: cfg.warm, room: null });
    await server.call("blast", { events: cfg.warm, perTick: 20, room: null });
    const warm = await gen.call("waitDone", { idleMs: 5000 });
    await gen.call("expect", { events: cfg.events, room: null });
    await server.call("cpuStart");
    await gen.call("cpuStart");
    const b = await server.call("blast", { events: cfg.events, perTick: 20, room: null });
    const d = await gen.call("waitDone", { idleMs: 10_000 });
    const sc = await server.call("cpuStop");
    const gc = await gen.call("cpuStop");
    return {
      metrics: {
        msgsPerSec: (d.received / (d.tLast - b.tStart)) * 1000,
        cpuUsPerMsg: sc.cpuUs / Math.max(1, d.received),
        msgsPerAnswer: d.received / Math.max(1, d.pollAnswers),
      },
      checks: {
        connectErrors: c.errors,
        lost: d.lost + warm.lost,
        outOfOrder: d.outOfOrder + warm.outOfOrder,
        badFrames: d.badFrames + warm.badFrames,
      },
      counts: { clients: c.connected, delivered: d.received, answers: d.pollAnswers },
      cpu: cpuOf(sc, gc),
    };
  },
};

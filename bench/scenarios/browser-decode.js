// Scenario: the browser bundles decoding a burst (issue 20, part 2). The targets are client
// bundles: "switchboard" = @switchboard/client's dist/bundle/socket.io.min.js, "socketio" =
// socket.io-client 4.8's dist/socket.io.min.js, each loaded into a blank page of headless
// Chromium (lib/browser-main.js, core 1, a fresh browser per measurement) that connects one
// socket over WebSocket to the Switchboard server (`serverTarget`, core 0). The server emits
// K `tick` events, 200 per event-loop turn; the page's handler gets each decoded event and
// checks its sequence number (binary variant: and that `b` is an ArrayBuffer of 64 bytes).
// Events decoded per second = (K − 1) / (time of the last event − time of the first), both
// from performance.now() in the page. A warm-up burst of K/10 comes first.
//
// The replay variants time the bundle alone: the page's WebSocket is a stand-in
// (lib/browser-main.js) that plays the server and hands the bundle the same frames (built
// before the timing), 500 per task. No network, so what is left is the bundle's work per
// event: Chromium's WebSocket delivery costs more than any bundle's decoding on this
// machine (see bench/README.md), and the real-socket variants measure mostly it.
import { PAD } from "../lib/app.js";
import { cpuOf } from "../lib/measure.js";

/** @type {import("../lib/measure.js").Scenario} */
export default {
  name: "browser-decode",
  serverTarget: "switchboard",
  generator: "lib/browser-main.js",
  variants: [
    {
      id: "browser-replay",
      title:
        "Browser bundle in headless Chromium, replayed frames (decode only): ~100-byte JSON events",
      bytes: 0,
      replay: true,
      metrics: [{ key: "decodedPerS", label: "events decoded per s (page)", better: "higher" }],
    },
    {
      id: "browser-replay-binary",
      title:
        "Browser bundle in headless Chromium, replayed frames (decode only): events with a 64-byte binary attachment",
      bytes: 64,
      replay: true,
      metrics: [{ key: "decodedPerS", label: "events decoded per s (page)", better: "higher" }],
    },
    {
      id: "browser-decode",
      title: "Browser bundle in headless Chromium: burst of ~100-byte JSON events",
      bytes: 0,
      metrics: [{ key: "decodedPerS", label: "events decoded per s (page)", better: "higher" }],
    },
    {
      id: "browser-decode-binary",
      title:
        "Browser bundle in headless Chromium: burst of events with a 64-byte binary attachment",
      bytes: 64,
      metrics: [{ key: "decodedPerS", label: "events decoded per s (page)", better: "higher" }],
    },
  ],
  quickVariants: ["browser-replay", "browser-decode"],
  supports: (target) => target === "switchboard" || target === "socketio",
  config: (quick) => ({ events: quick ? 5000 : 100_000, socketEvents: quick ? 2000 : 20_000 }),
  measureTimeoutMs: 180_000,
  async measure({ server, gen, port, target, cfg }, v) {
    const all = v.replay ? cfg.events : cfg.socketEvents;
    const events = v.bytes > 0 ? Math.round(all / 2) : all;
    await gen.call("load", { target, replay: v.replay === true });
    await gen.call("connect", { port });
    const warmEvents = Math.round(events / 10);
    // replay: the page plays the frames itself (its CPU meter only starts/stops the profile);
    // over the socket: the server blasts them, and its CPU is measured
    const burst = v.replay
      ? (/** @type {number} */ n) => gen.call("replay", { events: n, bytes: v.bytes, pad: PAD })
      : (/** @type {number} */ n) =>
          server.call("blast", { events: n, perTick: 200, room: null, bytes: v.bytes });
    const meter = v.replay ? gen : server;
    await gen.call("expect", { events: warmEvents, bytes: v.bytes });
    await burst(warmEvents);
    const warm = await gen.call("waitDone", { idleMs: 5000 });
    await gen.call("expect", { events, bytes: v.bytes });
    await meter.call("cpuStart");
    await burst(events);
    const d = await gen.call("waitDone", { idleMs: 10_000 });
    const mc = await meter.call("cpuStop");
    const { errors } = await gen.call("errors");
    return {
      metrics: { decodedPerS: ((d.received - 1) / d.ms) * 1000 },
      checks: {
        lost: d.expected - d.received + (warm.expected - warm.received),
        outOfOrder: d.outOfOrder + warm.outOfOrder,
        badAttachments: d.bad + warm.bad,
        pageErrors: errors.length,
      },
      counts: { events: d.received, pageMs: d.ms },
      cpu: v.replay ? { server: null, generator: null } : cpuOf(mc, { cpuUs: 0 }),
    };
  },
};

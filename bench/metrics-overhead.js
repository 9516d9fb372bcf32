// Issue 19: the cost of @switchboard/server/metrics on the hot paths, over real WebSockets.
// The bench's own scenarios (ack echo: 50 clients closed loop; broadcast: 1000 clients, 20
// events per tick) run against the Switchboard server without metrics ("off") and with
// metrics on and scraped once a second ("metrics", bench/servers/switchboard-metrics.js),
// alternating round by round, each in a fresh server process (core 0) and generator (core 1).
// Reported: the median server CPU time per round trip / per delivered message and the ratio
// to "off" (CPU time, steadier than rates on a shared machine), and the median of the
// per-round ratios (metrics / off measured back to back).
// A window during which other processes used more than 30% of a core is measured again (up
// to 3 times). Usage: npm run build && node bench/metrics-overhead.js [rounds=5]
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startChild } from "./lib/rpc.js";
import ackEcho from "./scenarios/ack-echo.js";
import broadcast from "./scenarios/broadcast.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.argv[2] ?? 5);
const TARGETS = { off: "switchboard", metrics: "switchboard-metrics" };
/** Above this much CPU of other processes (% of a core) in a window, it is measured again. */
const MAX_OTHER_PCT = 30;

const CASES = [
  {
    name: "ack echo, server CPU µs per round trip",
    scenario: ackEcho,
    variant: ackEcho.variants[0],
    // cpu.server is % of one core; per second that is cpu × 10 000 µs.
    perOp: (m) => (m.cpu.server * 10_000) / m.metrics.rtPerSec,
  },
  {
    name: "broadcast (20/tick, 1000 clients), server CPU µs per delivered message",
    scenario: broadcast,
    variant: broadcast.variants[0],
    perOp: (m) => m.metrics.cpuUsPerMsg,
  },
];

async function measureOnce(c, target) {
  const server = startChild(path.join(here, "lib/server-main.js"), [target], {
    cpu: 0,
    execArgv: ["--expose-gc"],
    name: `server(${target})`,
  });
  const gen = startChild(path.join(here, "lib/generator-main.js"), [], {
    cpu: 1,
    name: "generator",
  });
  try {
    const [gr, sr] = await Promise.all([gen.ready, server.ready]);
    if (gr.error) throw new Error(gr.error);
    if (sr.error) throw new Error(sr.error);
    const cfg = c.scenario.config(false);
    // The generator speaks Socket.IO to both: it is told the target is "switchboard".
    const ctx = {
      server,
      servers: [server],
      gen,
      port: sr.port,
      ports: [sr.port],
      target: "switchboard",
      cfg,
      quick: false,
    };
    const m = await c.scenario.measure(ctx, c.variant);
    for (const [k, v] of Object.entries(m.checks ?? {})) if (v) throw new Error(`${k}: ${v}`);
    await gen.call("closeAll", {}, 20_000).catch(() => {});
    return { perOp: c.perOp(m), other: m.cpu.other ?? 0 };
  } finally {
    await Promise.all([gen.stop(), server.stop()]);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`node ${process.version}, ${rounds} rounds, configurations alternating`);
for (const c of CASES) {
  const results = { off: [], metrics: [] };
  const others = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ["off", "metrics"] : ["metrics", "off"];
    for (const k of order) {
      // Other processes busy during the window (a shared machine): measured again, up to 3 times.
      let m = await measureOnce(c, TARGETS[k]);
      for (let retry = 0; retry < 3 && m.other > MAX_OTHER_PCT; retry++) {
        m = await measureOnce(c, TARGETS[k]);
      }
      results[k].push(m.perOp);
      others.push(m.other);
    }
  }
  const base = median(results.off);
  const on = median(results.metrics);
  console.log(`${c.name} (other processes: max ${Math.max(...others).toFixed(0)}% of a core)`);
  console.log(`  off      ${base.toFixed(3)}  (${results.off.map((x) => x.toFixed(3)).join(" ")})`);
  console.log(
    `  metrics  ${on.toFixed(3)}  (${results.metrics.map((x) => x.toFixed(3)).join(" ")})  ratio ${(on / base).toFixed(3)}`,
  );
  // Each round measures both back to back: the ratio within a round cancels the slower
  // drifts of the machine's load; their median is the second estimate.
  const paired = results.metrics.map((x, i) => x / results.off[i]);
  console.log(
    `  per-round ratios ${paired.map((x) => x.toFixed(3)).join(" ")}  median ${median(paired).toFixed(3)}`,
  );
}

#!/usr/bin/env node
// Issue 19: what @switchboard/server/metrics adds per message on the hot paths, counted
// apart from everything else. The server calls its collector (the engine and socket hooks)
// with the packets of a workload; this runs the same calls in a loop, on the same packets:
//
//   ack-echo   per round trip: received(`42<id>["echo",{…}]`, frame length), event("echo"),
//              sent(a new `43<id>[…]` ack message)
//   broadcast  per delivered message: sent(the broadcast's message), a new message every
//              1000 recipients (1000 clients)
//   loop       the ack-echo loop's indexing alone (subtract it)
//   broadcast-loop  the broadcast loop's indexing alone (subtract it)
//
//   node bench/metrics-hooks.js <ack-echo|broadcast|loop|broadcast-loop> <iterations>   # ns per iteration
//
// Nanoseconds, so noisy on a shared machine: run it several times. (The difference of two
// loop lengths under callgrind is no better: start-up, compilation and GC vary between
// runs by more than the loop counts; see bench/README.md, "Metrics overhead".)
// The collector is internal to the package (not exported): imported from the build.
import { PreparedMessage } from "../packages/server/dist/engine/framing.js";
import { Collector } from "../packages/server/dist/metrics/collector.js";

const [workload = "ack-echo", countArg = "1000000"] = process.argv.slice(2);
const iterations = Number(countArg);
const collector = new Collector(20, false, new Set(), () => {});
const PAD = "x".repeat(73);
const M = 64;
// Fixtures outside the loop: what the engine hands the hooks.
const packets = Array.from({ length: M }, (_, i) => ({
  type: /** @type {const} */ ("message"),
  data: `2${1000 + i}["echo",{"s":${1000 + i},"p":"${PAD}"}]`,
}));
const frameBytes = packets.map((p) => Buffer.byteLength(p.data) + 1);
// Event names as the decoder makes them: a new string per packet.
const names = Array.from({ length: M }, () => JSON.parse('"echo"'));
const acks = Array.from(
  { length: M },
  (_, i) => new PreparedMessage(`3${1000 + i}[{"s":${1000 + i},"p":"${PAD}"}]`),
);
const ticks = Array.from(
  { length: M },
  (_, i) => new PreparedMessage(`2["tick",{"s":${i},"p":"${PAD}"}]`),
);

let sink = 0;
const t0 = process.hrtime.bigint();
if (workload === "ack-echo") {
  for (let i = 0; i < iterations; i++) {
    const k = i & (M - 1);
    collector.received(packets[k], frameBytes[k]);
    collector.event(names[k]);
    collector.sent(acks[k]);
  }
} else if (workload === "broadcast") {
  for (let i = 0; i < iterations; i++) collector.sent(ticks[((i / 1000) | 0) & (M - 1)]);
} else if (workload === "broadcast-loop") {
  for (let i = 0; i < iterations; i++) sink += ticks[((i / 1000) | 0) & (M - 1)].data.length;
} else if (workload === "loop") {
  for (let i = 0; i < iterations; i++) {
    const k = i & (M - 1);
    sink +=
      frameBytes[k] + names[k].length + (packets[k] === undefined || acks[k] === undefined ? 1 : 0);
  }
} else {
  console.error(
    "usage: node bench/metrics-hooks.js <ack-echo|broadcast|loop|broadcast-loop> <iterations>",
  );
  process.exit(2);
}
const ns = Number(process.hrtime.bigint() - t0) / iterations;
collector.flushSent();
console.log(
  JSON.stringify({
    workload,
    iterations,
    nsPerIteration: +ns.toFixed(2),
    packetsOut: collector.packetsOut.reduce((a, b) => a + b, 0),
    sink,
  }),
);

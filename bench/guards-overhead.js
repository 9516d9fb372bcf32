// Issue 18: the cost of rate limiting and validation on the ack-echo path, in one process
// with the in-process test client (no network, so the socket layer's share of the work is
// as large as it gets: an upper bound of the overhead over real sockets). Configurations
// alternate round by round; the report is the median CPU time per round trip (client and
// server together, µs) of each and its ratio to "off": CPU time, not round trips/s, because
// a wall-clock rate on a shared 2-core machine moves by ±30% between rounds. Usage: npm run build && node bench/guards-overhead.js [rounds=7] [ms=1000]
import { Server } from "@switchboard/server";
import { TestClient } from "@switchboard/server/testing";

const one = process.argv[2] === "--one";
const rounds = one ? 1 : Number(process.argv[2] ?? 7);
const ms = one ? 0 : Number(process.argv[3] ?? 1000);
const fixedCount = one ? Number(process.argv[4] ?? 2000) : 0;
const CLIENTS = 50;

/** A hand-written Standard Schema (the mechanism's cost, not a library's). */
const echoSchema = {
  "~standard": {
    version: 1,
    vendor: "bench",
    validate: (value) =>
      typeof value === "object" && value !== null
        ? { value }
        : { issues: [{ message: "object expected" }] },
  },
};
const GENEROUS = { points: 1_000_000_000, duration: 1000 };

const CONFIGS = {
  off: () => new Server(),
  rateLimit: () => new Server({ rateLimit: GENEROUS }),
  "rateLimit+perEvent": () =>
    new Server({ rateLimit: { ...GENEROUS, perEvent: { echo: GENEROUS } } }),
  "rateLimit+validate": () => {
    const io = new Server({ rateLimit: GENEROUS });
    io.of("/").validate({ echo: echoSchema });
    return io;
  },
};

async function measure(make) {
  const io = make();
  io.on("connection", (socket) => socket.on("echo", (data, ack) => ack(data)));
  const sockets = await Promise.all(
    Array.from({ length: CLIENTS }, () => new TestClient(io).connect("/")),
  );
  const loop = async (socket, until) => {
    let n = 0;
    for (let seq = 0; fixedCount > 0 ? seq < fixedCount : performance.now() < until; seq++) {
      await socket.emitWithAck("echo", { seq, p: "x".repeat(20) });
      n++;
    }
    return n;
  };
  if (!one) await Promise.all(sockets.map((s) => loop(s, performance.now() + 200))); // warm-up
  const start = performance.now();
  const cpu = process.cpuUsage();
  const counts = await Promise.all(sockets.map((s) => loop(s, start + ms)));
  const used = process.cpuUsage(cpu);
  await io.close();
  // CPU time per round trip: on a shared machine, far steadier than round trips/s.
  return (used.user + used.system) / counts.reduce((a, b) => a + b, 0);
}

if (one) {
  const make = CONFIGS[process.argv[3] ?? "off"];
  if (make === undefined) throw new Error(`configurations: ${Object.keys(CONFIGS).join(", ")}`);
  await measure(make);
  process.exit(0);
}

const results = Object.fromEntries(Object.keys(CONFIGS).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, make] of Object.entries(CONFIGS)) results[name].push(await measure(make));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(results.off);
console.log(`node ${process.version}, ${rounds} rounds x ${ms} ms, ${CLIENTS} in-process clients`);
for (const [name, xs] of Object.entries(results)) {
  const m = median(xs);
  console.log(
    `${name.padEnd(20)} ${m.toFixed(3)} us CPU/round trip  x${(m / base).toFixed(3)}  (min ${Math.min(...xs).toFixed(3)}, max ${Math.max(...xs).toFixed(3)})`,
  );
}

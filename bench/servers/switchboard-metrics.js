// Target: Switchboard's server with @switchboard/server/metrics on (bench/metrics-overhead.js),
// scraped once a second (a Prometheus server scrapes every 15-60 s: this is the heavier case;
// BENCH_METRICS_SCRAPE_MS=0: never, for instruction counts under valgrind, where the scrapes
// would weigh 50 times more against the slowed-down traffic).

/** @param {import("node:http").Server} httpServer */
export async function create(httpServer) {
  const { Server } = await import("@switchboard/server");
  const { metrics } = await import("@switchboard/server/metrics");
  const io = new Server(httpServer);
  const { register } = metrics(io);
  const every = Number(process.env.BENCH_METRICS_SCRAPE_MS ?? 1000);
  if (every > 0) setInterval(() => void register.metrics(), every).unref();
  return io;
}

// Target: Switchboard's server with @switchboard/server/metrics on (bench/metrics-overhead.js),
// scraped once a second (a Prometheus server scrapes every 15-60 s: this is the heavier case).

/** @param {import("node:http").Server} httpServer */
export async function create(httpServer) {
  const { Server } = await import("@switchboard/server");
  const { metrics } = await import("@switchboard/server/metrics");
  const io = new Server(httpServer);
  const { register } = metrics(io);
  setInterval(() => void register.metrics(), 1000).unref();
  return io;
}

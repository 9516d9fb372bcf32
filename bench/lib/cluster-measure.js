// Measurement helpers of the cluster scenarios: clients split over the nodes, and the CPU
// of every server process summed over the measured window.
import { redisCpuUs } from "./cluster.js";
import { cpuOf } from "./measure.js";

/**
 * Connect `n` WebSocket clients, split evenly over `ports` (client i on node i mod nodes,
 * in contiguous halves: the first n/2 on node 1, the rest on node 2).
 * @param {import("./measure.js").Peer} gen
 * @param {number[]} ports
 * @param {string} target
 * @param {number} n
 * @param {number} [roomEvery]
 */
export async function connectSplit(gen, ports, target, n, roomEvery = 0) {
  let connected = 0;
  let errors = 0;
  for (let k = 0; k < ports.length; k++) {
    const share = Math.floor(n / ports.length) + (k < n % ports.length ? 1 : 0);
    const c = await gen.call("connect", {
      port: ports[k],
      target,
      transport: "websocket",
      n: share,
      roomEvery,
    });
    connected = c.connected;
    errors += c.errors;
  }
  return { connected, errors };
}

/**
 * Start the CPU meters of every server and of the generator; returns redis-server's CPU
 * time so far (for {@link cpuStopAll}).
 * @param {import("./measure.js").Peer[]} servers
 * @param {import("./measure.js").Peer} gen
 */
export async function cpuStartAll(servers, gen) {
  const redis0 = await redisCpuUs();
  await Promise.all(servers.map((s) => s.call("cpuStart")));
  await gen.call("cpuStart");
  return redis0;
}

/**
 * Stop the meters: every server's CPU summed (µs, and as % of one core over the window),
 * the generator's, the rest of the machine, and redis-server's CPU over the window (µs;
 * it is also part of "other").
 * @param {import("./measure.js").Peer[]} servers
 * @param {import("./measure.js").Peer} gen
 * @param {number | null} redis0 what {@link cpuStartAll} returned
 */
export async function cpuStopAll(servers, gen, redis0) {
  const scs = await Promise.all(servers.map((s) => s.call("cpuStop")));
  const gc = await gen.call("cpuStop");
  const redis1 = await redisCpuUs();
  const sum = {
    cpuUs: scs.reduce((a, s) => a + s.cpuUs, 0),
    wallMs: Math.max(...scs.map((s) => s.wallMs)),
    machineUs: scs[0]?.machineUs ?? null,
  };
  const redisUs = redis0 !== null && redis1 !== null ? redis1 - redis0 : null;
  return { serverUs: sum.cpuUs, nodeUs: scs.map((s) => s.cpuUs), redisUs, cpu: cpuOf(sum, gc) };
}

/**
 * `@switchboard/server/testing`: unit-test handlers without opening a port, write fault
 * tests of a cluster (a Redis of your own to kill and restart, nodes in child processes),
 * and a round-robin load balancer to test a cluster without sticky sessions.
 */

export {
  type Balancer,
  type BalancerOptions,
  type BalancerStats,
  type BalancerTarget,
  createBalancer,
} from "./balancer.js";
export { freePort } from "./free-port.js";
export {
  InProcessConnection,
  type InProcessPeer,
  type InProcessRequestOptions,
} from "./in-process-connection.js";
export {
  type ExitStatus,
  type NodeProcess,
  type SpawnNodeOptions,
  spawnNode,
} from "./node-process.js";
export { ProcessError, ProcessErrorCode } from "./process-error.js";
export { pingRedis } from "./redis-probe.js";
export { type RedisProcess, type RedisServerOptions, startRedisServer } from "./redis-server.js";
export { READY_MESSAGE_TYPE, reportReady } from "./report-ready.js";
export {
  connectTestClient,
  DEFAULT_WAIT_MS,
  TestClient,
  TestConnectError,
  TestSocket,
} from "./test-client.js";

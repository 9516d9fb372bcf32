/**
 * `@switchboard/server/testing`: unit-test handlers without opening a port, and a
 * round-robin load balancer to test a cluster without sticky sessions.
 */
export {
  type Balancer,
  type BalancerOptions,
  type BalancerStats,
  type BalancerTarget,
  createBalancer,
} from "./balancer.js";
export {
  InProcessConnection,
  type InProcessPeer,
  type InProcessRequestOptions,
} from "./in-process-connection.js";
export {
  connectTestClient,
  DEFAULT_WAIT_MS,
  TestClient,
  TestConnectError,
  TestSocket,
} from "./test-client.js";

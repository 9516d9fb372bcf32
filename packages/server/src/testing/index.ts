/**
 * `@switchboard/server/testing`: unit-test handlers without opening a port.
 */
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

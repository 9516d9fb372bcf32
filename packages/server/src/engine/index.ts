/**
 * The Engine.IO v4 server engine: the transport layer under the socket layer.
 * The socket layer sees it only through these exports (docs/contracts.md).
 */
export {
  HandshakeError,
  HandshakeErrorCode,
  type HandshakeErrorCodeValue,
  HandshakeRefusal,
  type HandshakeRefusalValue,
  TransportError,
  TransportErrorCode,
  type TransportErrorCodeValue,
} from "./errors.js";
export { createMemoryDirectory, type NodeDirectory } from "./forwarding/directory.js";
export type { ForwardingSizes } from "./forwarding/forwarder.js";
export { PreparedMessage } from "./framing.js";
export type { HandshakeRateLimitOptions } from "./handshake-limit.js";
export { createOwnServer, OWN_SERVER_TIMEOUTS } from "./http.js";
export {
  type AllowedOrigins,
  type AllowRequestCallback,
  type CookieOptions,
  type CorsOptions,
  type CorsOrigin,
  DEFAULT_ENGINE_OPTIONS,
  type EngineMiddleware,
  type EngineServerOptions,
  type ForwardingOptions,
  type HttpCompressionOptions,
} from "./options.js";
export { randomId } from "./random-id.js";
export { type EngineHeaders, EngineServer } from "./server.js";
export { TimerEntry, TimerWheel } from "./timer-wheel.js";
export {
  EngineCloseReason,
  type EngineCloseReasonValue,
  type EngineConnection,
  type EngineConnectionHandler,
  type EngineReadyState,
  type EngineSessionId,
  type OutgoingMessage,
  type SendOptions,
  type TransportName,
} from "./types.js";

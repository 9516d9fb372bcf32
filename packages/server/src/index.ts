/**
 * @switchboard/server: a Socket.IO v5 server (Engine.IO v4) for Node.js.
 *
 * The default export is {@link createServer}, callable like socket.io's
 * (`require("@switchboard/server")(httpServer, opts)`, `import io from "@switchboard/server"`).
 */

export type {
  InferSchemaInput,
  InferSchemaOutput,
  SocketParser,
  SocketParserDecoder,
  SocketParserEncoder,
  StandardSchemaIssue,
  StandardSchemaProps,
  StandardSchemaResult,
  StandardSchemaV1,
  ValidationIssue,
} from "@switchboard/protocol";
export * from "./adapter/index.js";
export {
  type AllowedOrigins,
  createMemoryDirectory,
  EngineCloseReason,
  type EngineConnection,
  type EngineConnectionHandler,
  EngineServer,
  type EngineServerOptions,
  type EngineSessionId,
  type ForwardingOptions,
  type ForwardingSizes,
  HandshakeError,
  HandshakeErrorCode,
  type HandshakeRateLimitOptions,
  HandshakeRefusal,
  type HandshakeRefusalValue,
  type NodeDirectory,
  PreparedMessage,
  TransportError,
  TransportErrorCode,
  type TransportErrorCodeValue,
  type TransportName,
} from "./engine/index.js";
export * from "./presence/index.js";
export { BroadcastOperator } from "./socket/broadcast-operator.js";
export type { NamespaceHandler, NamespaceHandlerClass } from "./socket/class-handler.js";
export { createServer, createServer as default } from "./socket/create-server.js";
export { SocketError, SocketErrorCode, SocketTypeError } from "./socket/errors.js";
export {
  type HealthEndpoint,
  type HealthOptions,
  type HealthSource,
  serveHealth,
} from "./socket/health.js";
export {
  type ExtendedError,
  Namespace,
  type NamespaceMiddleware,
  type NamespaceReservedEventsMap,
  type ServerReservedEventsMap,
} from "./socket/namespace.js";
export { ParentNamespace, type ParentNspNameMatchFn } from "./socket/parent-namespace.js";
export type {
  BucketOptions,
  RateLimitOptions,
} from "./socket/rate-limit.js";
export { DisconnectReason } from "./socket/reasons.js";
export { RemoteSocket } from "./socket/remote-socket.js";
export {
  type DrainOptions,
  Server,
  type ServerOptions,
  type SignalCloseHandler,
} from "./socket/server.js";
export {
  type Event,
  Socket,
  type SocketMiddleware,
  type SocketReservedEventsMap,
} from "./socket/socket.js";
export type {
  EventSchema,
  EventSchemaPair,
  EventSchemas,
  GuardError,
  SchemaEvents,
} from "./socket/validation.js";

export {
  ClusterAdapter,
  type ClusterAdapterOptions,
  type ClusterMessage,
  type SerializedOptions,
} from "./cluster-adapter.js";
export { AdapterError, AdapterErrorCode } from "./errors.js";
export { InMemoryAdapter } from "./in-memory-adapter.js";
export { SessionAwareAdapter } from "./session-aware-adapter.js";
export type {
  AckCallback,
  Adapter,
  AdapterConstructor,
  AdapterNamespace,
  AdapterSocket,
  BroadcastFlags,
  BroadcastOptions,
  ConnectionStateRecoveryOptions,
  EncodedPacket,
  Handshake,
  RestoredSession,
  Room,
  Session,
  SocketDetails,
  SocketId,
  TrackedSession,
} from "./types.js";

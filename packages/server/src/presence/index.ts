export { PresenceError, PresenceErrorCode } from "./errors.js";
export { LocalPresenceBackend } from "./local-backend.js";
export { Presence, type PresenceEvents, type PresenceTrack, SocketPresence } from "./presence.js";
export type { PresenceSocket, PresenceStats } from "./registry.js";
export type {
  PresenceBackend,
  PresenceChange,
  PresenceEntry,
  PresenceMessage,
  PresenceOptions,
  PresenceRecord,
  PresenceReplica,
  PresenceRoom,
} from "./types.js";

/**
 * @switchboard/redis: scale Switchboard out over Redis, wire-compatible with
 * @socket.io/redis-adapter 8.x's classic format.
 */

export { RedisAdapter, type RedisAdapterHealth } from "./classic/redis-adapter.js";
export {
  type ClusterRecoveryOptions,
  type CreateAdapterOptions,
  createAdapter,
} from "./create-adapter.js";
export { Emitter, type EmitterOptions } from "./emitter/emitter.js";
export {
  EmitterBroadcast,
  type EmitterFlags,
  type EmitterParser,
} from "./emitter/emitter-broadcast.js";
export { RedisAdapterError, RedisAdapterErrorCode } from "./errors.js";
export { type DecodeOptions, msgpackParser, type Parser } from "./msgpack/index.js";
export { createRedisDirectory, type RedisDirectoryOptions } from "./node-directory.js";
export type { RedisAdapterOptions } from "./options.js";
export type { RedisPresenceOptions } from "./presence/hub.js";
export { RecoveryHub, type RecoveryOptions } from "./recovery/hub.js";
export {
  compareOffsets,
  type LogEntry,
  type LogRecord,
  type RecoveryLog,
  RedisStreamLog,
  type RedisStreamLogOptions,
} from "./recovery/log.js";
export {
  type ClaimedSession,
  RedisSessionStore,
  type SessionRecord,
  type SessionStore,
} from "./recovery/sessions.js";
export type { AnyRedisClient, CommandOptions, RedisClient, RedisState } from "./redis-client.js";
export {
  createShardedAdapter,
  ShardedRedisAdapter,
  type ShardedRedisAdapterOptions,
  type SubscriptionMode,
} from "./sharded/sharded-adapter.js";

/**
 * @switchboard/redis: scale Switchboard out over Redis, wire-compatible with
 * @socket.io/redis-adapter 8.x's classic format.
 */

export { RedisAdapterError, RedisAdapterErrorCode } from "./errors.js";
export { type DecodeOptions, msgpackParser, type Parser } from "./msgpack/index.js";
export type { AnyRedisClient, RedisState } from "./redis-client.js";
export {
  createShardedAdapter,
  ShardedRedisAdapter,
  type ShardedRedisAdapterOptions,
  type SubscriptionMode,
} from "./sharded/sharded-adapter.js";

/**
 * @switchboard/protocol: Engine.IO v4 and Socket.IO v5 codecs, pure and browser-safe.
 *
 * @packageDocumentation
 */
export * from "./engine/index.js";
export { ProtocolError, ProtocolErrorCode } from "./errors.js";
export {
  DEFAULT_DECODER_LIMITS,
  type DecoderLimits,
  MAX_ACK_ID_DIGITS,
  MAX_ATTACHMENT_COUNT_DIGITS,
  MAX_ENCODE_DEPTH,
  resolveDecoderLimits,
} from "./limits.js";
export { shareInstanceCheck } from "./shared-instance-check.js";
export * from "./socket/index.js";
export {
  type InferSchemaInput,
  type InferSchemaOutput,
  isStandardSchema,
  runSchema,
  type SchemaCheck,
  type StandardSchemaIssue,
  type StandardSchemaProps,
  type StandardSchemaResult,
  type StandardSchemaV1,
  type ValidationIssue,
} from "./standard-schema.js";
export type {
  AllButLast,
  DecorateAcknowledgements,
  DecorateAcknowledgementsWithMultipleResponses,
  DecorateAcknowledgementsWithTimeoutAndMultipleResponses,
  DefaultEventsMap,
  EventNames,
  EventNamesWithAck,
  EventNamesWithError,
  EventNamesWithoutAck,
  EventParams,
  EventsMap,
  ExpectMultipleResponses,
  FirstNonErrorArg,
  FirstNonErrorTuple,
  Last,
  MultiplyArray,
  PrependTimeoutError,
  RemoveAcknowledgements,
  ReservedOrUserEventNames,
  ReservedOrUserListener,
  TypedEventBroadcaster,
} from "./typed-events.js";

/**
 * Limits applied while decoding untrusted Socket.IO and Engine.IO input. Every limit is
 * checked as early as possible (while scanning the header, before `JSON.parse` or before
 * buffering attachments).
 */
export interface DecoderLimits {
  /**
   * Maximum number of binary attachments one packet may declare.
   * Default 64. Exceeding it: `SB_ERR_TOO_MANY_ATTACHMENTS`.
   */
  maxAttachments: number;
  /**
   * Maximum namespace length in UTF-16 code units, including the leading `/`.
   * Default 256. Exceeding it: `SB_ERR_NAMESPACE_TOO_LONG`.
   */
  maxNamespaceLength: number;
  /**
   * Maximum event-name length in UTF-16 code units (first element of an EVENT payload).
   * Default 256. Exceeding it: `SB_ERR_EVENT_NAME_TOO_LONG`.
   */
  maxEventNameLength: number;
  /**
   * Maximum number of engine packets in one long-polling payload.
   * Default 256. Exceeding it: `SB_ERR_TOO_MANY_PACKETS`.
   */
  maxPayloadPackets: number;
}

/** The default {@link DecoderLimits}: 64 attachments, 256-char namespaces and event names, 256 packets per payload. */
export const DEFAULT_DECODER_LIMITS: Readonly<DecoderLimits> = Object.freeze({
  maxAttachments: 64,
  maxNamespaceLength: 256,
  maxEventNameLength: 256,
  maxPayloadPackets: 256,
});

/**
 * Maximum number of digits in an ack id (fixed, not configurable). 16 digits cover
 * `Number.MAX_SAFE_INTEGER`; longer ids are rejected before being parsed, and any id
 * above `Number.MAX_SAFE_INTEGER` is rejected too (`SB_ERR_INVALID_ACK_ID`).
 */
export const MAX_ACK_ID_DIGITS = 16;

/**
 * Maximum number of digits in a binary packet's attachment count (fixed). Anything longer
 * is rejected as `SB_ERR_INVALID_ATTACHMENT_COUNT` before the count is compared with
 * `maxAttachments`.
 */
export const MAX_ATTACHMENT_COUNT_DIGITS = 9;

/**
 * Maximum nesting depth of data handed to the Socket.IO encoder (fixed). Deeper data gives
 * `SB_ERR_DATA_TOO_DEEP`, or `SB_ERR_CYCLIC_DATA` when the depth comes from a cycle.
 */
export const MAX_ENCODE_DEPTH = 1000;

/** Objects returned by {@link resolveDecoderLimits} (frozen, so safe to share). */
const resolvedLimits = new WeakSet<object>();

/**
 * Merge partial limits over {@link DEFAULT_DECODER_LIMITS}. Each value must be a
 * non-negative number (`Infinity` allowed); anything else throws `TypeError`.
 */
export function resolveDecoderLimits(limits?: Partial<DecoderLimits>): Readonly<DecoderLimits> {
  if (limits === undefined) return DEFAULT_DECODER_LIMITS;
  // Already resolved (frozen, complete): shared as is, so a server's per-connection
  // decoders do not each hold a copy.
  if (resolvedLimits.has(limits)) return limits as Readonly<DecoderLimits>;
  const resolved: DecoderLimits = { ...DEFAULT_DECODER_LIMITS };
  for (const key of Object.keys(DEFAULT_DECODER_LIMITS) as (keyof DecoderLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
      throw new TypeError(
        `decoder limit ${key} must be a non-negative number, got ${String(value)}`,
      );
    }
    resolved[key] = value;
  }
  Object.freeze(resolved);
  resolvedLimits.add(resolved);
  return resolved;
}

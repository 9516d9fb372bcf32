import { shareInstanceCheck } from "./shared-instance-check.js";

/**
 * Stable error codes reported by every codec in this package.
 *
 * Tests and callers branch on these codes, never on message text. Codes never change
 * meaning once published; new failure classes get new codes.
 */
export const ProtocolErrorCode = {
  // Engine.IO packets and payloads
  /** An engine frame or payload segment is empty. */
  EMPTY_PACKET: "SB_ERR_EMPTY_PACKET",
  /** The first character of an engine packet is not a known type (0-6, or `b` for base64). */
  UNKNOWN_ENGINE_PACKET_TYPE: "SB_ERR_UNKNOWN_ENGINE_PACKET_TYPE",
  /** A polling payload holds more packets than `maxPayloadPackets`. */
  TOO_MANY_PACKETS: "SB_ERR_TOO_MANY_PACKETS",
  /** Base64 text has a bad length, bad padding or a character outside the alphabet. */
  INVALID_BASE64: "SB_ERR_INVALID_BASE64",
  /**
   * An Engine.IO v3 polling payload's framing is malformed: a length prefix that is not 1 to
   * 16 decimal digits, has no separator, or runs past the end; a binary header byte other
   * than 0 or 1.
   */
  INVALID_PAYLOAD_FRAMING: "SB_ERR_INVALID_PAYLOAD_FRAMING",
  /** The handshake (open packet) data is not the documented JSON object. */
  INVALID_HANDSHAKE: "SB_ERR_INVALID_HANDSHAKE",

  // Socket.IO packets
  /** A message handed to a decoder is neither a string nor binary data. */
  INVALID_MESSAGE: "SB_ERR_INVALID_MESSAGE",
  /** The first character of a Socket.IO packet is not a known type (0-6). */
  UNKNOWN_PACKET_TYPE: "SB_ERR_UNKNOWN_PACKET_TYPE",
  /** The `<count>-` attachment header of a binary packet is missing or malformed. */
  INVALID_ATTACHMENT_COUNT: "SB_ERR_INVALID_ATTACHMENT_COUNT",
  /** A binary packet declares more attachments than `maxAttachments`. */
  TOO_MANY_ATTACHMENTS: "SB_ERR_TOO_MANY_ATTACHMENTS",
  /** A namespace does not start with `/` (or, when encoding, contains a comma). */
  INVALID_NAMESPACE: "SB_ERR_INVALID_NAMESPACE",
  /** A namespace is longer than `maxNamespaceLength`. */
  NAMESPACE_TOO_LONG: "SB_ERR_NAMESPACE_TOO_LONG",
  /** An ack id is missing where required, present where forbidden, or not a safe non-negative integer. */
  INVALID_ACK_ID: "SB_ERR_INVALID_ACK_ID",
  /** The JSON payload does not parse. */
  INVALID_JSON: "SB_ERR_INVALID_JSON",
  /** The payload has the wrong shape for its packet type. */
  INVALID_PAYLOAD: "SB_ERR_INVALID_PAYLOAD",
  /** The first element of an EVENT payload is not a string. */
  INVALID_EVENT_NAME: "SB_ERR_INVALID_EVENT_NAME",
  /** An event name is longer than `maxEventNameLength`. */
  EVENT_NAME_TOO_LONG: "SB_ERR_EVENT_NAME_TOO_LONG",
  /** A `{"_placeholder":true,"num":N}` object is malformed or N is out of range. */
  INVALID_PLACEHOLDER: "SB_ERR_INVALID_PLACEHOLDER",
  /** A binary attachment arrived while no binary packet was awaiting one. */
  UNEXPECTED_ATTACHMENT: "SB_ERR_UNEXPECTED_ATTACHMENT",
  /** A text packet arrived while the attachments of a binary packet were still awaited. */
  ATTACHMENT_EXPECTED: "SB_ERR_ATTACHMENT_EXPECTED",
  /**
   * A custom parser (the `parser` option) failed: its decoder threw, emitted `"error"` or
   * produced something that is not a packet object, or its encoder returned no array of
   * text and binary chunks. The parser's own error is the `cause`.
   */
  PARSER_ERROR: "SB_ERR_PARSER_ERROR",

  // Encoding
  /** A packet handed to an encoder has the wrong shape (bad type, namespace, data or id). */
  INVALID_PACKET: "SB_ERR_INVALID_PACKET",
  /** The data to encode contains a cycle. */
  CYCLIC_DATA: "SB_ERR_CYCLIC_DATA",
  /** The data to encode is nested deeper than `MAX_ENCODE_DEPTH`. */
  DATA_TOO_DEEP: "SB_ERR_DATA_TOO_DEEP",
  /** `JSON.stringify` rejected the data (a BigInt, or a `toJSON` that threw). */
  UNSERIALIZABLE_DATA: "SB_ERR_UNSERIALIZABLE_DATA",
} as const;

/** One of the stable `SB_ERR_…` strings of {@link ProtocolErrorCode}. */
export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/**
 * The only error type the codecs throw. Decoding untrusted input never throws anything else.
 *
 * @example
 * ```ts
 * try {
 *   decoder.add(message);
 * } catch (err) {
 *   if (err instanceof ProtocolError && err.code === ProtocolErrorCode.TOO_MANY_ATTACHMENTS) {
 *     // close the connection with reason "parse error"
 *   }
 * }
 * ```
 */
export class ProtocolError extends Error {
  /** Stable machine-readable code, e.g. `SB_ERR_TOO_MANY_ATTACHMENTS`. */
  readonly code: ProtocolErrorCode;

  /**
   * @param code - the stable code
   * @param message - human-readable detail (not part of the contract)
   * @param options - optional `cause` (the underlying error, e.g. a `SyntaxError` from `JSON.parse`)
   */
  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProtocolError";
    this.code = code;
  }
}
// After the class, not in a static block: the minified bundles drop the call (a page holds
// one copy of the client) and, with it, any trace of it.
shareInstanceCheck(ProtocolError, "switchboard.ProtocolError");

import { shareInstanceCheck } from "@switchboard/protocol";

/**
 * Stable codes of every error the client raises or emits; apps and tests branch on these.
 * The messages stay socket.io-client's (`"xhr poll error"`, `"timeout"`, `"operation has
 * timed out"`, …) for apps written against it, but only the codes are the contract.
 */
export const ClientErrorCode = {
  /** A transport request or WebSocket failed (network error, HTTP error status). */
  TRANSPORT: "SB_ERR_TRANSPORT",
  /** The connection did not open within the `timeout` option. */
  TIMEOUT: "SB_ERR_CONNECT_TIMEOUT",
  /** The server sent data that does not decode. */
  PARSE: "SB_ERR_PARSE",
  /**
   * The server sent more than `maxBufferedPackets` events on a namespace before its CONNECT
   * answer (a Socket's `connect_error`; the Socket gives up as after a refusal).
   */
  TOO_MANY_EARLY_PACKETS: "SB_ERR_TOO_MANY_EARLY_PACKETS",
  /** The server refused the namespace (CONNECT_ERROR): `message` and `data` are the server's. */
  CONNECT_REFUSED: "SB_ERR_CONNECT_REFUSED",
  /** The server's CONNECT answer has no session id (a Socket.IO v2 server). */
  NO_SESSION_ID: "SB_ERR_NO_SESSION_ID",
  /** An acknowledgement did not come within the emit's timeout (`"operation has timed out"`). */
  ACK_TIMEOUT: "SB_ERR_ACK_TIMEOUT",
  /** The Socket disconnected before the acknowledgement came (`"socket has been disconnected"`). */
  DISCONNECTED: "SB_ERR_DISCONNECTED",
  /** An emit was dropped: `maxBufferedPackets` emits already wait (`"send buffer full"`). */
  SEND_BUFFER_FULL: "SB_ERR_SEND_BUFFER_FULL",
  /** `emit` of a reserved event name (`connect`, `connect_error`, `disconnect`, …); thrown. */
  RESERVED_EVENT: "SB_ERR_RESERVED_EVENT",
  /** Contradictory or unusable options; thrown as a `TypeError` by the constructor. */
  INVALID_OPTION: "SB_ERR_INVALID_OPTION",
} as const;

/** One of {@link ClientErrorCode}. */
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/**
 * A failure below the application: transport-level (the manager's `error`, a Socket's
 * `connect_error`), or a server breaking the protocol's bounds (`"too many packets before
 * CONNECT"`, code `SB_ERR_TOO_MANY_EARLY_PACKETS`). `message` is socket.io-client's reason string
 * (`"xhr poll error"`, `"xhr post error"`, `"websocket error"`, `"timeout"`, `"parse error"`),
 * `description` the underlying cause (HTTP status, Error, event) and `context` extra data
 * such as the HTTP response body.
 */
export class TransportError extends Error {
  /** Always `"TransportError"`, as in socket.io-client. */
  readonly type = "TransportError";
  // `declare`: set by the constructor only, so the bundles carry no field declarations.
  declare readonly code: ClientErrorCode;
  declare readonly description: unknown;
  declare readonly context: unknown;

  constructor(
    reason: string,
    description?: unknown,
    context?: unknown,
    code: ClientErrorCode = ClientErrorCode.TRANSPORT,
  ) {
    super(reason);
    this.code = code;
    this.description = description;
    this.context = context;
  }
}
// After the class, not in a static block: the minified bundles drop the call (a page holds
// one copy of the client) and, with it, any trace of it.
shareInstanceCheck(TransportError, "switchboard.client.TransportError");

/**
 * An error of the Socket layer: a refused namespace (`connect_error`, with the server's
 * `message` and `data`), an acknowledgement that timed out or lost its Socket, an emit over
 * the send buffer's bound, a reserved event name. `message` is socket.io-client's.
 */
export class SocketError extends Error {
  declare readonly code: ClientErrorCode;
  /** A refusal's `data` from the server's CONNECT_ERROR, as in socket.io-client. */
  declare data?: unknown;

  constructor(message: string, code: ClientErrorCode) {
    super(message);
    this.code = code;
  }
}
// After the class, not in a static block: the minified bundles drop the call (a page holds
// one copy of the client) and, with it, any trace of it.
shareInstanceCheck(SocketError, "switchboard.client.SocketError");

/** The `TypeError` (code `SB_ERR_INVALID_OPTION`) that constructors throw for bad options. */
export const optionError = (message: string): TypeError & { code: ClientErrorCode } =>
  Object.assign(new TypeError(message), { code: ClientErrorCode.INVALID_OPTION });

/** A `"parse error"` TransportError (code `SB_ERR_PARSE`): the server sent what does not decode. */
export const parseError = (cause: unknown, context?: unknown): TransportError =>
  new TransportError("parse error", cause, context, ClientErrorCode.PARSE);

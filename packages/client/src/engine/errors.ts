import { shareInstanceCheck } from "@switchboard/protocol";

/** Stable codes of the client's errors; tests branch on these, never on message text. */
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
  static {
    shareInstanceCheck(TransportError, "switchboard.client.TransportError");
  }

  /** Always `"TransportError"`, as in socket.io-client. */
  readonly type = "TransportError";
  readonly code: ClientErrorCode;
  readonly description: unknown;
  readonly context: unknown;

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

/** A `"parse error"` TransportError (code `SB_ERR_PARSE`): the server sent what does not decode. */
export const parseError = (cause: unknown, context?: unknown): TransportError =>
  new TransportError("parse error", cause, context, ClientErrorCode.PARSE);

import { shareInstanceCheck } from "@switchboard/protocol";

/**
 * Stable codes of the socket layer's errors ({@link SocketError}, {@link SocketTypeError}).
 * Callers and tests branch on these, never on message text; a code never changes meaning.
 */
export const SocketErrorCode = {
  /** `emit`/`serverSideEmit` of a reserved event name (`connect`, `disconnect`, …; `connection`, `new_namespace` and `draining` for server-side emits). Thrown to the caller. */
  RESERVED_EVENT: "SB_ERR_RESERVED_EVENT",
  /** An acknowledgement did not arrive within `timeout()` ms (socket or broadcast). The ack's error argument; the message stays socket.io's "operation has timed out". */
  ACK_TIMEOUT: "SB_ERR_ACK_TIMEOUT",
  /** The socket disconnected before answering an ack with `timeout()`. The ack's error argument. */
  ACK_DISCONNECTED: "SB_ERR_ACK_DISCONNECTED",
  /** A client sent a packet type that is invalid on a connected namespace (CONNECT again, CONNECT_ERROR). The description of its "parse error" close. */
  UNEXPECTED_PACKET: "SB_ERR_UNEXPECTED_PACKET",
  /** A client's event name is not a string (possible with a custom `parser`). The description of its "parse error" close. */
  INVALID_EVENT_NAME: "SB_ERR_INVALID_EVENT_NAME",
  /** A client sent an event with a reserved name (`disconnect`, …), as socket.io's parser refuses. The description of its "parse error" close. */
  RESERVED_CLIENT_EVENT: "SB_ERR_RESERVED_CLIENT_EVENT",
  /** A CONNECT's auth payload is not an object. The description of the "parse error" close. */
  INVALID_AUTH: "SB_ERR_INVALID_AUTH",
  /** A class handler's method threw or rejected with something that is not an `Error` (the value is the `cause`). */
  HANDLER_FAILED: "SB_ERR_HANDLER_FAILED",
  /** Counting the nodes for a broadcast ack failed with something that is not an `Error` (the value is the `cause`). */
  ACK_COLLECTION_FAILED: "SB_ERR_ACK_COLLECTION_FAILED",
  /** A client's event payload failed its schema (`nsp.validate`, `socket.on(ev, schema, handler)`). Sent to the client in the ack's `{ error }` or an `error` event; the handler never runs. */
  VALIDATION: "SB_ERR_VALIDATION",
  /** An async schema did not settle within `validationTimeout` ms. Sent to the client like {@link SocketErrorCode.VALIDATION}. */
  VALIDATION_TIMEOUT: "SB_ERR_VALIDATION_TIMEOUT",
  /** A handler's ack answer failed the event's `ack` schema: the client gets `{ error: { code } }` instead, the socket an `error` event with the issues. */
  ACK_VALIDATION: "SB_ERR_ACK_VALIDATION",
  /** A client's event went over the `rateLimit`. Sent to the client in the ack's `{ error }` or an `error` event; the handler never runs. */
  RATE_LIMITED: "SB_ERR_RATE_LIMITED",
  /** A server option is invalid ({@link SocketTypeError}, thrown by the constructor). */
  INVALID_OPTION: "SB_ERR_INVALID_OPTION",
  /** `dashboard(io, options)` without `auth` ({@link SocketTypeError}): pass credentials, a check of your own, or `auth: false` explicitly. */
  DASHBOARD_AUTH_REQUIRED: "SB_ERR_DASHBOARD_AUTH_REQUIRED",
  /** A connection to the dashboard's namespace without a valid, unexpired token: the `data.code` of its `connect_error`. */
  DASHBOARD_TOKEN: "SB_ERR_DASHBOARD_TOKEN",
  /** A class handler's static `events` table names something that is not a method ({@link SocketTypeError}, thrown by `register`). */
  INVALID_HANDLER: "SB_ERR_INVALID_HANDLER",
  /** `AdapterSocket#deliver` got an encoded packet that its namespace's `encode` did not make ({@link SocketTypeError}: an adapter bug). */
  FOREIGN_ENCODED_PACKET: "SB_ERR_FOREIGN_ENCODED_PACKET",
} as const;

/** One of the stable `SB_ERR_…` strings of {@link SocketErrorCode}. */
export type SocketErrorCode = (typeof SocketErrorCode)[keyof typeof SocketErrorCode];

/**
 * The errors of the socket layer (Server, Namespace, Socket, broadcasts, acks), each with a
 * stable `code`.
 *
 * @example
 * ```ts
 * socket.timeout(5000).emit("question", (err, answer) => {
 *   if (err instanceof SocketError && err.code === SocketErrorCode.ACK_TIMEOUT) retryLater();
 * });
 * ```
 */
export class SocketError extends Error {
  static {
    shareInstanceCheck(SocketError, "switchboard.server.SocketError");
  }

  /** Stable machine-readable code, e.g. `SB_ERR_ACK_TIMEOUT`. */
  readonly code: SocketErrorCode;

  constructor(code: SocketErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SocketError";
    this.code = code;
  }
}

/**
 * An invalid argument or option of the socket layer: a `TypeError` (as option validation
 * has always thrown) carrying a {@link SocketErrorCode}.
 */
export class SocketTypeError extends TypeError {
  static {
    shareInstanceCheck(SocketTypeError, "switchboard.server.SocketTypeError");
  }

  /** Stable machine-readable code, e.g. `SB_ERR_INVALID_OPTION`. */
  readonly code: SocketErrorCode;

  constructor(code: SocketErrorCode, message: string) {
    super(message);
    this.name = "SocketTypeError";
    this.code = code;
  }
}

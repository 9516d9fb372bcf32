import type { IncomingMessage } from "node:http";
import { shareInstanceCheck } from "@switchboard/protocol";

/**
 * Engine.IO handshake error codes: the numeric `code` of the JSON body and of
 * `connection_error`, as engine.io sends them (spec "Handshake"; unchanged on the wire).
 */
export const HandshakeErrorCode = {
  UNKNOWN_TRANSPORT: 0,
  UNKNOWN_SID: 1,
  BAD_HANDSHAKE_METHOD: 2,
  BAD_REQUEST: 3,
  FORBIDDEN: 4,
  UNSUPPORTED_PROTOCOL_VERSION: 5,
} as const;

/** One of the {@link HandshakeErrorCode} values. */
export type HandshakeErrorCodeValue = (typeof HandshakeErrorCode)[keyof typeof HandshakeErrorCode];

/**
 * Stable `SB_ERR_*` codes of {@link HandshakeError} (its `errorCode`): why a request or an
 * upgrade was refused, finer than the six numeric wire codes. Tests assert on these.
 */
export const HandshakeRefusal = {
  /** `transport` missing, unknown, or not in `transports` (wire code 0). */
  UNKNOWN_TRANSPORT: "SB_ERR_UNKNOWN_TRANSPORT",
  /** `sid` is not a live session, or its polling transport has just closed (wire code 1). */
  UNKNOWN_SID: "SB_ERR_UNKNOWN_SID",
  /** A handshake (no `sid`) that is not a GET (wire code 2). */
  BAD_HANDSHAKE_METHOD: "SB_ERR_BAD_HANDSHAKE_METHOD",
  /** A plain GET with `transport=websocket`, or an upgrade with `transport=polling` (wire code 3). */
  BAD_REQUEST: "SB_ERR_BAD_REQUEST",
  /** A polling request for a session no longer on polling (after the upgrade; wire code 3). */
  TRANSPORT_MISMATCH: "SB_ERR_TRANSPORT_MISMATCH",
  /** An upgrade while `allowUpgrades` is false (wire code 3). */
  UPGRADES_DISABLED: "SB_ERR_UPGRADES_DISABLED",
  /** A polling request of a session with a method other than GET or POST (wire code 3). */
  BAD_POLLING_METHOD: "SB_ERR_BAD_POLLING_METHOD",
  /** A second concurrent GET or POST of one session (wire code 3; the session closes). */
  OVERLAPPING_REQUEST: "SB_ERR_OVERLAPPING_REQUEST",
  /** A POST body that does not decode as a payload (wire code 3; the session closes with the `ProtocolError`). */
  BAD_PAYLOAD: "SB_ERR_BAD_PAYLOAD",
  /** `allowEIO3`: a JSONP polling request (`j=`), not served (wire code 3). */
  JSONP_UNSUPPORTED: "SB_ERR_JSONP_UNSUPPORTED",
  /** `allowEIO3`: a request whose `EIO` is not the version its session was opened with (wire code 3). */
  PROTOCOL_MISMATCH: "SB_ERR_PROTOCOL_MISMATCH",
  /** `generateId` threw or its Promise rejected (wire code 3, context `ID_GENERATION_ERROR`). */
  ID_GENERATION: "SB_ERR_ID_GENERATION",
  /** `generateId` gave the id of a live session (wire code 3, context `DUPLICATE_SID`). */
  DUPLICATE_SID: "SB_ERR_DUPLICATE_SID",
  /** `allowRequest` refused (wire code 4, 403, context `FORBIDDEN`). */
  REQUEST_REFUSED: "SB_ERR_REQUEST_REFUSED",
  /** A middleware called `next(err)` or threw (wire code 4, 403, context `MIDDLEWARE_FAILURE`). */
  MIDDLEWARE_FAILURE: "SB_ERR_MIDDLEWARE_FAILURE",
  /** An `Origin` outside `allowedOrigins` (wire code 4, 403, context `ORIGIN_NOT_ALLOWED`). */
  ORIGIN_NOT_ALLOWED: "SB_ERR_ORIGIN_NOT_ALLOWED",
  /** `EIO` is not 4 (nor 3 with `allowEIO3`) (wire code 5). */
  UNSUPPORTED_PROTOCOL_VERSION: "SB_ERR_UNSUPPORTED_PROTOCOL_VERSION",
  /**
   * A new session asked for while the server drains (`engine.stopAccepting()`, `io.drain()`):
   * HTTP 503 `{"code":4,"message":"Server shutting down"}` with `Connection: close` (wire code 4).
   */
  SERVER_DRAINING: "SB_ERR_SERVER_DRAINING",
  /**
   * More handshakes from one client than `handshakeRateLimit` allows: HTTP 429
   * `{"code":4,"message":"Too many handshakes"}` with `Retry-After` (s) (wire code 4).
   */
  HANDSHAKE_RATE_LIMITED: "SB_ERR_HANDSHAKE_RATE_LIMITED",
} as const;

/** One of the {@link HandshakeRefusal} strings. */
export type HandshakeRefusalValue = (typeof HandshakeRefusal)[keyof typeof HandshakeRefusal];

/** Each refusal's wire code: the one table from `SB_ERR_*` code to Engine.IO code. */
const WIRE_CODES: Readonly<Record<HandshakeRefusalValue, HandshakeErrorCodeValue>> = {
  SB_ERR_UNKNOWN_TRANSPORT: 0,
  SB_ERR_UNKNOWN_SID: 1,
  SB_ERR_BAD_HANDSHAKE_METHOD: 2,
  SB_ERR_BAD_REQUEST: 3,
  SB_ERR_TRANSPORT_MISMATCH: 3,
  SB_ERR_UPGRADES_DISABLED: 3,
  SB_ERR_BAD_POLLING_METHOD: 3,
  SB_ERR_OVERLAPPING_REQUEST: 3,
  SB_ERR_BAD_PAYLOAD: 3,
  SB_ERR_JSONP_UNSUPPORTED: 3,
  SB_ERR_PROTOCOL_MISMATCH: 3,
  SB_ERR_ID_GENERATION: 3,
  SB_ERR_DUPLICATE_SID: 3,
  SB_ERR_REQUEST_REFUSED: 4,
  SB_ERR_MIDDLEWARE_FAILURE: 4,
  SB_ERR_ORIGIN_NOT_ALLOWED: 4,
  SB_ERR_UNSUPPORTED_PROTOCOL_VERSION: 5,
  // The request is refused, as by `allowRequest`; no wire code of its own (engine.io has
  // none, and no client reads the code of a refused handshake: they retry on any failure).
  SB_ERR_SERVER_DRAINING: 4,
  SB_ERR_HANDSHAKE_RATE_LIMITED: 4,
};

/** The refusal a bare wire code stands for (a {@link HandshakeError} built from a number). */
const GENERIC_REFUSALS: Readonly<Record<HandshakeErrorCodeValue, HandshakeRefusalValue>> = {
  0: HandshakeRefusal.UNKNOWN_TRANSPORT,
  1: HandshakeRefusal.UNKNOWN_SID,
  2: HandshakeRefusal.BAD_HANDSHAKE_METHOD,
  3: HandshakeRefusal.BAD_REQUEST,
  4: HandshakeRefusal.REQUEST_REFUSED,
  5: HandshakeRefusal.UNSUPPORTED_PROTOCOL_VERSION,
};

/** The one table from wire code to HTTP status and message (engine.io's wire answers). */
const ANSWERS: Readonly<Record<HandshakeErrorCodeValue, { status: number; message: string }>> = {
  0: { status: 400, message: "Transport unknown" },
  1: { status: 400, message: "Session ID unknown" },
  2: { status: 400, message: "Bad handshake method" },
  3: { status: 400, message: "Bad request" },
  4: { status: 403, message: "Forbidden" },
  5: { status: 400, message: "Unsupported protocol version" },
};

/**
 * Refusals whose answer is not their wire code's: a draining server answers 503 (a load
 * balancer's "try another node"), with a message that says why.
 */
const REFUSAL_ANSWERS: Readonly<
  Partial<Record<HandshakeRefusalValue, { status: number; message: string }>>
> = {
  SB_ERR_SERVER_DRAINING: { status: 503, message: "Server shutting down" },
  SB_ERR_HANDSHAKE_RATE_LIMITED: { status: 429, message: "Too many handshakes" },
};

/** HTTP status for a handshake error code. */
export function statusOf(code: HandshakeErrorCodeValue): number {
  return ANSWERS[code].status;
}

/** Standard message for a handshake error code. */
export function messageOf(code: HandshakeErrorCodeValue): string {
  return ANSWERS[code].message;
}

/**
 * A refused request, emitted as `connection_error` by the engine server. `code` is the
 * numeric Engine.IO error code sent on the wire (0-5, as engine.io's), `errorCode` the
 * stable `SB_ERR_*` reason ({@link HandshakeRefusal}), `status` the HTTP status answered.
 */
export class HandshakeError extends Error {
  static {
    shareInstanceCheck(HandshakeError, "switchboard.server.HandshakeError");
  }

  /** The Engine.IO wire code (0-5), as engine.io's `connection_error` has it. */
  readonly code: HandshakeErrorCodeValue;
  /** Why, as a stable string ({@link HandshakeRefusal}; finer than `code`, whose 3 covers ten reasons). */
  readonly errorCode: HandshakeRefusalValue;
  readonly status: number;
  readonly req: IncomingMessage;
  readonly context: Record<string, unknown>;

  /** `reason`: a {@link HandshakeRefusal} code, or a bare wire code (its generic refusal). */
  constructor(
    reason: HandshakeRefusalValue | HandshakeErrorCodeValue,
    req: IncomingMessage,
    context: Record<string, unknown> = {},
    message?: string,
  ) {
    const errorCode = typeof reason === "number" ? GENERIC_REFUSALS[reason] : reason;
    const code = WIRE_CODES[errorCode];
    const answer = REFUSAL_ANSWERS[errorCode] ?? ANSWERS[code];
    super(message ?? answer.message);
    this.name = "HandshakeError";
    this.code = code;
    this.errorCode = errorCode;
    this.status = answer.status;
    this.req = req;
    this.context = context;
  }
}

/**
 * Stable codes of {@link TransportError}: why the engine cut one connection short. Each
 * limit of docs/engine.md ("Limits") names its code; tests assert on these, never on text.
 */
export const TransportErrorCode = {
  /** A WebSocket frame broke RFC 6455 (RSV bits, opcode, masking, control frame rules, continuation order, close payload). */
  WS_PROTOCOL: "SB_ERR_WS_PROTOCOL",
  /** Invalid UTF-8 in a text message or a close reason (close 1007). */
  WS_INVALID_UTF8: "SB_ERR_WS_INVALID_UTF8",
  /** A WebSocket message (payload plus continuation-frame headers) over `maxHttpBufferSize` (close 1009). */
  WS_MESSAGE_TOO_BIG: "SB_ERR_WS_MESSAGE_TOO_BIG",
  /** More frames in one fragmented message than `maxMessageFragments` (close 1008). */
  WS_TOO_MANY_FRAGMENTS: "SB_ERR_WS_TOO_MANY_FRAGMENTS",
  /** More ping/pong frames in one second than `maxControlFrames` (close 1008). */
  WS_CONTROL_FLOOD: "SB_ERR_WS_CONTROL_FLOOD",
  /** A polling POST body over `maxHttpBufferSize` (HTTP 413). */
  BODY_TOO_LARGE: "SB_ERR_BODY_TOO_LARGE",
  /** A polling POST body in more chunks than `maxBodyChunks` (HTTP 413). */
  BODY_TOO_MANY_CHUNKS: "SB_ERR_BODY_TOO_MANY_CHUNKS",
  /** A polling POST body not complete within `bodyTimeout` (HTTP 408). */
  BODY_TIMEOUT: "SB_ERR_BODY_TIMEOUT",
  /** A second concurrent GET or POST of one session (HTTP 400, as its refusal's `HandshakeError`). */
  OVERLAPPING_REQUEST: "SB_ERR_OVERLAPPING_REQUEST",
  /** A held polling GET whose connection closed before it was answered. */
  POLL_ABORTED: "SB_ERR_POLL_ABORTED",
  /** A polling POST whose connection closed (or failed) before its body was read. */
  POST_ABORTED: "SB_ERR_POST_ABORTED",
} as const;

/** One of the {@link TransportErrorCode} strings. */
export type TransportErrorCodeValue = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

/**
 * A connection closed by the engine for breaking the protocol or a limit: the
 * `description` of the session's `"transport error"` close (and of `"parse error"` for
 * UTF-8). `closeCode` is the WebSocket close code sent, `status` the HTTP status answered.
 */
export class TransportError extends Error {
  static {
    shareInstanceCheck(TransportError, "switchboard.server.TransportError");
  }

  readonly code: TransportErrorCodeValue;
  /** WebSocket close code sent to the peer (RFC 6455 section 7.4.1), or undefined. */
  readonly closeCode: number | undefined;
  /** HTTP status answered to a polling request, or undefined. */
  readonly status: number | undefined;

  constructor(
    code: TransportErrorCodeValue,
    message: string,
    answer: { closeCode?: number; status?: number } = {},
  ) {
    super(message);
    this.name = "TransportError";
    this.code = code;
    this.closeCode = answer.closeCode;
    this.status = answer.status;
  }
}

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { shareInstanceCheck } from "@switchboard/protocol";

/** Engine.IO handshake error codes (the `code` of the JSON body and of `connection_error`). */
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

/** The one table from error code to HTTP status and message (engine.io's wire answers). */
const ANSWERS: Readonly<Record<HandshakeErrorCodeValue, { status: number; message: string }>> = {
  0: { status: 400, message: "Transport unknown" },
  1: { status: 400, message: "Session ID unknown" },
  2: { status: 400, message: "Bad handshake method" },
  3: { status: 400, message: "Bad request" },
  4: { status: 403, message: "Forbidden" },
  5: { status: 400, message: "Unsupported protocol version" },
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
 * A refused request, emitted as `connection_error` by the engine server.
 * `code` is the numeric Engine.IO error code (stable), `status` the HTTP status answered.
 */
export class HandshakeError extends Error {
  static {
    shareInstanceCheck(HandshakeError, "switchboard.server.HandshakeError");
  }

  readonly code: HandshakeErrorCodeValue;
  readonly status: number;
  readonly req: IncomingMessage;
  readonly context: Record<string, unknown>;

  constructor(
    code: HandshakeErrorCodeValue,
    req: IncomingMessage,
    context: Record<string, unknown> = {},
    message: string = messageOf(code),
  ) {
    super(message);
    this.name = "HandshakeError";
    this.code = code;
    this.status = statusOf(code);
    this.req = req;
    this.context = context;
  }
}

/** Answers an HTTP request with the error's status and JSON `{code, message}`. */
export function abortRequest(
  res: ServerResponse,
  error: HandshakeError,
  headers: Record<string, string | string[]> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ code: error.code, message: error.message });
  res.writeHead(error.status, {
    ...headers,
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}

/** Answers an upgrade request on the raw socket with the error, then destroys the socket. */
export function abortUpgrade(socket: Duplex, error: HandshakeError): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ code: error.code, message: error.message });
  socket.end(
    `HTTP/1.1 ${error.status} ${error.status === 403 ? "Forbidden" : "Bad Request"}\r\n` +
      "Connection: close\r\nContent-Type: application/json\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  socket.once("finish", () => socket.destroy());
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

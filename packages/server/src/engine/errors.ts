import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

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

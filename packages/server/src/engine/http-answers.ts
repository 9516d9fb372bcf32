import type { EventEmitter } from "node:events";
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import createDebug from "debug";
import type { HandshakeError } from "./errors.js";
import { compress, pickEncoding, serializeCookie } from "./http.js";
import type { ResolvedEngineOptions } from "./options.js";

const debug = createDebug("switchboard:engine:http");

/** Headers object handed to `initial_headers` / `headers` listeners, which may add to it. */
export type EngineHeaders = Record<string, string | string[]>;

export const PAYLOAD_TYPE = "text/plain; charset=UTF-8";
/** Content type of an Engine.IO v3 binary payload (XHR2 clients). */
const BINARY_PAYLOAD_TYPE = "application/octet-stream";

/** How long the connection of a refused POST body (413, 408) may stay open for its answer to be read, ms. */
const REFUSED_BODY_LINGER_MS = 2_000;

/** What the HTTP answers read of the server's resolved options (read live: tests change them). */
export type HttpAnswerOptions = Pick<
  ResolvedEngineOptions,
  "compressionThreshold" | "maxHttpBufferSize" | "cookieEnabled" | "cookieOptions"
>;

const CLOSE_CONNECTION: Readonly<EngineHeaders> = Object.freeze({ Connection: "close" });

/** `Retry-After` in whole seconds, for a refusal that says when to come back (context `retryAfter`, ms). */
function retryAfterSeconds(error: HandshakeError): string | undefined {
  const ms = error.context.retryAfter;
  return typeof ms === "number" && ms > 0 ? String(Math.ceil(ms / 1000)) : undefined;
}

/** Answers an HTTP request with the error's status and JSON `{code, message}`. */
export function abortRequest(
  res: ServerResponse,
  error: HandshakeError,
  headers: Readonly<Record<string, string | string[]>> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ code: error.code, message: error.message });
  const retry = retryAfterSeconds(error);
  res.writeHead(error.status, {
    ...headers,
    ...(retry === undefined ? {} : { "Retry-After": retry }),
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
  const retry = retryAfterSeconds(error);
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? "Bad Request"}\r\n` +
      (retry === undefined ? "" : `Retry-After: ${retry}\r\n`) +
      "Connection: close\r\nContent-Type: application/json\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  socket.once("finish", () => socket.destroy());
}

/**
 * Every HTTP answer of one engine server: poll answers (compressed when large and
 * accepted), "ok" for a POST, refusals (JSON `{code, message}`, emitted as
 * `connection_error`) and refused bodies. The polling transport answers its own requests
 * through it; `events` is the server, whose `headers` / `connection_error` listeners it
 * calls.
 */
export class HttpAnswers {
  readonly #options: HttpAnswerOptions;
  readonly #events: EventEmitter;
  /**
   * Headers of every polling answer while nobody listens for "headers": one object per
   * server, its Content-Length set just before `writeHead`, which turns it into the header
   * text at once and keeps no reference.
   */
  readonly #payloadHeaders: EngineHeaders = { "Content-Type": PAYLOAD_TYPE, "Content-Length": "0" };
  readonly #okHeaders: EngineHeaders = { "Content-Type": "text/html", "Content-Length": "2" };

  constructor(options: HttpAnswerOptions, events: EventEmitter) {
    this.#options = options;
    this.#events = events;
  }

  /**
   * The polling handshake's answer: the open packet, with the session cookie and the
   * `initial_headers` and `headers` listeners' headers. v3: the open packet is a payload of
   * one, `<length>:0{…}` (spec v3, "Sample session").
   */
  open(req: IncomingMessage, res: ServerResponse, id: string, open: string, v3: boolean): void {
    const headers: EngineHeaders = { "Content-Type": PAYLOAD_TYPE };
    if (this.#options.cookieEnabled) {
      headers["Set-Cookie"] = [serializeCookie(this.#options.cookieOptions, id)];
    }
    this.#events.emit("initial_headers", headers, req);
    this.#events.emit("headers", headers, req);
    this.body(req, res, headers, v3 ? `${open.length}:${open}` : open);
  }

  /** 200 with a text payload; `bytes`: the body's UTF-8 length when known, else -1. */
  payload(req: IncomingMessage, res: ServerResponse, body: string, bytes: number): void {
    if (this.#events.listenerCount("headers") === 0) {
      this.body(req, res, this.#payloadHeaders, body, bytes);
      return;
    }
    const headers: EngineHeaders = { "Content-Type": PAYLOAD_TYPE };
    this.#events.emit("headers", headers, req);
    this.body(req, res, headers, body, bytes);
  }

  /** 200 with an Engine.IO v3 binary payload (`application/octet-stream`). */
  binaryPayload(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const headers: EngineHeaders = { "Content-Type": BINARY_PAYLOAD_TYPE };
    this.#events.emit("headers", headers, req);
    this.body(req, res, headers, body);
  }

  /** 200 "ok" for a POST. */
  ok(req: IncomingMessage, res: ServerResponse): void {
    if (this.#events.listenerCount("headers") === 0) {
      res.writeHead(200, this.#okHeaders);
      res.end("ok");
      return;
    }
    const headers: EngineHeaders = { "Content-Type": "text/html", "Content-Length": "2" };
    this.#events.emit("headers", headers, req);
    res.writeHead(200, headers);
    res.end("ok");
  }

  /**
   * A 200 answer with `headers` (already given to the listeners). `bytes`: the body's UTF-8
   * length when known (poll answers sum their messages'), else -1.
   */
  body(
    req: IncomingMessage,
    res: ServerResponse,
    headers: EngineHeaders,
    body: string | Buffer,
    bytes = -1,
  ): void {
    const threshold = this.#options.compressionThreshold;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: short bodies skip measuring and the
    // Accept-Encoding parse. The body goes to `end` as a string, which Node sends in one
    // write with the header text (a Buffer would take a writev of two chunks).
    let length = bytes;
    let encoding: "gzip" | "deflate" | undefined;
    if (threshold >= 0 && body.length * 3 >= threshold) {
      if (length === -1) length = Buffer.byteLength(body, "utf8");
      if (length >= threshold) encoding = pickEncoding(req);
    }
    if (encoding === undefined) {
      headers["Content-Length"] = String(length === -1 ? Buffer.byteLength(body, "utf8") : length);
      res.writeHead(200, headers);
      res.end(body);
      return;
    }
    // The shared headers object must not be changed after this call returns.
    if (headers === this.#payloadHeaders) headers = { "Content-Type": PAYLOAD_TYPE };
    const raw = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    compress(encoding, raw, (err, out) => {
      if (res.destroyed) return;
      if (err) {
        headers["Content-Length"] = String(raw.length);
        res.writeHead(200, headers);
        res.end(raw);
        return;
      }
      headers["Content-Encoding"] = encoding;
      headers["Content-Length"] = String(out.length);
      headers.Vary = "Accept-Encoding";
      res.writeHead(200, headers);
      res.end(out);
    });
  }

  /** Refuses a request: emits `connection_error`, answers 400/403 with JSON `{code, message}`. */
  reject(req: IncomingMessage, res: ServerResponse, error: HandshakeError): void {
    debug(
      "refused %s %s from %s: %s (%s)",
      req.method,
      req.url,
      req.socket?.remoteAddress,
      error.message,
      error.errorCode,
    );
    this.#events.emit("connection_error", error);
    if (req.complete) {
      // A draining server (503) sends the client's next attempt over a new connection, which
      // a load balancer can give to another node.
      abortRequest(res, error, error.status === 503 ? CLOSE_CONNECTION : undefined);
      return;
    }
    // A body is still on its way (a POST for a session that just closed, a second POST):
    // answer, then drop the rest instead of reading it to keep the connection alive.
    abortRequest(res, error, { Connection: "close" });
    this.#dropBody(req);
  }

  /** Refuses an upgrade: emits `connection_error`, answers on the socket, destroys it. */
  rejectUpgrade(socket: Duplex, error: HandshakeError): void {
    debug(
      "refused upgrade %s from %s: %s (%s)",
      error.req.url,
      error.req.socket?.remoteAddress,
      error.message,
      error.errorCode,
    );
    this.#events.emit("connection_error", error);
    abortUpgrade(socket, error);
  }

  /**
   * Refuses a POST body (413 too large or too many chunks, 408 too slow) with
   * `Connection: close`, then drops the rest of the body and cuts the connection.
   */
  refuseBody(req: IncomingMessage, res: ServerResponse, status: number): void {
    debug("POST body refused (%d) from %s", status, req.socket.remoteAddress);
    if (!res.headersSent) {
      res.writeHead(status, { "Content-Length": 0, Connection: "close" });
      res.end();
    }
    this.#dropBody(req);
  }

  /**
   * Drops the rest of a refused request's body without buffering it; past a bound of bytes
   * or time (the peer has had its answer), cuts the connection.
   */
  #dropBody(req: IncomingMessage): void {
    const socket = req.socket;
    let discarded = 0;
    const limit = Math.max(this.#options.maxHttpBufferSize, 1 << 20);
    req.on("data", (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > limit) socket.destroy();
    });
    req.resume();
    const timer = setTimeout(() => socket.destroy(), REFUSED_BODY_LINGER_MS);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  }
}

import { isUtf8 } from "node:buffer";
import * as crypto from "node:crypto";
import { createHash, randomFillSync } from "node:crypto";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { WebSocketLike } from "./types.js";

/**
 * The Node.js client's own WebSocket (RFC 6455 client side), straight on `net`/`tls`: the
 * HTTP/1.1 upgrade written and its 101 answer checked here, frames masked on the way out and
 * checked on the way in. It replaces `ws` on the measured hot path of many clients in one
 * process (bench/ "client load"): no `http.ClientRequest`, no `ws` receiver/sender objects,
 * one socket and one object per connection. No extension is offered (see README, "WebSocket
 * in Node.js"): per-message deflate goes through `ws`.
 *
 * What a server sends that breaks RFC 6455 closes the connection with the RFC's code, and
 * `onerror` then `onclose` run: a masked frame, RSV bits, an unknown opcode, a fragmented or
 * over-125-byte control frame, a continuation without a start or a new message inside a
 * fragmented one, a 64-bit length with its high bit set (1002); text that is not UTF-8 (1007);
 * a message over `maxPayload` (1009); a message in over {@link MAX_FRAGMENTS} frames (1008). Pings are answered while the socket's write buffer is
 * under {@link PONG_BUFFER_LIMIT} bytes, dropped beyond it.
 */

/** RFC 6455 section 1.3: appended to the key before hashing. */
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** `ws`'s default: the largest message accepted, in bytes. */
export const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;
/** The 101 response's head (status line and headers) is at most this many bytes. */
export const MAX_HANDSHAKE_HEADER_BYTES = 16 * 1024;
/** Default time for the 101 response to arrive in full, in milliseconds. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 20_000;
/** Pongs are not queued once this many bytes wait to be written (a ping flood while we cannot write). */
export const PONG_BUFFER_LIMIT = 64 * 1024;
/**
 * Frames per fragmented message (`ws` servers' default `maxFragments`); more close with
 * 1008. Without it, empty fragments would grow the list with no byte counted.
 */
export const MAX_FRAGMENTS = 16 * 1024;
/** After our close frame, the time the server has to close the TCP connection. */
const CLOSE_TIMEOUT = 5_000;

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

export interface LeanWebSocketOptions {
  /** Extra request headers (extraHeaders, cookies). */
  headers?: Record<string, string> | undefined;
  /** Largest message accepted, in bytes; a larger one closes with 1009. Default 100 MiB (`ws`'s). */
  maxPayload?: number | undefined;
  /** Time for the 101 response to arrive, in milliseconds. Default 20000. */
  handshakeTimeout?: number | undefined;
}

/** An error the client closes the connection for; `closeCode` is what it sent the server. */
export class WebSocketProtocolError extends Error {
  readonly closeCode: number;
  constructor(message: string, closeCode: number) {
    super(message);
    this.name = "WebSocketProtocolError";
    this.closeCode = closeCode;
  }
}

/** RFC 7230 token characters: the header names we accept. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Header values: no control character but tab (what Node's http module rejects). */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** Headers the handshake owns: user values for them are not sent. */
const OWN_HEADERS = new Set([
  "connection",
  "upgrade",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-extensions",
  "sec-websocket-protocol",
]);

/** RFC 6455 section 7.4: close codes a peer may send. */
function validCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}

// Masking keys and Sec-WebSocket-Key values come from one pooled random buffer: one
// randomFillSync per 8 KB (2048 frames, or 512 connections).
const randomPool = Buffer.allocUnsafe(8192);
let randomOffset = randomPool.length;
/** The offset in `randomPool` of `n` random bytes not handed out before. */
function takeRandom(n: number): number {
  if (randomOffset + n > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  randomOffset += n;
  return randomOffset - n;
}
const nextMask = (): number => randomPool.readUInt32BE(takeRandom(4));
function nextKey(): string {
  const at = takeRandom(16);
  return randomPool.toString("base64", at, at + 16);
}

/** SHA-1 in base64: crypto.hash where Node.js has it (20.12+), one call instead of a Hash object. */
const sha1Base64: (text: string) => string =
  typeof (crypto as { hash?: unknown }).hash === "function"
    ? (text) => (crypto as unknown as { hash: HashFn }).hash("sha1", text, "base64")
    : (text) => createHash("sha1").update(text).digest("base64");
type HashFn = (algorithm: string, data: string, encoding: "base64") => string;

/** XORs `buf[start, end)` with the big-endian 4-byte key `mask`, in place. */
function applyMask(buf: Buffer, start: number, end: number, mask: number): void {
  const k0 = mask >>> 24;
  const k1 = (mask >>> 16) & 0xff;
  const k2 = (mask >>> 8) & 0xff;
  const k3 = mask & 0xff;
  let i = start;
  for (const last = end - 3; i < last; i += 4) {
    buf[i] = buf[i]! ^ k0;
    buf[i + 1] = buf[i + 1]! ^ k1;
    buf[i + 2] = buf[i + 2]! ^ k2;
    buf[i + 3] = buf[i + 3]! ^ k3;
  }
  for (let j = 0; i < end; i++, j++) {
    buf[i] = buf[i]! ^ (j === 0 ? k0 : j === 1 ? k1 : k2);
  }
}

/** One masked client frame (FIN set) of `opcode` carrying `payload` (a string is UTF-8). */
export function encodeFrame(opcode: number, payload: string | Uint8Array, mask: number): Buffer {
  const length = typeof payload === "string" ? Buffer.byteLength(payload) : payload.byteLength;
  const header = length < 126 ? 6 : length < 65536 ? 8 : 14;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = 0x80 | length;
  else if (length < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.writeUInt32BE(mask, header - 4);
  if (typeof payload === "string") frame.write(payload, header, "utf8");
  else frame.set(payload, header);
  applyMask(frame, header, header + length, mask);
  return frame;
}

function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError("data must be a string, an ArrayBuffer or an ArrayBufferView");
}

const OWNER = Symbol("LeanWebSocket");
type OwnedSocket = Socket & { [OWNER]: LeanWebSocket };
function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  this[OWNER].onData(chunk);
}
function onSocketError(this: OwnedSocket, err: Error): void {
  this[OWNER].fail(err);
}
function onSocketClose(this: OwnedSocket): void {
  this[OWNER].onSocketClose();
}

/**
 * A WebSocket client with the part of the DOM API the client's transport uses
 * ({@link WebSocketLike}); messages arrive as strings (text) and Buffers (binary).
 */
export class LeanWebSocket implements WebSocketLike {
  binaryType = "nodebuffer";
  readyState = CONNECTING;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;

  readonly #socket: Socket;
  readonly #maxPayload: number;
  /** The expected Sec-WebSocket-Accept while connecting; undefined once open. */
  #accept: string | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Received bytes not yet parsed (response head or frames), and their total length. */
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** A fragmented message in progress: its opcode (0 when none), fragments and size. */
  #fragOpcode = 0;
  #fragments: Buffer[] | undefined;
  #fragBytes = 0;
  #closeSent = false;
  #closeCode = 1006;
  #closeReason = "";
  #errored = false;

  constructor(url: string, options: LeanWebSocketOptions = {}) {
    const target = new URL(url);
    const secure = target.protocol === "wss:";
    if (!secure && target.protocol !== "ws:") {
      throw new SyntaxError(`The URL's protocol must be "ws:" or "wss:": ${url}`);
    }
    this.#maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    const key = nextKey();
    this.#accept = sha1Base64(key + GUID);
    const request = this.#request(target, key, options.headers ?? {});
    const host = target.hostname.startsWith("[") ? target.hostname.slice(1, -1) : target.hostname;
    const port = Number(target.port) || (secure ? 443 : 80);
    const socket = secure
      ? tlsConnect({
          host,
          port,
          servername: TOKEN.test(host) && !/^[\d.]+$/.test(host) ? host : "",
        })
      : netConnect({ host, port });
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.write(request);
    // Shared listeners reaching the WebSocket through the socket: no closures per connection.
    (socket as OwnedSocket)[OWNER] = this;
    socket.on("data", onSocketData);
    socket.on("error", onSocketError);
    socket.on("close", onSocketClose);
    this.#timer = setTimeout(
      () => this.fail(new Error("Opening handshake has timed out")),
      options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
    );
    this.#timer.unref?.();
  }

  /** Bytes written but not yet sent by the socket. */
  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  send(data: string | ArrayBuffer | ArrayBufferView | Blob): void {
    if (this.readyState === CONNECTING)
      throw new Error("WebSocket is not open: readyState 0 (CONNECTING)");
    if (this.readyState !== OPEN) return;
    const frame =
      typeof data === "string"
        ? encodeFrame(1, data, nextMask())
        : encodeFrame(2, toBytes(data), nextMask());
    this.#socket.write(frame);
  }

  close(code?: number, reason?: string): void {
    if (this.readyState === CLOSED) return;
    if (this.readyState === CONNECTING) {
      this.fail(new Error("WebSocket was closed before the connection was established"));
      return;
    }
    if (this.readyState === OPEN) this.readyState = CLOSING;
    this.#sendClose(code, reason);
  }

  /** The upgrade request, with the user's headers (checked: no header injection). */
  #request(target: URL, key: string, headers: Record<string, string>): string {
    let hostHeader = target.host;
    let extra = "";
    for (const name of Object.keys(headers)) {
      const value = String(headers[name]);
      if (!TOKEN.test(name)) throw new TypeError(`Invalid header name: ${JSON.stringify(name)}`);
      if (BAD_VALUE.test(value)) throw new TypeError(`Invalid value of header ${name}`);
      const lower = name.toLowerCase();
      if (lower === "host") hostHeader = value;
      else if (!OWN_HEADERS.has(lower)) extra += `${name}: ${value}\r\n`;
    }
    return (
      `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${hostHeader}\r\n` +
      `Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n` +
      `Sec-WebSocket-Key: ${key}\r\n${extra}\r\n`
    );
  }

  /** @internal The socket's "data" listener. */
  onData(chunk: Buffer): void {
    if (this.readyState === CLOSED) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    try {
      if (this.#accept !== undefined && !this.#handshake()) return;
      this.#parseFrames();
    } catch (err) {
      this.fail(err as Error);
    }
  }

  /** Reads the 101 response; false while its head is incomplete. */
  #handshake(): boolean {
    const data = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    const end = data.indexOf("\r\n\r\n");
    if (end < 0 || end + 4 > MAX_HANDSHAKE_HEADER_BYTES) {
      if (end >= 0 || data.length > MAX_HANDSHAKE_HEADER_BYTES) {
        throw new Error(`The handshake response head is over ${MAX_HANDSHAKE_HEADER_BYTES} bytes`);
      }
      this.#chunks = [data];
      return false;
    }
    const lines = data.toString("latin1", 0, end).split("\r\n");
    const status = /^HTTP\/1\.1 (\d{3})(?: .*)?$/.exec(lines[0]!);
    if (status === null) throw new Error("Invalid HTTP status line in the handshake response");
    if (status[1] !== "101") throw new Error(`Unexpected server response: ${status[1]}`);
    const seen = new Map<string, string>();
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) {
        throw new Error("Invalid header line in the handshake response");
      }
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name.startsWith("sec-websocket-") || name === "upgrade") {
        if (seen.has(name)) throw new Error(`Duplicate ${name} header in the handshake response`);
      }
      seen.set(name, seen.has(name) ? `${seen.get(name)}, ${value}` : value);
    }
    if (seen.get("upgrade")?.toLowerCase() !== "websocket") {
      throw new Error("Invalid Upgrade header in the handshake response");
    }
    const connection = seen.get("connection") ?? "";
    if (!connection.split(",").some((token) => token.trim().toLowerCase() === "upgrade")) {
      throw new Error("Invalid Connection header in the handshake response");
    }
    if (seen.get("sec-websocket-accept") !== this.#accept) {
      throw new Error("Invalid Sec-WebSocket-Accept header");
    }
    if (seen.has("sec-websocket-extensions")) {
      throw new Error(
        "Server sent a Sec-WebSocket-Extensions header but no extension was requested",
      );
    }
    if (seen.has("sec-websocket-protocol")) {
      throw new Error("Server sent a subprotocol but none was requested");
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#accept = undefined;
    const rest = data.subarray(end + 4);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    this.readyState = OPEN;
    this.onopen?.({ type: "open" });
    return this.readyState === OPEN;
  }

  /** Parses every complete frame buffered; stops at a partial one. */
  #parseFrames(): void {
    while (this.#buffered >= 2 && this.readyState !== CLOSED) {
      let head = this.#chunks[0]!;
      if (head.length < 14 && this.#chunks.length > 1) {
        head = Buffer.concat(this.#chunks);
        this.#chunks = [head];
      }
      const b0 = head[0]!;
      const b1 = head[1]!;
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      if ((b0 & 0x70) !== 0)
        throw new WebSocketProtocolError("RSV bits set without an extension", 1002);
      if ((b1 & 0x80) !== 0)
        throw new WebSocketProtocolError("The server sent a masked frame", 1002);
      const control = opcode >= 8;
      if (control) {
        if (opcode > 10) throw new WebSocketProtocolError(`Invalid opcode ${opcode}`, 1002);
        if (!fin) throw new WebSocketProtocolError("Fragmented control frame", 1002);
      } else if (opcode === 0) {
        if (this.#fragOpcode === 0)
          throw new WebSocketProtocolError("Continuation frame without a start", 1002);
      } else if (opcode <= 2) {
        if (this.#fragOpcode !== 0) {
          throw new WebSocketProtocolError("New data frame inside a fragmented message", 1002);
        }
      } else throw new WebSocketProtocolError(`Invalid opcode ${opcode}`, 1002);
      let length = b1 & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.#buffered < 4) return;
        length = head.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.#buffered < 10) return;
        const high = head.readUInt32BE(2);
        if (high >= 0x80000000)
          throw new WebSocketProtocolError("64-bit length with the high bit set", 1002);
        length = high * 2 ** 32 + head.readUInt32BE(6);
        offset = 10;
      }
      if (control && length > 125)
        throw new WebSocketProtocolError("Control frame over 125 bytes", 1002);
      if (!control && this.#fragBytes + length > this.#maxPayload) {
        throw new WebSocketProtocolError("Message over maxPayload", 1009);
      }
      if (this.#buffered < offset + length) return;
      const payload = this.#take(offset, length);
      if (control) this.#onControl(opcode, payload);
      else this.#onDataFrame(opcode, fin, payload);
    }
  }

  /** Consumes a frame of `offset` header bytes and `length` payload bytes; returns the payload. */
  #take(offset: number, length: number): Buffer {
    let first = this.#chunks[0]!;
    if (first.length < offset + length) {
      first = Buffer.concat(this.#chunks, this.#buffered);
      this.#chunks = [first];
    }
    const payload = first.subarray(offset, offset + length);
    const used = offset + length;
    if (used === first.length) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(used);
    this.#buffered -= used;
    return payload;
  }

  #onDataFrame(opcode: number, fin: boolean, payload: Buffer): void {
    if (opcode !== 0 && fin) {
      this.#deliver(opcode, payload);
      return;
    }
    if (opcode !== 0) {
      this.#fragOpcode = opcode;
      this.#fragments = [];
    }
    if (this.#fragments!.length === MAX_FRAGMENTS) {
      throw new WebSocketProtocolError("Too many message fragments", 1008);
    }
    this.#fragments!.push(payload);
    this.#fragBytes += payload.length;
    if (!fin) return;
    const message = Buffer.concat(this.#fragments!, this.#fragBytes);
    const messageOpcode = this.#fragOpcode;
    this.#fragOpcode = 0;
    this.#fragments = undefined;
    this.#fragBytes = 0;
    this.#deliver(messageOpcode, message);
  }

  #deliver(opcode: number, payload: Buffer): void {
    if (this.readyState !== OPEN) return;
    if (opcode === 1) {
      if (!isUtf8(payload))
        throw new WebSocketProtocolError("Invalid UTF-8 in a text message", 1007);
      this.onmessage?.({ data: payload.toString("utf8") });
    } else {
      // A copy when the payload shares a larger chunk: a kept message must not pin the chunk.
      const data =
        payload.length < payload.buffer.byteLength >>> 1 ? Buffer.from(payload) : payload;
      this.onmessage?.({ data });
    }
  }

  #onControl(opcode: number, payload: Buffer): void {
    if (opcode === 9) {
      if (this.readyState === OPEN && this.#socket.writableLength < PONG_BUFFER_LIMIT) {
        this.#socket.write(encodeFrame(10, payload, nextMask()));
      }
      return;
    }
    if (opcode !== 8) return; // pong
    let code = 1005;
    let reason = "";
    if (payload.length === 1)
      throw new WebSocketProtocolError("Close frame with a 1-byte body", 1002);
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      if (!validCloseCode(code))
        throw new WebSocketProtocolError(`Invalid close code ${code}`, 1002);
      const text = payload.subarray(2);
      if (!isUtf8(text))
        throw new WebSocketProtocolError("Invalid UTF-8 in the close reason", 1007);
      reason = text.toString("utf8");
    }
    this.#closeCode = code;
    this.#closeReason = reason;
    if (this.readyState === OPEN) this.readyState = CLOSING;
    // Echo the code (none when the server sent none), then let the server close TCP.
    this.#sendClose(code === 1005 ? undefined : code, undefined);
    this.#socket.end();
    this.#chunks = [];
    this.#buffered = 0;
  }

  /** Writes our close frame once and arms the timer that destroys the socket. */
  #sendClose(code: number | undefined, reason: string | undefined): void {
    if (this.#closeSent) return;
    this.#closeSent = true;
    let body: Buffer = Buffer.alloc(0);
    if (code !== undefined) {
      const text = reason === undefined ? Buffer.alloc(0) : Buffer.from(reason);
      body = Buffer.allocUnsafe(2 + Math.min(text.length, 123));
      body.writeUInt16BE(code, 0);
      text.copy(body, 2, 0, 123);
    }
    if (!this.#socket.destroyed) this.#socket.write(encodeFrame(8, body, nextMask()));
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#socket.destroy(), CLOSE_TIMEOUT);
    this.#timer.unref?.();
  }

  /** @internal A protocol, handshake or socket error: close frame when open, `onerror`, then close. */
  fail(err: Error): void {
    if (this.readyState === CLOSED) return;
    const opened = this.#accept === undefined;
    if (err instanceof WebSocketProtocolError) {
      this.#closeCode = err.closeCode;
      if (opened && this.readyState === OPEN) {
        this.readyState = CLOSING;
        this.#sendClose(err.closeCode, undefined);
      }
      this.#socket.end();
      this.#chunks = [];
      this.#buffered = 0;
    } else {
      this.#socket.destroy();
    }
    if (!this.#errored) {
      this.#errored = true;
      this.onerror?.({ type: "error", error: err, message: err.message });
    }
  }

  /** @internal The socket's "close" listener. */
  onSocketClose(): void {
    if (this.readyState === CLOSED) return;
    // Closed by the peer before its 101 (a balancer with no backend, a server that drops
    // the connection): an error first, as a browser's WebSocket and `ws` report it — the
    // transport waits for an error or an open while connecting, not for a close.
    if (this.#accept !== undefined && !this.#errored) {
      this.#errored = true;
      const err = new Error("Connection closed before the opening handshake completed");
      this.onerror?.({ type: "error", error: err, message: err.message });
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.readyState = CLOSED;
    this.#chunks = [];
    this.#buffered = 0;
    this.#fragments = undefined;
    this.onclose?.({ code: this.#closeCode, reason: this.#closeReason });
  }
}

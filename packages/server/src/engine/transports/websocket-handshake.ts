import * as crypto from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { joinedHeader as joined } from "../http.js";

/**
 * The server side of the WebSocket opening handshake (RFC 6455 section 4.2), for the direct
 * WebSocket transport: the checks, the 101 answer and the refusal `ws` would write.
 */

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const KEY = /^[+/0-9A-Za-z]{22}==$/;

/** The request headers a WebSocket handshake reads (RFC 6455 section 4.2.1). */
interface UpgradeHeaders {
  upgrade: string | undefined;
  key: string | undefined;
  version: string | undefined;
  protocol: string | undefined;
}

/**
 * The handshake's headers straight from `rawHeaders`, repeated ones joined with ", " as
 * Node's `req.headers` joins them. `req.headers` is built lazily, on first read, into an
 * object of every header: reading the four needed here from the raw list leaves that to
 * whoever asks for it (most apps never do over WebSocket). Measured on the connect path.
 */
function upgradeHeaders(req: IncomingMessage): UpgradeHeaders {
  const out: UpgradeHeaders = {
    upgrade: undefined,
    key: undefined,
    version: undefined,
    protocol: undefined,
  };
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    // Only names of the four lengths are lowercased and compared.
    switch (name.length) {
      case 7:
        if (name.toLowerCase() === "upgrade") out.upgrade = joined(out.upgrade, raw[i + 1]!);
        break;
      case 17:
        if (name.toLowerCase() === "sec-websocket-key") out.key = joined(out.key, raw[i + 1]!);
        break;
      case 21:
        if (name.toLowerCase() === "sec-websocket-version") {
          out.version = joined(out.version, raw[i + 1]!);
        }
        break;
      case 22:
        if (name.toLowerCase() === "sec-websocket-protocol") {
          out.protocol = joined(out.protocol, raw[i + 1]!);
        }
        break;
    }
  }
  return out;
}

/** A handshake that passed: the accept key and the first offered subprotocol. */
export interface AcceptedHandshake {
  accept: string;
  protocol: string | undefined;
}

/** A handshake that failed the RFC checks: what `ws` would answer. */
export interface RefusedHandshake {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

/**
 * RFC 6455 section 4.2.1 checks; returns the accept key and the first offered subprotocol,
 * or an error status and message.
 */
export function checkWebSocketHandshake(
  req: IncomingMessage,
): AcceptedHandshake | RefusedHandshake {
  if (req.method !== "GET") return { status: 405, message: "Invalid HTTP method" };
  const h = upgradeHeaders(req);
  const upgrade = h.upgrade;
  if (upgrade === undefined || upgrade.toLowerCase() !== "websocket") {
    return { status: 400, message: "Invalid Upgrade header" };
  }
  const key = h.key;
  if (key === undefined || !KEY.test(key)) {
    return { status: 400, message: "Missing or invalid Sec-WebSocket-Key header" };
  }
  const version = Number(h.version);
  if (version !== 13 && version !== 8) {
    return {
      status: 400,
      message: "Missing or invalid Sec-WebSocket-Version header",
      headers: { "Sec-WebSocket-Version": "13, 8" },
    };
  }
  // Like `ws` without handleProtocols: the first offered subprotocol.
  const protocol = h.protocol === undefined ? undefined : h.protocol.split(",")[0]?.trim();
  return { accept: sha1Base64(key + GUID), protocol: protocol || undefined };
}

// One-shot `crypto.hash` (Node >= 20.12 / 21.7) skips the Hash object of `createHash`.
const oneShotHash = (crypto as { hash?: (alg: string, data: string, enc: "base64") => string })
  .hash;
function sha1Base64(data: string): string {
  if (oneShotHash !== undefined) return oneShotHash("sha1", data, "base64");
  return crypto.createHash("sha1").update(data).digest("base64");
}

/** Answers a WebSocket handshake that failed the RFC checks (as `ws` does) and drops the socket. */
export function abortWebSocketHandshake(
  socket: Duplex,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (socket.writable) {
    const reason = status === 405 ? "Method Not Allowed" : "Bad Request";
    let head = `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(message)}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    socket.write(`${head}\r\n${message}`);
  }
  socket.destroy();
}

/** The 101 answer; `extra` holds `Name: value` lines (cookie, `headers` listeners). */
export function switchingProtocols(
  accept: string,
  protocol: string | undefined,
  extra: string[],
): string {
  let head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n`;
  if (protocol !== undefined) head += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  for (let i = 0; i < extra.length; i++) head += `${extra[i]}\r\n`;
  return `${head}\r\n`;
}

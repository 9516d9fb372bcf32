import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { deflate, gzip } from "node:zlib";
import type { CookieOptions } from "./options.js";

/** Serialises the session cookie (RFC 6265 `Set-Cookie`). */
export function serializeCookie(options: CookieOptions & { name: string }, value: string): string {
  let out = `${options.name}=${encodeURIComponent(value)}`;
  if (options.maxAge !== undefined) out += `; Max-Age=${Math.floor(options.maxAge)}`;
  if (options.domain) out += `; Domain=${options.domain}`;
  if (options.path) out += `; Path=${options.path}`;
  if (options.httpOnly) out += "; HttpOnly";
  if (options.secure) out += "; Secure";
  const sameSite = options.sameSite;
  if (sameSite === true || sameSite === "strict") out += "; SameSite=Strict";
  else if (sameSite === "lax") out += "; SameSite=Lax";
  else if (sameSite === "none") out += "; SameSite=None";
  return out;
}

/** A header field's value with a repeated field's `value` appended, as Node joins them (", "). */
export function joinedHeader(prev: string | undefined, value: string): string {
  return prev === undefined ? value : `${prev}, ${value}`;
}

/**
 * `Accept-Encoding` read from `rawHeaders` (repeated fields joined with ", ", as Node's
 * `req.headers` joins them): `req.headers` is an object of every header, built on first
 * read, and a poll answer large enough to compress would otherwise build it per GET.
 */
function acceptEncoding(req: IncomingMessage): string | undefined {
  const raw = req.rawHeaders;
  if (!Array.isArray(raw)) {
    const value = req.headers["accept-encoding"];
    return typeof value === "string" ? value : undefined;
  }
  let out: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 15 && name.toLowerCase() === "accept-encoding") {
      out = joinedHeader(out, raw[i + 1]!);
    }
  }
  return out;
}

/** The content coding to use for a response, from `Accept-Encoding` (gzip preferred). */
export function pickEncoding(req: IncomingMessage): "gzip" | "deflate" | undefined {
  const accept = acceptEncoding(req);
  if (accept === undefined) return undefined;
  let deflateOk = false;
  for (const part of accept.split(",")) {
    const [name = "", ...params] = part.trim().toLowerCase().split(";");
    const q = params.find((p) => p.trim().startsWith("q="));
    if (q !== undefined && Number(q.trim().slice(2)) === 0) continue;
    if (name === "gzip" || name === "*") return "gzip";
    if (name === "deflate") deflateOk = true;
  }
  return deflateOk ? "deflate" : undefined;
}

/** Compresses a body; "deflate" is the zlib format, as RFC 9110 section 8.4.1.2 names it. */
export function compress(
  encoding: "gzip" | "deflate",
  body: Buffer,
  callback: (err: Error | null, out: Buffer) => void,
): void {
  if (encoding === "gzip") gzip(body, callback);
  else deflate(body, callback);
}

/**
 * Slow-loris bounds of the HTTP servers the library creates itself (`new Server(port)`,
 * `engine.listen`): a request's headers must arrive within 10 s (Node's default is 60 s)
 * and a whole request within 60 s (Node's: 300 s), checked every 2 s (Node's: 30 s); the
 * POST body has its own `bodyTimeout`.
 * Header size (16 KiB, 431) and count (2000) stay Node's. A server the user passes in keeps
 * the user's settings (docs/engine.md, "Limits").
 */
export const OWN_SERVER_TIMEOUTS = Object.freeze({
  headersTimeout: 10_000,
  requestTimeout: 60_000,
});

/** An HTTP server answering 404 to whatever is not attached to it, with {@link OWN_SERVER_TIMEOUTS}. */
export function createOwnServer(): Server {
  return createServer({ ...OWN_SERVER_TIMEOUTS }, (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(404).end();
  });
}

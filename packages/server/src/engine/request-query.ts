import type { IncomingMessage } from "node:http";
import { type Eio3State, queryParam } from "./eio3.js";
import { HandshakeError, HandshakeRefusal, type HandshakeRefusalValue } from "./errors.js";
import type { ResolvedEngineOptions } from "./options.js";
import type { Session } from "./session.js";
import type { EngineSessionId } from "./types.js";

/** What an engine request names in its query string (spec "Handshake"). */
export interface Query {
  transport: string | null;
  eio: string | null;
  sid: string | null;
  /** The session named by `sid`, set by {@link verifyRequest} (one map lookup per request). */
  session: Session | undefined;
}

/**
 * `transport`, `EIO` and `sid` from the request URL, as `URLSearchParams#get` reads them
 * (first occurrence wins). A query with no `%` and no `+` needs no decoding, so it is split
 * by hand (every poll comes through here); anything else goes to `URLSearchParams`.
 */
export function parseQuery(url: string | undefined): Query {
  const q = url === undefined ? -1 : url.indexOf("?");
  if (q === -1 || url === undefined)
    return { transport: null, eio: null, sid: null, session: undefined };
  const end = url.length;
  if (url.indexOf("%", q) !== -1 || url.indexOf("+", q) !== -1) {
    const params = new URLSearchParams(url.slice(q + 1));
    return {
      transport: params.get("transport"),
      eio: params.get("EIO"),
      sid: params.get("sid"),
      session: undefined,
    };
  }
  let transport: string | null = null;
  let eio: string | null = null;
  let sid: string | null = null;
  let start = q + 1;
  if (url.charCodeAt(start) === 0x3f) start++; // URLSearchParams drops one leading "?"
  while (start <= end) {
    let amp = url.indexOf("&", start);
    if (amp === -1 || amp > end) amp = end;
    const eq = url.indexOf("=", start);
    const keyEnd = eq === -1 || eq > amp ? amp : eq;
    const valueStart = keyEnd === amp ? amp : keyEnd + 1;
    switch (keyEnd - start) {
      case 3:
        if (eio === null && url.startsWith("EIO", start)) eio = url.slice(valueStart, amp);
        else if (sid === null && url.startsWith("sid", start)) sid = url.slice(valueStart, amp);
        break;
      case 9:
        if (transport === null && url.startsWith("transport", start)) {
          transport = url.slice(valueStart, amp);
        }
        break;
    }
    start = amp + 1;
  }
  return { transport, eio, sid, session: undefined };
}

/** A v3 handshake's state (`b64=1`: binary as base64 in text payloads), null for v4. */
export function eio3State(req: IncomingMessage, q: Query): Eio3State | null {
  if (q.eio !== "3") return null;
  const b64 = queryParam(req.url, "b64");
  return { base64: b64 !== null && b64 !== "" && b64 !== "0" };
}

/** What {@link verifyRequest} reads of the server. */
export interface VerifyContext {
  readonly options: ResolvedEngineOptions;
  readonly pollingOn: boolean;
  readonly websocketOn: boolean;
  readonly clients: ReadonlyMap<EngineSessionId, Session>;
}

/**
 * Checks transport, protocol version, sid and method (spec "Handshake"); sets
 * `q.session`. Returns the refusal, or null. Over polling the session's transport is
 * checked by the route (it must be the polling transport that answers the request).
 */
export function verifyRequest(
  ctx: VerifyContext,
  req: IncomingMessage,
  q: Query,
  upgrade: boolean,
): HandshakeRefusalValue | null {
  const transport = q.transport;
  if (transport === "polling") {
    if (!ctx.pollingOn) return HandshakeRefusal.UNKNOWN_TRANSPORT;
  } else if (transport !== "websocket" || !ctx.websocketOn) {
    return HandshakeRefusal.UNKNOWN_TRANSPORT;
  }
  if (q.eio !== "4") {
    if (q.eio !== "3" || !ctx.options.allowEIO3) {
      return HandshakeRefusal.UNSUPPORTED_PROTOCOL_VERSION;
    }
    // JSONP polling (v3 spec, "JSONP"; the `j` index): not served, a client that can
    // do nothing else is refused at once rather than answered in a form it cannot read.
    if (!upgrade && queryParam(req.url, "j") !== null) return HandshakeRefusal.JSONP_UNSUPPORTED;
  }
  if (upgrade !== (transport === "websocket")) return HandshakeRefusal.BAD_REQUEST;
  if (q.sid !== null) {
    const session = ctx.clients.get(q.sid);
    if (session === undefined) return HandshakeRefusal.UNKNOWN_SID;
    // A session is spoken to in the protocol version it was opened with.
    if ((session.protocol === 3) !== (q.eio === "3")) return HandshakeRefusal.PROTOCOL_MISMATCH;
    q.session = session;
    if (!upgrade) return null;
    // A session that cannot take a probe (already on WebSocket, probing, closing) still
    // gets its 101: the spec says a second WebSocket of a session is closed, not refused
    // ("WebSocket"), and the session's attachProbe closes it (1008).
    return ctx.options.allowUpgrades ? null : HandshakeRefusal.UPGRADES_DISABLED;
  }
  if (req.method !== "GET") return HandshakeRefusal.BAD_HANDSHAKE_METHOD;
  return null;
}

/** The refusal as an error, with the context engine.io gives it. */
export function refusalError(
  refusal: HandshakeRefusalValue,
  req: IncomingMessage,
  q: Query,
): HandshakeError {
  let context: Record<string, unknown> = {};
  if (refusal === HandshakeRefusal.UNKNOWN_TRANSPORT) context = { transport: q.transport };
  else if (refusal === HandshakeRefusal.UNSUPPORTED_PROTOCOL_VERSION) context = { protocol: q.eio };
  else if (refusal === HandshakeRefusal.UNKNOWN_SID) context = { sid: q.sid };
  return new HandshakeError(refusal, req, context);
}

/** An `Origin` outside `allowedOrigins` (set); a request without `Origin` is not a browser's and passes. */
export function originRefused(options: ResolvedEngineOptions, req: IncomingMessage): boolean {
  const allowed = options.originAllowed;
  if (allowed === null) return false;
  const origin = req.headers.origin;
  return origin !== undefined && !allowed(origin, req);
}

/** The refusal of a request from an origin outside `allowedOrigins`. */
export function originError(req: IncomingMessage): HandshakeError {
  return new HandshakeError(
    HandshakeRefusal.ORIGIN_NOT_ALLOWED,
    req,
    { name: "ORIGIN_NOT_ALLOWED", origin: req.headers.origin },
    "Origin not allowed",
  );
}

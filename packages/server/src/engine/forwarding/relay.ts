import type {
  Agent,
  ClientRequest,
  IncomingHttpHeaders,
  IncomingMessage,
  ServerResponse,
} from "node:http";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import createDebug from "debug";
import type { NodeAddress } from "./node-tag.js";

const debug = createDebug("switchboard:engine:forwarding");

/**
 * Marks a forwarded request: the node that receives it answers it itself (400 for a session
 * it does not have), so a request is forwarded at most once whatever the directory says.
 */
export const FORWARDED_HEADER = "x-switchboard-forwarded";

/** Hop-by-hop header fields (RFC 9110 section 7.6.1): never passed on by a proxy. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** What a relay reads of and reports to its forwarder. */
export interface RelayContext {
  /** Kept-alive connections to the other nodes. */
  readonly agent: Agent;
  /** Time to connect and get the answer head, ms (`forwarding.timeout`). */
  readonly timeout: number;
  /** The longest a poll GET is held by its owner, ms. */
  readonly pingInterval: number;
  /** Forwarded HTTP requests in flight: a relay adds its own and removes it on close. */
  readonly requests: Set<ClientRequest>;
  /** Open upgrade tunnels: a relay adds its own and removes it on close. */
  readonly tunnels: Set<Socket>;
  /** Whether the forwarder still runs (no retry after close). */
  running(): boolean;
  /** The owner of `tag` could not be reached: forget its cached address. */
  unreachable(tag: string): void;
}

/**
 * An HTTP request streamed to the owner, its answer streamed back. A GET that fails on a
 * kept-alive connection the owner had just closed (reset before any answer) is sent once
 * more on a fresh one: it has no body, so nothing was consumed.
 */
export function relayRequest(
  ctx: RelayContext,
  req: IncomingMessage,
  res: ServerResponse,
  tag: string,
  owner: NodeAddress,
  fail: () => void,
  retried = false,
): void {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (!HOP_BY_HOP.has(name)) headers[name] = value;
  }
  headers["x-forwarded-for"] = forwardedFor(req);
  headers[FORWARDED_HEADER] = "1";
  const out = request({
    host: owner.host,
    port: owner.port,
    method: req.method,
    path: req.url,
    headers,
    agent: ctx.agent,
  });
  ctx.requests.add(out);
  const bodiless = req.method === "GET";
  // A poll GET is held by its owner until it has something to send: at most pingInterval.
  const limit = ctx.timeout + (req.method === "GET" ? ctx.pingInterval : 0);
  const timer = setTimeout(() => out.destroy(new Error("forwarded request timed out")), limit);
  let answered = false;
  out.on("response", (answer: IncomingMessage) => {
    clearTimeout(timer);
    answered = true;
    if (res.destroyed) {
      answer.destroy();
      return;
    }
    const back: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) back[name] = value;
    }
    res.writeHead(answer.statusCode ?? 502, back);
    answer.pipe(res);
    answer.on("error", () => res.destroy());
  });
  out.on("error", (error: Error & { code?: string }) => {
    clearTimeout(timer);
    debug("forwarding %s %s to %s failed: %s", req.method, req.url, tag, error.message);
    if (res.destroyed) return;
    if (
      !answered &&
      !retried &&
      bodiless &&
      out.reusedSocket &&
      error.code === "ECONNRESET" &&
      ctx.running()
    ) {
      relayRequest(ctx, req, res, tag, owner, fail, true);
      return;
    }
    ctx.unreachable(tag);
    if (!answered && !res.headersSent) fail();
    else res.destroy();
  });
  out.on("close", () => {
    clearTimeout(timer);
    ctx.requests.delete(out);
  });
  // The client went away before the owner answered: the owner's request goes too.
  res.on("close", () => {
    if (!res.writableFinished) out.destroy();
  });
  if (bodiless) {
    // The engine reads no body of a GET: drop any, end the forwarded request at once.
    req.resume();
    out.end();
  } else req.pipe(out);
}

/**
 * An upgrade request written to the owner over TCP, then both ways piped (`pipe` keeps
 * each direction's buffering bounded by the other side's backpressure). Until the owner's
 * first byte the client has been sent nothing, so a failure is still answered as for an
 * unknown session.
 */
export function relayUpgrade(
  ctx: RelayContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  tag: string,
  owner: NodeAddress,
  fail: () => void,
): void {
  const upstream = connect({ host: owner.host, port: owner.port });
  ctx.tunnels.add(upstream);
  let state: "waiting" | "piped" | "failed" = "waiting";
  const giveUp = (why: string) => {
    if (state !== "waiting") return;
    state = "failed";
    debug("tunnel to %s failed: %s", tag, why);
    ctx.unreachable(tag);
    socket.unpipe(upstream);
    upstream.destroy();
    if (!socket.destroyed) fail();
  };
  const timer = setTimeout(() => giveUp("timed out"), ctx.timeout);
  upstream.on("connect", () => {
    upstream.write(upgradeHead(req));
    if (head.length > 0) upstream.write(head);
    socket.pipe(upstream);
  });
  upstream.once("data", (first: Buffer) => {
    if (state !== "waiting") return;
    state = "piped";
    clearTimeout(timer);
    socket.write(first);
    upstream.pipe(socket);
  });
  upstream.on("error", (error: Error) => {
    if (state === "waiting") giveUp(error.message);
    else socket.destroy();
  });
  upstream.on("close", () => {
    clearTimeout(timer);
    ctx.tunnels.delete(upstream);
    if (state === "waiting") giveUp("closed before answering");
    else if (state === "piped") socket.destroy();
  });
  socket.on("close", () => upstream.destroy());
}

/** `X-Forwarded-For` with the client's address appended. */
function forwardedFor(req: IncomingMessage): string {
  const prev = req.headers["x-forwarded-for"];
  const addr = req.socket.remoteAddress ?? "unknown";
  return typeof prev === "string" && prev !== "" ? `${prev}, ${addr}` : addr;
}

/**
 * The upgrade request's head as the owner must read it: the request line and the received
 * header fields unchanged (Node's parser has checked them), with `X-Forwarded-For` appended
 * to and the forwarded mark set.
 */
function upgradeHead(req: IncomingMessage): string {
  let head = `${req.method ?? "GET"} ${req.url ?? "/"} HTTP/1.1\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === "x-forwarded-for" || name === FORWARDED_HEADER) continue;
    head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  return `${head}X-Forwarded-For: ${forwardedFor(req)}\r\n${FORWARDED_HEADER}: 1\r\n\r\n`;
}

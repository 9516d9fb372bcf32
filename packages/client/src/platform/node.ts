import { WebSocket } from "ws";
import { pollingRequest } from "./http-request.js";
import { LeanWebSocket } from "./lean-websocket.js";
import type { CookieJar, NodeWebSocketOptions, Platform, WebSocketLike } from "./types.js";

/** A jar keyed by cookie name; honours `Max-Age`/`Expires` for removal, ignores domain and path (one origin per jar). */
function createCookieJar(): CookieJar {
  const cookies = new Map<string, { value: string; expires: number }>();
  return {
    store(headers) {
      for (const header of headers) {
        const [pair = "", ...attributes] = header.split(";");
        const eq = pair.indexOf("=");
        if (eq <= 0) continue;
        const name = pair.slice(0, eq).trim();
        let expires = Number.POSITIVE_INFINITY;
        for (const attribute of attributes) {
          const [key = "", value = ""] = attribute.split("=");
          const k = key.trim().toLowerCase();
          if (k === "max-age") expires = Date.now() + Number(value) * 1000;
          else if (k === "expires") expires = Date.parse(value);
        }
        if (expires <= Date.now()) cookies.delete(name);
        else cookies.set(name, { value: pair.slice(eq + 1).trim(), expires });
      }
    },
    header() {
      const now = Date.now();
      const parts: string[] = [];
      for (const [name, cookie] of cookies) {
        if (cookie.expires > now) parts.push(`${name}=${cookie.value}`);
      }
      return parts.length > 0 ? parts.join("; ") : undefined;
    },
  };
}

/**
 * The WebSocket of `options`: the lean one (lean-websocket.ts) unless `ws` is asked for
 * (`webSocketImpl: "ws"`) or needed (`perMessageDeflate`, with `webSocketImpl: "auto"`).
 */
function createWebSocket(
  url: string,
  headers: Record<string, string>,
  options?: NodeWebSocketOptions,
): WebSocketLike {
  if (options === undefined) return new LeanWebSocket(url, { headers });
  const deflate = options.perMessageDeflate;
  if (
    options.impl === "lean" ||
    (options.impl === "auto" && (deflate === undefined || deflate === false))
  ) {
    if (deflate !== undefined && deflate !== false) {
      throw new TypeError(
        'perMessageDeflate needs the ws WebSocket (webSocketImpl "ws" or "auto")',
      );
    }
    return new LeanWebSocket(url, { headers });
  }
  if (options.impl !== "ws" && options.impl !== "auto") {
    throw new TypeError(
      `webSocketImpl must be "auto", "lean" or "ws", not ${String(options.impl)}`,
    );
  }
  return new WebSocket(url, {
    headers,
    ...(deflate !== undefined && { perMessageDeflate: deflate }),
  }) as unknown as WebSocketLike;
}

/**
 * The Node.js platform: the lean WebSocket or `ws` (with custom headers), Buffers, a cookie
 * jar, polling over `node:http`.
 */
export const platform: Platform = {
  createWebSocket,
  binaryType: "nodebuffer",
  toBinary: (bytes) =>
    Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  defaultUri: () => "http://localhost",
  createCookieJar,
  pollingRequest,
};

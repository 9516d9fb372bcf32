import { WebSocket } from "ws";
import type { CookieJar, Platform, WebSocketLike } from "./types.js";

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

/** The Node.js platform: `ws` for WebSockets (with custom headers), Buffers, a cookie jar. */
export const platform: Platform = {
  createWebSocket: (url, headers) => new WebSocket(url, { headers }) as unknown as WebSocketLike,
  binaryType: "nodebuffer",
  toBinary: (bytes) =>
    Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  defaultUri: () => "http://localhost",
  createCookieJar,
};

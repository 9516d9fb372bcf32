import type { Platform, WebSocketLike } from "./types.js";

/** The browser platform: the DOM `WebSocket`, ArrayBuffers, cookies handled by the browser. */
export const platform: Platform = {
  createWebSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
  binaryType: "arraybuffer",
  toBinary: (bytes) =>
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? (bytes.buffer as ArrayBuffer)
      : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer),
  // The origin, not location.href: the page's path would become the namespace and its query
  // the handshake query (socket.io-client's url() takes protocol and host only).
  defaultUri: () =>
    typeof location === "undefined" ? "http://localhost" : `${location.protocol}//${location.host}`,
  createCookieJar: () => undefined,
};

import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { HttpAnswer } from "./types.js";

/**
 * The largest polling answer read (bytes): a server that sends more gets the request torn
 * down and the transport fails with "xhr poll error" (the lean WebSocket's message bound).
 */
export const MAX_POLLING_ANSWER_BYTES = 100 * 1024 * 1024;

/**
 * One long-polling request in Node.js over `node:http`/`node:https` (the global agent, which
 * keeps connections alive), as socket.io-client's Node.js transport does; `fetch` (undici)
 * cost 1.6× its CPU per connection. A string body goes as `text/plain;charset=UTF-8`, as
 * `fetch` sends it. Rejects on a network error, an abort through `signal`, or an answer over
 * {@link MAX_POLLING_ANSWER_BYTES}; any HTTP status resolves.
 */
export function pollingRequest(
  method: "GET" | "POST",
  url: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal | undefined,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith("https:") ? httpsRequest : httpRequest;
    const all =
      body === undefined
        ? headers
        : {
            ...headers,
            "content-type": "text/plain;charset=UTF-8",
            "content-length": String(Buffer.byteLength(body)),
          };
    const req = send(url, { method, headers: all, signal }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_POLLING_ANSWER_BYTES) {
          req.destroy(new Error(`polling answer over ${MAX_POLLING_ANSWER_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          setCookie: res.headers["set-cookie"] ?? [],
          text: chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString(),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

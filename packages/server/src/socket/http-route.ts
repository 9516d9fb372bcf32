import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Answers requests for exactly `path` (the query string aside), or for the paths `path`
 * accepts when it is a function, on `server` with `handler`;
 * every other request goes to the listeners the server had (the engine, an Express app), as
 * the engine's own `attach` does, so that nobody else answers the same request. Returns the
 * function that removes the route and gives the server its listeners back.
 */
export function addRoute(
  server: HttpServer | HttpsServer,
  path: string | ((pathname: string) => boolean),
  handler: RequestListener,
): () => void {
  const accepts = typeof path === "string" ? (p: string) => p === path : path;
  const others = server.listeners("request") as RequestListener[];
  server.removeAllListeners("request");
  const route: RequestListener = (req, res) => {
    const url = req.url ?? "";
    const end = url.indexOf("?");
    if (accepts(end === -1 ? url : url.slice(0, end))) {
      handler(req, res);
      return;
    }
    for (const listener of others) listener.call(server, req, res);
  };
  server.on("request", route);
  return () => {
    const listeners = server.listeners("request");
    const index = listeners.indexOf(route);
    if (index === -1) return;
    // Back in place of the route, before anything added since.
    server.removeAllListeners("request");
    const restored = [...listeners.slice(0, index), ...others, ...listeners.slice(index + 1)];
    for (const listener of restored) server.on("request", listener as RequestListener);
  };
}

/** Answers `status` with a JSON body, not cached. */
export function answerJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
  });
  res.end(text);
}

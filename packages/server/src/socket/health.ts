import type { Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import debugModule from "debug";
import { SocketErrorCode, SocketTypeError } from "./errors.js";
import { addRoute, answerJson } from "./http-route.js";

const debug = debugModule("switchboard:health");

/** What {@link serveHealth} reads of a server. */
export interface HealthSource {
  readonly draining: boolean;
  readonly httpServer: unknown;
  readonly engine: { readonly clientsCount: number };
}

/** Options of {@link serveHealth}. */
export interface HealthOptions {
  /** The path answered, exactly (query string aside). Default `"/health"`. */
  path?: string;
  /** The HTTP server to answer on. Default: the server's own (`io.httpServer`). */
  httpServer?: HttpServer | HttpsServer;
}

/** A health endpoint being served; {@link close} removes it. */
export interface HealthEndpoint {
  /** The path answered. */
  readonly path: string;
  /** Stop answering: the HTTP server gets its other listeners back. */
  close(): void;
}

/**
 * Serve a readiness endpoint on the server's HTTP server, for a load balancer or an
 * orchestrator's probe: `GET <path>` answers `200 {"status":"ok","sessions":N}` (N: open
 * engine sessions on this node) while the server takes connections, and
 * `503 {"status":"draining"}` from the moment it drains (`io.drain()`, `io.close()`, a
 * shutdown signal) on, so the node leaves the pool before its connections are moved.
 * Other requests go to the server's other listeners. Needs no extra package (the
 * Prometheus metrics of `@switchboard/server/metrics` can serve it too: `healthPath`).
 *
 * The drain closes the HTTP listener: the 503 reaches probes on connections that were
 * already open (keep-alive), and new connections are refused; either way the node is out.
 *
 * @example
 * ```ts
 * import { Server, serveHealth } from "@switchboard/server";
 *
 * const io = new Server(3000);
 * serveHealth(io, { path: "/health" }); // curl localhost:3000/health → {"status":"ok","sessions":0}
 * ```
 */
export function serveHealth(io: HealthSource, options: HealthOptions = {}): HealthEndpoint {
  const path = options.path ?? "/health";
  if (!path.startsWith("/")) {
    throw new SocketTypeError(SocketErrorCode.INVALID_OPTION, `health path must start with "/"`);
  }
  const server = options.httpServer ?? (io.httpServer as HttpServer | HttpsServer | undefined);
  if (server === undefined) {
    throw new SocketTypeError(
      SocketErrorCode.INVALID_OPTION,
      "the server is not attached to an HTTP server: attach it first, or pass httpServer",
    );
  }
  const remove = addRoute(server, path, (_req, res) => {
    if (io.draining) answerJson(res, 503, { status: "draining" });
    else answerJson(res, 200, { status: "ok", sessions: io.engine.clientsCount });
  });
  debug("serving %s", path);
  return { path, close: remove };
}

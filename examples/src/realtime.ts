import type { Server as HttpServer, IncomingMessage } from "node:http";
import {
  type AdapterConstructor,
  type HandshakeError,
  Server,
  type ServerOptions,
} from "@switchboard/server";
import { dashboard } from "@switchboard/server/dashboard";
import type { DemoServer } from "./demos/io-types.js";
import { demoLog } from "./lib/log.js";

/** The realtime server the demos run on, as far as the app needs it. */
export interface RealtimeServer extends DemoServer {
  close(): unknown;
  /** Stop the dashboard, when it was served (a no-op otherwise). */
  closeDashboard(): void;
  readonly engine: {
    on(event: "connection_error", listener: (err: HandshakeError) => void): unknown;
  };
}

/**
 * Whether a browser page at `origin` may use the demos' realtime server: pages served by
 * this app itself (the `Origin`'s host is the `Host` the request was sent to, whichever
 * name or address the visitor used), plus the origins listed in `extra`.
 */
export function demoOriginAllowed(
  origin: string,
  req: IncomingMessage,
  extra: readonly string[] = [],
): boolean {
  if (extra.includes(origin)) return true;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  return host !== "" && host === req.headers.host;
}

/** `ALLOWED_ORIGINS`: a comma-separated list of other origins allowed (e.g. a dev server). */
function extraOrigins(): string[] {
  const raw = process.env.ALLOWED_ORIGINS ?? "";
  return raw
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
}

/**
 * Engine options sized for the demos: upload chunks (≤ 256 KiB from the page, ≤ 1 MiB
 * accepted) travel as binary attachments, base64-encoded when on long-polling. Pages of
 * other sites are refused (cross-site WebSocket hijacking; the server README's "Security").
 */
export function realtimeOptions(extra: readonly string[] = extraOrigins()) {
  return {
    maxHttpBufferSize: 2 * 1024 * 1024,
    allowedOrigins: (origin: string, req: IncomingMessage) => demoOriginAllowed(origin, req, extra),
  };
}

/**
 * Attaches a `@switchboard/server` Server (which also serves its client bundle), with
 * `adapter` when given (a cluster's Redis adapter), else the in-memory one, and the
 * cluster's `forwarding` / `connectionStateRecovery` options (see cluster.ts).
 */
export function createRealtime(
  httpServer: HttpServer,
  adapter?: AdapterConstructor,
  cluster: Partial<ServerOptions> = {},
  dashboardAuth?: { username: string; password: string },
): RealtimeServer {
  const server = new Server(httpServer, {
    ...realtimeOptions(),
    ...(adapter ? { adapter } : {}),
    ...cluster,
  });
  // The live dashboard at /dashboard, behind basic auth (every node of a cluster gets the
  // same credentials from the environment, so the page works on whichever node it reaches).
  const board = dashboardAuth
    ? dashboard(server, { auth: dashboardAuth, title: "Switchboard demos" })
    : undefined;
  const io: RealtimeServer = Object.assign(server, { closeDashboard: () => board?.close() });
  // Handshakes the engine refused: another site's page, a session id the server does not
  // know (e.g. a client of the process before a restart), a bad request.
  io.engine.on("connection_error", (err) => {
    demoLog(
      "refused %s %s from %s: %s %j",
      err.req.method,
      err.req.url,
      err.req.socket.remoteAddress,
      err.message,
      err.context,
    );
  });
  return io;
}

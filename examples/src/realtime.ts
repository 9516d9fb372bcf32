import type { Server as HttpServer } from "node:http";
import type { DemoServer } from "./demos/io-types.js";

/** The realtime server the demos run on, as far as the app needs it. */
export interface RealtimeServer extends DemoServer {
  close(): unknown;
}

/** Engine limits sized for the demos: upload chunks are up to 1 MiB, sent as binary. */
export const REALTIME_OPTIONS = {
  maxHttpBufferSize: 2 * 1024 * 1024,
  pingInterval: 20_000,
  pingTimeout: 20_000,
} as const;

/** Attaches a `@switchboard/server` Server to the HTTP server (its client bundle included). */
export async function createRealtime(httpServer: HttpServer): Promise<RealtimeServer> {
  const mod = (await import("@switchboard/server")) as unknown as {
    Server?: new (srv: HttpServer, opts: object) => RealtimeServer;
  };
  if (typeof mod.Server !== "function") {
    throw new Error("@switchboard/server does not export Server: run `npm run build` first");
  }
  return new mod.Server(httpServer, REALTIME_OPTIONS);
}

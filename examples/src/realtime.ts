import type { Server as HttpServer } from "node:http";
import { Server } from "@switchboard/server";
import type { DemoServer } from "./demos/io-types.js";

/** The realtime server the demos run on, as far as the app needs it. */
export interface RealtimeServer extends DemoServer {
  close(): unknown;
}

/**
 * Engine options sized for the demos: upload chunks (≤ 256 KiB from the page, ≤ 1 MiB
 * accepted) travel as binary attachments, base64-encoded when on long-polling.
 */
export const REALTIME_OPTIONS = {
  maxHttpBufferSize: 2 * 1024 * 1024,
} as const;

/** Attaches a `@switchboard/server` Server (which also serves its client bundle). */
export function createRealtime(httpServer: HttpServer): RealtimeServer {
  const io: RealtimeServer = new Server(httpServer, REALTIME_OPTIONS);
  return io;
}

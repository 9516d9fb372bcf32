import { demoLog } from "../lib/log.js";
import type { DemoNamespace, DemoSocket } from "./io-types.js";

/**
 * Logs each connection to `nsp` and its end (with the reason) under `switchboard:demo`.
 * Refusals are logged where they happen: the chat's middleware, the engine's
 * `connection_error` (src/realtime.ts).
 */
export function logActivity(nsp: DemoNamespace): void {
  nsp.on("connection", (socket: DemoSocket) => {
    demoLog(
      "connected %s %s from %s over %s",
      nsp.name,
      socket.id,
      socket.handshake.address,
      socket.conn.transport.name,
    );
    socket.on("disconnect", (reason: string) => {
      demoLog("disconnected %s %s: %s", nsp.name, socket.id, reason);
    });
  });
}

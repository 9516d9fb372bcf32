import type { Server as HttpServer } from "node:http";
import type { Http2SecureServer } from "node:http2";
import type { Server as HttpsServer } from "node:https";
import type { DefaultEventsMap, EventsMap } from "@switchboard/protocol";
import { Server, type ServerOptions } from "./server.js";

/**
 * socket.io's callable entry point: `createServer(srv, opts)` is `new Server(srv, opts)`.
 * It is the package's default export, so the shapes of socket.io's examples work with only
 * the module name changed: `require("@switchboard/server")(httpServer, opts)`,
 * `require("@switchboard/server")(3000)` in CommonJS, and `import io from
 * "@switchboard/server"` then `io(httpServer)` in ESM.
 *
 * @param srv - an `http`/`https`/`http2` server to attach to, a port to listen on, the
 *   options, or nothing (attach later with `attach`/`listen`)
 * @param opts - the {@link ServerOptions} when `srv` is a server or a port
 * @example
 * ```js
 * const server = require("node:http").createServer(app);
 * const io = require("@switchboard/server")(server);
 * io.on("connection", (socket) => socket.emit("hello"));
 * server.listen(3000);
 * ```
 */
export function createServer<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's default
  SocketData = any,
>(
  srv?: number | HttpServer | HttpsServer | Http2SecureServer | Partial<ServerOptions>,
  opts?: Partial<ServerOptions>,
): Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  return new Server<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(srv, opts);
}

// Target: the official socket.io npm server, default options (polling + websocket).
import { Server } from "socket.io";

/** @param {import("node:http").Server} httpServer */
export async function create(httpServer) {
  return new Server(httpServer);
}

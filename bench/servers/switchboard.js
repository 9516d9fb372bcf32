// Target: Switchboard's server, default options, loaded from the workspace build (dist/).

/** @param {import("node:http").Server} httpServer */
export async function create(httpServer) {
  const { Server } = await import("@switchboard/server");
  if (typeof Server !== "function")
    throw new Error("@switchboard/server does not export Server yet");
  return new Server(httpServer);
}

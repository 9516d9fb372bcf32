import { ProcessError, ProcessErrorCode } from "./process-error.js";

/** The `type` of the IPC message {@link reportReady} sends and `spawnNode` waits for. */
export const READY_MESSAGE_TYPE = "switchboard:ready";

/**
 * Tells the parent that started this script with `spawnNode` that it is ready, with what
 * the parent needs to know (its port, …): sends `{ type: "switchboard:ready", ...info }`
 * over the IPC channel, so `info` must be serializable (JSON values). Call it once the
 * script serves; only the first call per process counts.
 *
 * @throws {@link ProcessError} `SB_ERR_PROCESS_NO_IPC` when this process has no IPC
 *   channel (it was not started by `spawnNode` or another `fork`).
 * @example
 * ```ts
 * // node.mjs, started with spawnNode("./node.mjs")
 * import { createServer } from "node:http";
 * import { Server } from "@switchboard/server";
 * import { reportReady } from "@switchboard/server/testing";
 *
 * const http = createServer();
 * const io = new Server(http);
 * http.listen(0, "127.0.0.1", () => reportReady({ port: http.address().port }));
 * ```
 */
export function reportReady(info: Record<string, unknown> = {}): Promise<void> {
  if (process.send === undefined || !process.connected) {
    throw new ProcessError(
      ProcessErrorCode.NO_IPC,
      "reportReady: this process has no IPC channel (start it with spawnNode)",
    );
  }
  return new Promise((resolve, reject) => {
    process.send?.({ ...info, type: READY_MESSAGE_TYPE }, undefined, undefined, (err) =>
      err ? reject(err) : resolve(),
    );
  });
}

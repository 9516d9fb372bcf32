import { shareInstanceCheck } from "@switchboard/protocol";

/** Stable codes of {@link ProcessError}; tests and callers branch on these, never on text. */
export const ProcessErrorCode = {
  /** The executable (`redis-server`, …) is not on PATH, or the path given does not exist. */
  NOT_FOUND: "SB_ERR_PROCESS_NOT_FOUND",
  /** The process exited before it was ready (its output tail is in the message). */
  EXITED: "SB_ERR_PROCESS_EXITED",
  /** The process did not get ready in time (it was killed; its output tail is in the message). */
  READY_TIMEOUT: "SB_ERR_PROCESS_READY_TIMEOUT",
  /** `reportReady` was called in a process that has no IPC channel (not started by `spawnNode`). */
  NO_IPC: "SB_ERR_PROCESS_NO_IPC",
} as const;

/** One of the stable `SB_ERR_PROCESS_…` strings of {@link ProcessErrorCode}. */
export type ProcessErrorCode = (typeof ProcessErrorCode)[keyof typeof ProcessErrorCode];

/**
 * The errors of the process helpers of `@switchboard/server/testing` (`startRedisServer`,
 * `spawnNode`, `reportReady`), with a stable `code`.
 *
 * @example
 * ```ts
 * try {
 *   await spawnNode("./node.mjs", { readyTimeout: 2000 });
 * } catch (err) {
 *   if (err instanceof ProcessError && err.code === "SB_ERR_PROCESS_READY_TIMEOUT") {
 *     console.error(err.message); // says which script, and ends with its output
 *   }
 * }
 * ```
 */
export class ProcessError extends Error {
  static {
    shareInstanceCheck(ProcessError, "switchboard.server.ProcessError");
  }

  /** Stable machine-readable code, e.g. `SB_ERR_PROCESS_READY_TIMEOUT`. */
  readonly code: ProcessErrorCode;

  constructor(code: ProcessErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProcessError";
    this.code = code;
  }
}

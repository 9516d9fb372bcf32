import { shareInstanceCheck } from "@switchboard/protocol";

/** Stable codes of {@link AdapterError}; tests and callers branch on these, never on text. */
export const AdapterErrorCode = {
  /**
   * A cluster request (fetchSockets, serverSideEmit with an ack, …) did not get every
   * node's answer within `requestsTimeout`.
   */
  REQUEST_TIMEOUT: "SB_ERR_ADAPTER_REQUEST_TIMEOUT",
} as const;

/** One of the stable `SB_ERR_…` strings of {@link AdapterErrorCode}. */
export type AdapterErrorCode = (typeof AdapterErrorCode)[keyof typeof AdapterErrorCode];

/**
 * The errors of the adapter layer, with a stable `code`. Adapters built on
 * `ClusterAdapter` (Redis, …) may add their own codes in their own error class.
 */
export class AdapterError extends Error {
  static {
    shareInstanceCheck(AdapterError, "switchboard.server.AdapterError");
  }

  /** Stable machine-readable code, e.g. `SB_ERR_ADAPTER_REQUEST_TIMEOUT`. */
  readonly code: AdapterErrorCode;

  constructor(code: AdapterErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AdapterError";
    this.code = code;
  }
}

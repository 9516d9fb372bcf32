import { SocketErrorCode, SocketTypeError } from "../socket/errors.js";
import type { ConnectionStateRecoveryOptions } from "../socket/types.js";
import type { PresenceOptions } from "./types.js";

/**
 * The `presence` option over its defaults, checked: an invalid value throws a
 * `SocketTypeError` (`SB_ERR_INVALID_OPTION`) at construction.
 */
export function resolvePresenceOptions(
  opts: Partial<PresenceOptions> | undefined,
  recovery: Readonly<ConnectionStateRecoveryOptions> | undefined,
): PresenceOptions {
  const window = recovery?.maxDisconnectionDuration;
  const resolved: PresenceOptions = {
    leaveDelay: opts?.leaveDelay ?? window ?? 0,
    maxEntriesPerRoom: opts?.maxEntriesPerRoom ?? 10_000,
    maxRoomsPerSocket: opts?.maxRoomsPerSocket ?? 32,
    maxMetaBytes: opts?.maxMetaBytes ?? 2048,
    maxIdLength: opts?.maxIdLength ?? 256,
  };
  const { leaveDelay } = resolved;
  if (typeof leaveDelay !== "number" || !(leaveDelay >= 0) || !Number.isFinite(leaveDelay)) {
    throw invalid("presence.leaveDelay must be a number >= 0 (ms)");
  }
  if (window !== undefined && leaveDelay > window) {
    throw invalid(
      "presence.leaveDelay must not exceed connectionStateRecovery.maxDisconnectionDuration",
    );
  }
  for (const key of [
    "maxEntriesPerRoom",
    "maxRoomsPerSocket",
    "maxMetaBytes",
    "maxIdLength",
  ] as const) {
    const v = resolved[key];
    if (typeof v !== "number" || !Number.isInteger(v) || !(v > 0)) {
      throw invalid(`presence.${key} must be a positive integer`);
    }
  }
  return resolved;
}

function invalid(message: string): SocketTypeError {
  return new SocketTypeError(SocketErrorCode.INVALID_OPTION, message);
}

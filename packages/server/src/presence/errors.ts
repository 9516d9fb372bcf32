import { shareInstanceCheck } from "@switchboard/protocol";

/**
 * Stable codes of {@link PresenceError}. Callers and tests branch on these, never on
 * message text.
 */
export const PresenceErrorCode = {
  /** `track` of an id that is not a non-empty string of at most `maxIdLength` characters. */
  INVALID_ID: "SB_ERR_PRESENCE_INVALID_ID",
  /** `meta` is not JSON-encodable, or longer than `maxMetaBytes` as JSON. */
  INVALID_META: "SB_ERR_PRESENCE_INVALID_META",
  /** The room already holds `maxEntriesPerRoom` identities (this id not among them). */
  ROOM_FULL: "SB_ERR_PRESENCE_ROOM_FULL",
  /** The socket already tracks (or subscribes to) `maxRoomsPerSocket` rooms. */
  TOO_MANY_ROOMS: "SB_ERR_PRESENCE_TOO_MANY_ROOMS",
  /** `update` of a room the socket does not track. */
  NOT_TRACKED: "SB_ERR_PRESENCE_NOT_TRACKED",
  /** `track`/`update`/`subscribe` on a socket that is not connected. */
  DISCONNECTED: "SB_ERR_PRESENCE_DISCONNECTED",
} as const;

/** One of the stable `SB_ERR_PRESENCE_…` strings of {@link PresenceErrorCode}. */
export type PresenceErrorCode = (typeof PresenceErrorCode)[keyof typeof PresenceErrorCode];

/**
 * What presence calls throw on bad input or a limit, with a stable `code`.
 *
 * @example
 * ```ts
 * try {
 *   socket.presence.track("lobby", { id: user.id, meta: profile });
 * } catch (err) {
 *   if (err instanceof PresenceError && err.code === PresenceErrorCode.ROOM_FULL) socket.emit("full");
 * }
 * ```
 */
export class PresenceError extends Error {
  static {
    shareInstanceCheck(PresenceError, "switchboard.server.PresenceError");
  }

  /** Stable machine-readable code, e.g. `SB_ERR_PRESENCE_ROOM_FULL`. */
  readonly code: PresenceErrorCode;

  constructor(code: PresenceErrorCode, message: string) {
    super(message);
    this.name = "PresenceError";
    this.code = code;
  }
}

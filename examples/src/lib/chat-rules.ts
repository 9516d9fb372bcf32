export const MAX_USERNAME_LENGTH = 24;
export const MAX_MESSAGE_LENGTH = 1000;
export const MAX_ROOMS_PER_USER = 16;

/** Rooms offered by the page; users may also type their own (see {@link checkRoomName}). */
export const SUGGESTED_ROOMS = ["random", "typescript", "music"] as const;

/** Returns the trimmed username, or an error message meant for the refused client. */
export function checkUsername(
  value: unknown,
): { ok: true; name: string } | { ok: false; error: string } {
  if (typeof value !== "string" || value.trim().length === 0) {
    return { ok: false, error: "a username is required" };
  }
  const name = value.trim();
  if (name.length > MAX_USERNAME_LENGTH) {
    return { ok: false, error: `usernames are at most ${MAX_USERNAME_LENGTH} characters` };
  }
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    return { ok: false, error: "usernames cannot contain control characters" };
  }
  return { ok: true, name };
}

/** Room names: 1–32 of lower-case letters, digits and dashes. */
export function checkRoomName(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const name = value.trim().toLowerCase();
  return /^[a-z0-9][a-z0-9-]{0,31}$/.test(name) ? name : null;
}

/** Returns the message text, or null when empty, too long or not a string. */
export function checkMessageText(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const text = value.trim();
  if (text.length === 0 || text.length > MAX_MESSAGE_LENGTH) return null;
  return text;
}

/** The adapter room that holds the members of a chat room (never clashes with socket ids). */
export const roomKey = (name: string): string => `room:${name}`;

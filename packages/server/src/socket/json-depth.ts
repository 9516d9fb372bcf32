import { MAX_ENCODE_DEPTH, ProtocolError, ProtocolErrorCode } from "@switchboard/protocol";

/**
 * Refuse incoming packets whose JSON nests deeper than the encoder accepts
 * (`MAX_ENCODE_DEPTH`). The decoder itself survives any depth, but a handler that relays
 * such data (`socket.to(room).emit("x", data)`, an ack echoing it) would then throw
 * `SB_ERR_DATA_TOO_DEEP` in application code; closing the sender with "parse error" keeps
 * the hostile input at the edge. Only texts long enough to nest that deep are scanned
 * (depth d needs at least 2·d characters), so ordinary packets cost one length check.
 *
 * @throws ProtocolError `SB_ERR_DATA_TOO_DEEP`
 */
export function assertJsonDepth(text: string, limit: number = MAX_ENCODE_DEPTH): void {
  if (text.length <= 2 * limit) return;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 91 || c === 123) {
      if (++depth > limit) {
        throw new ProtocolError(
          ProtocolErrorCode.DATA_TOO_DEEP,
          `packet data nests deeper than ${limit} levels`,
        );
      }
    } else if (c === 93 || c === 125) {
      depth--;
    }
  }
}

// A reference reading of a client's WebSocket bytes (RFC 6455 section 5 plus the limits of
// docs/engine.md, "Limits"), written for clarity, not speed: what the direct-websocket
// target expects the real receiver to deliver, and how it expects the connection to end.
import { isUtf8 } from "node:buffer";

/** RFC 6455 section 7.4: close codes a peer may send. @param {number} code */
const validCloseCode = (code) =>
  (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
  (code >= 3000 && code <= 4999);

/**
 * @param {Buffer} input everything the client sent (masked frames)
 * @param {{ maxHttpBufferSize: number, maxMessageFragments: number, maxControlFrames: number }} limits
 * @returns {{ frames: string[], ends: string[] }} messages as `t`/`b` + hex, and the ways the
 *   connection may end: `error <close code>`, `peer close`, `open` (the input ran out)
 */
export function readClientBytes(input, limits) {
  /** @type {string[]} */
  const frames = [];
  /** @type {{ opcode: number, parts: Buffer[], cost: number, count: number } | null} */
  let message = null;
  let controls = 0;
  let at = 0;
  /** @param {number[]} codes the close codes a receiver may choose */
  const error = (...codes) => ({ frames, ends: codes.map((c) => `error ${c}`) });
  for (;;) {
    if (input.length - at < 2) return { frames, ends: ["open"] };
    const b0 = /** @type {number} */ (input[at]);
    const b1 = /** @type {number} */ (input[at + 1]);
    if (b0 & 0x70) return error(1002); // RSV bits without an extension
    if (!(b1 & 0x80)) return error(1002); // client frames are masked
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    let len = b1 & 0x7f;
    let header = 6;
    if (opcode >= 0x8) {
      if (opcode > 0xa || !fin || len > 125) return error(1002);
    } else if (opcode > 0x2) {
      return error(1002);
    }
    if (len === 126) {
      if (input.length - at < 4) return { frames, ends: ["open"] };
      len = input.readUInt16BE(at + 2);
      header = 8;
    } else if (len === 127) {
      if (input.length - at < 10) return { frames, ends: ["open"] };
      const high = input.readUInt32BE(at + 2);
      if (high > 0x1fffff) return error(1009);
      len = high * 2 ** 32 + input.readUInt32BE(at + 6);
      header = 14;
    }
    // A continuation with no message to continue: refused when its header arrives (1002) or,
    // as for any data frame, for its length (1009) before the payload is waited for; a
    // receiver may also wait for the payload first, as long as the length is within bounds.
    if (opcode === 0x0 && message === null) {
      if (len > limits.maxHttpBufferSize) return error(1009, 1002);
      if (input.length - at < header + len) return { frames, ends: ["open", "error 1002"] };
      return error(1002);
    }
    // Limits are checked on the header, before the payload is waited for.
    if (opcode === 0x0 && message !== null) {
      if (message.cost + header + len > limits.maxHttpBufferSize) return error(1009);
      if (message.count >= limits.maxMessageFragments) return error(1008);
    } else if (opcode < 0x8 && len > limits.maxHttpBufferSize) {
      return error(1009);
    }
    if (input.length - at < header + len) return { frames, ends: ["open"] };
    const key = input.subarray(at + header - 4, at + header);
    const payload = Buffer.alloc(len);
    for (let i = 0; i < len; i++) {
      payload[i] =
        /** @type {number} */ (input[at + header + i]) ^ /** @type {number} */ (key[i & 3]);
    }
    at += header + len;
    if (opcode === 0x9 || opcode === 0xa) {
      if (++controls > limits.maxControlFrames) return error(1008);
      continue;
    }
    if (opcode === 0x8) {
      if (len === 1) return error(1002);
      if (len >= 2) {
        if (!validCloseCode(payload.readUInt16BE(0))) return error(1002);
        if (!isUtf8(payload.subarray(2))) return error(1007);
      }
      return { frames, ends: ["peer close"] };
    }
    let whole;
    let binary;
    if (opcode === 0x0) {
      message.parts.push(payload);
      message.count++;
      message.cost += header + len;
      if (!fin) continue;
      whole = Buffer.concat(message.parts);
      binary = message.opcode === 0x2;
      message = null;
    } else {
      if (message !== null) return error(1002); // a new message inside a fragmented one
      if (!fin) {
        message = { opcode, parts: [payload], cost: len, count: 1 };
        continue;
      }
      whole = payload;
      binary = opcode === 0x2;
    }
    if (!binary && !isUtf8(whole)) return error(1007);
    frames.push(`${binary ? "b" : "t"}${whole.toString("hex")}`);
  }
}

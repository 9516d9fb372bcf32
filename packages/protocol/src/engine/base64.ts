import { ProtocolError, ProtocolErrorCode } from "../errors.js";

// RFC 4648 §4 standard alphabet, with padding. Engine.IO v4 uses it for binary packets in
// long-polling payloads ("b" + base64). Pure TS so the same code runs in browsers and Node.
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const PAD = 61; // "="
const INVALID = 255;

/** char code of each 6-bit value */
const ENCODE = new Uint8Array(64);
/** 6-bit value of each char code below 256, or INVALID */
const DECODE = new Uint8Array(256).fill(INVALID);
for (let i = 0; i < 64; i++) {
  const code = ALPHABET.charCodeAt(i);
  ENCODE[i] = code;
  DECODE[code] = i;
}

/** Output is turned into a string in chunks: `String.fromCharCode.apply` has an argument-count limit. */
const CHUNK = 0x4000;

function charCodesToString(codes: Uint8Array): string {
  if (codes.length <= CHUNK) {
    return String.fromCharCode.apply(null, codes as unknown as number[]);
  }
  const parts: string[] = [];
  for (let i = 0; i < codes.length; i += CHUNK) {
    parts.push(
      String.fromCharCode.apply(null, codes.subarray(i, i + CHUNK) as unknown as number[]),
    );
  }
  return parts.join("");
}

/**
 * Encode bytes as standard, padded base64 (RFC 4648 §4). Pure TypeScript: no `Buffer`, no `btoa`.
 *
 * @example
 * ```ts
 * encodeBase64(new Uint8Array([1, 2, 3, 4])); // "AQIDBA=="
 * ```
 */
export function encodeBase64(bytes: Uint8Array): string {
  const length = bytes.length;
  const out = new Uint8Array(Math.ceil(length / 3) * 4);
  const whole = length - (length % 3);
  let o = 0;
  for (let i = 0; i < whole; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ENCODE[n >>> 18]!;
    out[o++] = ENCODE[(n >>> 12) & 63]!;
    out[o++] = ENCODE[(n >>> 6) & 63]!;
    out[o++] = ENCODE[n & 63]!;
  }
  const rest = length - whole;
  if (rest === 1) {
    const n = bytes[whole]! << 16;
    out[o++] = ENCODE[n >>> 18]!;
    out[o++] = ENCODE[(n >>> 12) & 63]!;
    out[o++] = PAD;
    out[o++] = PAD;
  } else if (rest === 2) {
    const n = (bytes[whole]! << 16) | (bytes[whole + 1]! << 8);
    out[o++] = ENCODE[n >>> 18]!;
    out[o++] = ENCODE[(n >>> 12) & 63]!;
    out[o++] = ENCODE[(n >>> 6) & 63]!;
    out[o++] = PAD;
  }
  return charCodesToString(out);
}

function invalid(reason: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.INVALID_BASE64, `invalid base64: ${reason}`);
}

function sextet(text: string, index: number): number {
  const code = text.charCodeAt(index);
  const value = code < 256 ? DECODE[code]! : INVALID;
  if (value === INVALID) throw invalid(`unexpected character at offset ${index}`);
  return value;
}

/**
 * Decode standard, padded base64 (RFC 4648 §4). Strict: the length must be a multiple of 4,
 * `=` may only appear as one or two final padding characters, and every other character
 * must be in the alphabet (no whitespace, no URL-safe alphabet).
 *
 * @throws ProtocolError `SB_ERR_INVALID_BASE64`
 * @example
 * ```ts
 * decodeBase64("AQIDBA=="); // Uint8Array [1, 2, 3, 4]
 * ```
 */
export function decodeBase64(text: string): Uint8Array {
  if (typeof text !== "string") throw invalid("not a string");
  const length = text.length;
  if (length % 4 !== 0) throw invalid("length is not a multiple of 4");
  if (length === 0) return new Uint8Array(0);
  let padding = 0;
  if (text.charCodeAt(length - 1) === PAD) {
    padding = text.charCodeAt(length - 2) === PAD ? 2 : 1;
  }
  const out = new Uint8Array((length / 4) * 3 - padding);
  // every quartet except the last has no padding
  const fullEnd = length - 4;
  let o = 0;
  for (let i = 0; i < fullEnd; i += 4) {
    const n =
      (sextet(text, i) << 18) |
      (sextet(text, i + 1) << 12) |
      (sextet(text, i + 2) << 6) |
      sextet(text, i + 3);
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 255;
    out[o++] = n & 255;
  }
  const a = sextet(text, fullEnd);
  const b = sextet(text, fullEnd + 1);
  if (padding === 2) {
    out[o] = ((a << 18) | (b << 12)) >>> 16;
  } else if (padding === 1) {
    const n = (a << 18) | (b << 12) | (sextet(text, fullEnd + 2) << 6);
    out[o++] = n >>> 16;
    out[o] = (n >>> 8) & 255;
  } else {
    const n = (a << 18) | (b << 12) | (sextet(text, fullEnd + 2) << 6) | sextet(text, fullEnd + 3);
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 255;
    out[o] = n & 255;
  }
  return out;
}

import { randomFillSync } from "node:crypto";

/** Random bytes per id: 20 base64url characters. */
const ID_BYTES = 15;
/**
 * Bytes for the next 256 ids, refilled when used up: one CSPRNG call per 256 ids instead of
 * one per id. Each byte is used once and never reused.
 */
const POOL = Buffer.allocUnsafe(ID_BYTES * 256);
let offset = POOL.length;

/** A fresh unguessable id of 20 url-safe characters (session ids, socket ids, private ids). */
export function randomId(): string {
  if (offset === POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const start = offset;
  offset += ID_BYTES;
  return POOL.toString("base64url", start, offset);
}

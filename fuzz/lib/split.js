// How a target cuts its input into reads: chosen by one input byte, so that mutating it
// explores other cuts of the same bytes.
import { Random } from "./mutate.js";

/**
 * Cuts `data` into `1 + (choice & 7)` pieces at positions drawn from `choice` (some may be
 * empty, as a read of zero bytes never happens; those are dropped).
 *
 * @param {Buffer} data
 * @param {number} choice one byte of the input
 * @returns {Buffer[]}
 */
export function split(data, choice) {
  const cuts = 1 + (choice & 7);
  if (cuts === 1 || data.length < 2) return data.length === 0 ? [] : [data];
  const rnd = new Random(choice * 2654435761 + data.length);
  const at = new Set();
  for (let i = 1; i < cuts; i++) {
    // half the cuts near the start, where the first frame's header is
    at.add(1 + rnd.below(rnd.bool() ? Math.min(16, data.length - 1) : data.length - 1));
  }
  const points = [0, ...[...at].sort((a, b) => a - b), data.length];
  const pieces = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const piece = data.subarray(/** @type {number} */ (points[i]), points[i + 1]);
    if (piece.length > 0) pieces.push(piece);
  }
  return pieces;
}

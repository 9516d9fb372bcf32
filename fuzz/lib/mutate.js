// Input mutations for the coverage-guided loop (lib/worker.js), in the spirit of
// libFuzzer's MutationDispatcher: a random stack of byte-level edits, dictionary tokens
// and splices with other corpus entries. Deterministic for a given PRNG seed.

/** A small fast PRNG (mulberry32): reproducible runs from `--seed`. */
export class Random {
  /** @param {number} seed */
  constructor(seed) {
    this.state = seed >>> 0;
  }
  /** @returns {number} a uniform 32-bit unsigned integer */
  next() {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** @param {number} n @returns {number} an integer in [0, n) */
  below(n) {
    return n <= 1 ? 0 : this.next() % n;
  }
  /** @returns {boolean} */
  bool() {
    return (this.next() & 1) === 1;
  }
  /** @template T @param {readonly T[]} items @returns {T} */
  pick(items) {
    return /** @type {T} */ (items[this.below(items.length)]);
  }
}

const INTERESTING_BYTES = [
  0x00, 0x01, 0x02, 0x7d, 0x7e, 0x7f, 0x80, 0x81, 0x82, 0x88, 0x89, 0x8a, 0xfe, 0xff, 0x1e, 0x22,
  0x2c, 0x2d, 0x2f, 0x30, 0x31, 0x34, 0x35, 0x36, 0x39, 0x3a, 0x5b, 0x5d, 0x7b, 0x7d, 0x62, 0x3d,
  0x5c, 0xc0, 0xe0, 0xed, 0xf0, 0xf4,
];
const INTERESTING_16 = [
  0, 1, 125, 126, 127, 128, 255, 256, 1000, 1001, 1005, 1006, 1015, 2999, 3000, 4999, 5000, 0x7fff,
  0x8000, 0xffff,
];
const INTERESTING_32 = [
  0, 1, 0x7f, 0xffff, 0x10000, 0x1fffff, 0x200000, 0x7fffffff, 0x80000000, 0xffffffff,
];
const INTERESTING_NUMBERS = [
  "0",
  "-1",
  "1",
  "9",
  "10",
  "16",
  "63",
  "64",
  "65",
  "255",
  "256",
  "257",
  "999999999",
  "1000000000",
  "9007199254740991",
  "9007199254740992",
  "99999999999999999",
  "1e3",
  "0.5",
  "-0",
];

/**
 * One mutation step on a copy of `data`; returns the new bytes (possibly the same length).
 *
 * @param {Buffer} data
 * @param {Random} rnd
 * @param {readonly Buffer[]} dictionary
 * @param {() => Buffer | undefined} other another corpus entry, for splicing
 * @returns {Buffer}
 */
function mutateOnce(data, rnd, dictionary, other) {
  const len = data.length;
  switch (rnd.below(14)) {
    case 0: {
      // flip one bit
      if (len === 0) break;
      const out = Buffer.from(data);
      const i = rnd.below(len);
      out[i] = out[i] ^ (1 << rnd.below(8));
      return out;
    }
    case 1: {
      // set a byte, random or interesting
      if (len === 0) break;
      const out = Buffer.from(data);
      out[rnd.below(len)] = rnd.bool() ? rnd.below(256) : rnd.pick(INTERESTING_BYTES);
      return out;
    }
    case 2: {
      // insert 1-8 bytes (random, interesting, or one byte repeated)
      const n = 1 + rnd.below(8);
      const bytes = Buffer.alloc(n);
      const same = rnd.bool() ? rnd.pick(INTERESTING_BYTES) : -1;
      for (let i = 0; i < n; i++) bytes[i] = same >= 0 ? same : rnd.below(256);
      return insert(data, rnd.below(len + 1), bytes);
    }
    case 3: {
      // delete a range
      if (len === 0) break;
      const at = rnd.below(len);
      const n = 1 + rnd.below(Math.min(len - at, rnd.bool() ? 4 : len));
      return Buffer.concat([data.subarray(0, at), data.subarray(at + n)]);
    }
    case 4: {
      // repeat a range k times (deep nesting, many frames or fragments, many packets)
      if (len === 0) break;
      const at = rnd.below(len);
      const n = 1 + rnd.below(Math.min(len - at, 32));
      const k = 1 + rnd.below(rnd.bool() ? 4 : 256);
      const chunk = data.subarray(at, at + n);
      return insert(data, at, Buffer.concat(new Array(k).fill(chunk)));
    }
    case 5: {
      // copy a range over another place in the input
      if (len < 2) break;
      const from = rnd.below(len);
      const to = rnd.below(len);
      const n = 1 + rnd.below(Math.min(len - from, len - to));
      const out = Buffer.from(data);
      data.copy(out, to, from, from + n);
      return out;
    }
    case 6:
    case 7: {
      // insert or overwrite a dictionary token
      if (dictionary.length === 0) break;
      const token = rnd.pick(dictionary);
      const at = rnd.below(len + 1);
      if (rnd.bool() || at + token.length > len) return insert(data, at, token);
      const out = Buffer.from(data);
      token.copy(out, at);
      return out;
    }
    case 8: {
      // splice: a prefix of this input with a suffix of another, or a chunk of it inserted
      const o = other();
      if (o === undefined || o.length === 0) break;
      if (rnd.bool()) {
        return Buffer.concat([
          data.subarray(0, rnd.below(len + 1)),
          o.subarray(rnd.below(o.length)),
        ]);
      }
      const at = rnd.below(o.length);
      return insert(data, rnd.below(len + 1), o.subarray(at, at + 1 + rnd.below(o.length - at)));
    }
    case 9: {
      // replace a run of ASCII digits with an interesting number
      const digits = [];
      for (let i = 0; i < len; i++) {
        if (
          data[i] >= 0x30 &&
          data[i] <= 0x39 &&
          (i === 0 || data[i - 1] < 0x30 || data[i - 1] > 0x39)
        ) {
          digits.push(i);
        }
      }
      if (digits.length === 0) break;
      const start = rnd.pick(digits);
      let end = start;
      while (end < len && data[end] >= 0x30 && data[end] <= 0x39) end++;
      const number = Buffer.from(rnd.pick(INTERESTING_NUMBERS), "latin1");
      return Buffer.concat([data.subarray(0, start), number, data.subarray(end)]);
    }
    case 10: {
      // an interesting 16-bit value, big- or little-endian (frame lengths, close codes)
      if (len < 2) break;
      const out = Buffer.from(data);
      const at = rnd.below(len - 1);
      const v = rnd.pick(INTERESTING_16);
      if (rnd.bool()) out.writeUInt16BE(v, at);
      else out.writeUInt16LE(v, at);
      return out;
    }
    case 11: {
      // an interesting 32-bit value (64-bit frame lengths, masking keys)
      if (len < 4) break;
      const out = Buffer.from(data);
      const at = rnd.below(len - 3);
      const v = rnd.pick(INTERESTING_32);
      if (rnd.bool()) out.writeUInt32BE(v, at);
      else out.writeUInt32LE(v, at);
      return out;
    }
    case 12: {
      // swap two adjacent ranges
      if (len < 2) break;
      const a = rnd.below(len - 1);
      const b = a + 1 + rnd.below(len - a - 1);
      const c = b + 1 + rnd.below(len - b);
      return Buffer.concat([
        data.subarray(0, a),
        data.subarray(b, c),
        data.subarray(a, b),
        data.subarray(c),
      ]);
    }
    default: {
      // truncate
      if (len === 0) break;
      return data.subarray(0, rnd.below(len));
    }
  }
  return insert(data, rnd.below(len + 1), Buffer.from([rnd.below(256)]));
}

/** @param {Buffer} data @param {number} at @param {Buffer} bytes @returns {Buffer} */
function insert(data, at, bytes) {
  return Buffer.concat([data.subarray(0, at), bytes, data.subarray(at)]);
}

/**
 * A stack of 1 to 16 mutations of `data` (more often few), cut to `maxLen`.
 *
 * @param {Buffer} data
 * @param {Random} rnd
 * @param {readonly Buffer[]} dictionary
 * @param {() => Buffer | undefined} other
 * @param {number} maxLen
 * @returns {Buffer}
 */
export function mutate(data, rnd, dictionary, other, maxLen) {
  let out = data;
  const steps = 1 << rnd.below(5);
  for (let i = 0; i < steps; i++) {
    out = mutateOnce(out, rnd, dictionary, other);
    if (out.length > maxLen) out = out.subarray(0, maxLen);
  }
  return out === data ? Buffer.from(data) : out;
}

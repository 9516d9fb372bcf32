import { RedisAdapterError, RedisAdapterErrorCode } from "../errors.js";

/**
 * The MessagePack writer of the classic format: for every value the adapter and emitter
 * send (plain objects, arrays, strings, numbers, booleans, null, undefined, Buffers, typed
 * arrays, Dates), byte for byte what notepack.io 3.0.x writes (checked by
 * `test/msgpack.test.ts` over generated values), because @socket.io/redis-adapter 8.x and
 * @socket.io/redis-emitter 5.x bundle that version and read and write it:
 *
 * - integral numbers in the smallest int/uint form, 64-bit (`cf`/`d3`) from 2^32 / -2^31 on
 *   (wrapping beyond 2^64 as notepack.io does); fractions, NaN and ±Infinity as float64;
 * - `undefined` as nil (`c0`); `Date` as the msgpack timestamp extension (type -1, in its
 *   32-, 64- or 96-bit form); Buffer, ArrayBuffer and typed arrays as bin, a typed array
 *   element by element as `Buffer.from` converts it (a DataView is empty);
 * - objects: own enumerable string keys, keys whose value is a function or `undefined` left
 *   out, `toJSON()` used when present; Map and Set have none, so they are empty maps.
 *
 * Strings as notepack.io writes them too: up to 32 UTF-8 bytes with its JS writer (a
 * surrogate unit always joins the next unit into a 4-byte sequence), longer ones as Buffer
 * writes them (a lone surrogate as U+FFFD; notepack.io's header is then one byte off, ours is
 * not).
 *
 * Symbols and bigints (and functions in arrays) cannot be written: `SB_ERR_REDIS_UNENCODABLE`.
 */

let scratch = Buffer.allocUnsafe(64 * 1024);
let pos = 0;

function ensure(n: number): void {
  if (pos + n <= scratch.length) return;
  let size = scratch.length * 2;
  while (size < pos + n) size *= 2;
  const next = Buffer.allocUnsafe(size);
  scratch.copy(next, 0, 0, pos);
  scratch = next;
}

function u8(b: number): void {
  ensure(1);
  scratch[pos++] = b;
}

function head8(b: number, v: number): void {
  ensure(2);
  scratch[pos++] = b;
  scratch[pos++] = v;
}

function head16(b: number, v: number): void {
  ensure(3);
  scratch[pos++] = b;
  scratch.writeUInt16BE(v, pos);
  pos += 2;
}

function head32(b: number, v: number): void {
  ensure(5);
  scratch[pos++] = b;
  scratch.writeUInt32BE(v, pos);
  pos += 4;
}

function float64(v: number): void {
  ensure(9);
  scratch[pos++] = 0xcb;
  scratch.writeDoubleBE(v, pos);
  pos += 8;
}

/** Two 32-bit halves: high = floor(v / 2^32) (two's complement for negatives), low = v mod 2^32. */
function int64(b: number, v: number): void {
  u8(b);
  halves(v);
}

function halves(v: number): void {
  ensure(8);
  const hi = Math.floor(v / 4294967296);
  const lo = v >>> 0;
  scratch.writeUInt32BE(hi >>> 0, pos);
  scratch.writeUInt32BE(lo, pos + 4);
  pos += 8;
}

function writeNumber(v: number): void {
  if (Math.floor(v) !== v || !Number.isFinite(v)) {
    float64(v);
  } else if (v >= 0) {
    if (v < 128) u8(v);
    else if (v < 256) head8(0xcc, v);
    else if (v < 65536) head16(0xcd, v);
    else if (v < 4294967296) head32(0xce, v);
    // Beyond 2^64 the halves wrap (notepack.io's choice, kept for byte equality).
    else int64(0xcf, v);
  } else if (v >= -32) {
    u8(v & 0xff);
  } else if (v >= -128) {
    head8(0xd0, v & 0xff);
  } else if (v >= -32768) {
    head16(0xd1, v & 0xffff);
  } else if (v >= -2147483648) {
    head32(0xd2, v >>> 0);
  } else {
    int64(0xd3, v);
  }
}

/** Whether the last {@link utf8Short} met a surrogate that is not part of a valid pair. */
let loneSurrogate = false;

/**
 * Writes a short string's UTF-8 at `at` in JS (a native call costs more below ~64 units),
 * as notepack.io's own writer does: a surrogate code unit always takes the next unit with it
 * into one 4-byte sequence, paired or not. Returns the bytes written.
 */
function utf8Short(v: string, at: number): number {
  let p = at;
  loneSurrogate = false;
  for (let i = 0; i < v.length; i++) {
    let c = v.charCodeAt(i);
    if (c < 0x80) {
      scratch[p++] = c;
    } else if (c < 0x800) {
      scratch[p++] = 0xc0 | (c >> 6);
      scratch[p++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c >= 0xe000) {
      scratch[p++] = 0xe0 | (c >> 12);
      scratch[p++] = 0x80 | ((c >> 6) & 0x3f);
      scratch[p++] = 0x80 | (c & 0x3f);
    } else {
      const next = v.charCodeAt(++i);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) loneSurrogate = true;
      c = 0x10000 + (((c & 0x3ff) << 10) | (next & 0x3ff));
      scratch[p++] = 0xf0 | (c >> 18);
      scratch[p++] = 0x80 | ((c >> 12) & 0x3f);
      scratch[p++] = 0x80 | ((c >> 6) & 0x3f);
      scratch[p++] = 0x80 | (c & 0x3f);
    }
  }
  return p - at;
}

function writeString(v: string): void {
  if (v.length < 64) {
    // At most 3 bytes per UTF-16 unit: write after a 2-byte header slot, then settle the
    // header (fixstr or str8) and move the bytes when fixstr's 1-byte header fits.
    ensure(2 + v.length * 3);
    const n = utf8Short(v, pos + 2);
    if (n < 32) {
      scratch[pos] = 0xa0 | n;
      scratch.copyWithin(pos + 1, pos + 2, pos + 2 + n);
      pos += 1 + n;
      return;
    }
    // notepack.io writes longer strings with Buffer (a lone surrogate as U+FFFD); the JS
    // bytes are the same unless there was a lone surrogate.
    if (!loneSurrogate || n === 32) {
      scratch[pos] = 0xd9;
      scratch[pos + 1] = n;
      pos += 2 + n;
      return;
    }
  }
  const n = Buffer.byteLength(v);
  if (n < 32) u8(0xa0 | n);
  else if (n < 256) head8(0xd9, n);
  else if (n < 65536) head16(0xda, n);
  else head32(0xdb, n);
  ensure(n);
  pos += scratch.write(v, pos, "utf8");
}

function writeBytes(bytes: Uint8Array): void {
  const n = bytes.byteLength;
  if (n < 256) head8(0xc4, n);
  else if (n < 65536) head16(0xc5, n);
  else head32(0xc6, n);
  ensure(n);
  scratch.set(bytes, pos);
  pos += n;
}

function containerHead(n: number, fix: number, b16: number): void {
  if (n < 16) u8(fix | n);
  else if (n < 65536) head16(b16, n);
  else head32(b16 + 1, n);
}

function unencodable(what: string): RedisAdapterError {
  return new RedisAdapterError(RedisAdapterErrorCode.UNENCODABLE, `msgpack: cannot encode ${what}`);
}

function write(v: unknown): void {
  switch (typeof v) {
    case "string":
      writeString(v);
      return;
    case "number":
      writeNumber(v);
      return;
    case "boolean":
      u8(v ? 0xc3 : 0xc2);
      return;
    case "undefined":
      u8(0xc0);
      return;
    case "object":
      writeObject(v);
      return;
    default:
      throw unencodable(typeof v);
  }
}

/** Whether an object member is written (functions and `undefined` are left out). */
function carried(value: unknown): boolean {
  return value !== undefined && typeof value !== "function";
}

/**
 * The msgpack timestamp extension (type -1) of `ms`: seconds only in 32 bits when they fit,
 * nanoseconds (30 bits) + seconds (34 bits) in 64, else nanoseconds + signed seconds in 96.
 * An invalid Date is the 96-bit zero, as notepack.io 3 writes it.
 */
function writeTimestamp(ms: number): void {
  const valid = Number.isFinite(ms);
  const sec = valid ? Math.floor(ms / 1000) : 0;
  const ns = valid ? (ms - sec * 1000) * 1e6 : 0;
  if (valid && ns === 0 && sec >= 0 && sec < 4294967296) {
    ensure(6);
    scratch[pos++] = 0xd6;
    scratch[pos++] = 0xff;
    scratch.writeUInt32BE(sec, pos);
    pos += 4;
  } else if (valid && sec >= 0 && sec < 17179869184) {
    ensure(10);
    scratch[pos++] = 0xd7;
    scratch[pos++] = 0xff;
    scratch.writeUInt32BE(ns * 4 + Math.floor(sec / 4294967296), pos);
    scratch.writeUInt32BE(sec >>> 0, pos + 4);
    pos += 8;
  } else {
    head8(0xc7, 12);
    u8(0xff);
    ensure(4);
    scratch.writeUInt32BE(ns, pos);
    pos += 4;
    halves(sec);
  }
}

function writeObject(v: object | null): void {
  if (v === null) {
    u8(0xc0);
    return;
  }
  if (Array.isArray(v)) {
    const n = v.length;
    containerHead(n, 0x90, 0xdc);
    for (let i = 0; i < n; i++) write(v[i]);
    return;
  }
  if (v instanceof Uint8Array) {
    writeBytes(v);
    return;
  }
  if (ArrayBuffer.isView(v)) {
    // As Buffer.from converts (and so notepack.io 3): another typed array element by element
    // (each value mod 256; the type is only named for the checker), a DataView as nothing.
    writeBytes(v instanceof DataView ? new Uint8Array(0) : Uint8Array.from(v as Uint16Array));
    return;
  }
  if (v instanceof ArrayBuffer) {
    writeBytes(new Uint8Array(v));
    return;
  }
  if (v instanceof Date) {
    writeTimestamp(v.getTime());
    return;
  }
  const toJSON = (v as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    write(toJSON.call(v));
    return;
  }
  const record = v as Record<string, unknown>;
  const keys = Object.keys(record);
  let n = 0;
  for (const key of keys) if (carried(record[key])) n++;
  containerHead(n, 0x80, 0xde);
  for (const key of keys) {
    const value = record[key];
    if (!carried(value)) continue;
    writeString(key);
    write(value);
  }
}

/**
 * Encodes `value` as MessagePack, as notepack.io's `encode` does (see the file comment).
 *
 * @throws RedisAdapterError `SB_ERR_REDIS_UNENCODABLE` (a symbol, bigint or function where
 *   a value is needed)
 * @example
 * ```ts
 * encode(["uid", { type: 2, data: ["hi"], nsp: "/" }, { rooms: [], except: [], flags: {} }]);
 * ```
 */
export function encode(value: unknown): Buffer {
  pos = 0;
  try {
    write(value);
    return Buffer.from(scratch.subarray(0, pos));
  } finally {
    // A huge message must not pin a huge scratch buffer.
    if (scratch.length > 1024 * 1024) scratch = Buffer.allocUnsafe(64 * 1024);
  }
}

import { RedisAdapterError, RedisAdapterErrorCode } from "../errors.js";

/** Limits of {@link decode}. */
export interface DecodeOptions {
  /** Deepest nesting of arrays and maps. Default 64. */
  maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 64;

function invalid(message: string): RedisAdapterError {
  return new RedisAdapterError(RedisAdapterErrorCode.INVALID_MSGPACK, `msgpack: ${message}`);
}

/**
 * A MessagePack reader for data that comes from a shared Redis channel, so from anyone:
 * every declared length and item count is checked against the bytes left before anything
 * is allocated (a 5-byte array32 header cannot claim 30 million items), nesting is bounded,
 * a map key `__proto__` is refused, and the value must end exactly at the end of the bytes.
 * Reads what notepack.io writes the way notepack.io reads it: bin as Buffer, fixext1 type 0
 * as `undefined`, fixext8 type 0 as Date, other ext type 0 as ArrayBuffer, any other ext as
 * `[type, Buffer]`; 64-bit integers as numbers.
 */
class Reader {
  readonly #b: Buffer;
  #pos = 0;
  readonly #maxDepth: number;

  constructor(bytes: Buffer, maxDepth: number) {
    this.#b = bytes;
    this.#maxDepth = maxDepth;
  }

  read(): unknown {
    const value = this.#value(0);
    if (this.#pos !== this.#b.length) throw invalid("trailing bytes");
    return value;
  }

  #need(n: number): void {
    if (this.#pos + n > this.#b.length) {
      throw invalid("a length or count reaches past the end of the message");
    }
  }

  #uint(size: 1 | 2 | 4): number {
    this.#need(size);
    const b = this.#b;
    const p = this.#pos;
    this.#pos += size;
    return size === 1 ? b[p]! : size === 2 ? b.readUInt16BE(p) : b.readUInt32BE(p);
  }

  #str(n: number): string {
    this.#need(n);
    const s = this.#b.toString("utf8", this.#pos, this.#pos + n);
    this.#pos += n;
    return s;
  }

  #bin(n: number): Buffer {
    this.#need(n);
    // A copy: the message buffer may be large and shared.
    const out = Buffer.from(this.#b.subarray(this.#pos, this.#pos + n));
    this.#pos += n;
    return out;
  }

  #array(n: number, depth: number): unknown[] {
    // Every item takes at least one byte.
    this.#need(n);
    if (depth >= this.#maxDepth) throw tooDeep(this.#maxDepth);
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = this.#value(depth + 1);
    return out;
  }

  #map(n: number, depth: number): Record<string, unknown> {
    // Every entry takes at least two bytes.
    this.#need(n * 2);
    if (depth >= this.#maxDepth) throw tooDeep(this.#maxDepth);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const rawKey = this.#value(depth + 1);
      if (typeof rawKey !== "string" && typeof rawKey !== "number") {
        throw invalid("a map key is neither a string nor a number");
      }
      const key = String(rawKey);
      if (key === "__proto__") {
        throw new RedisAdapterError(
          RedisAdapterErrorCode.FORBIDDEN_KEY,
          "msgpack: a map has the key __proto__",
        );
      }
      out[key] = this.#value(depth + 1);
    }
    return out;
  }

  #ext(n: number, fixed: boolean): unknown {
    this.#need(1 + n);
    const type = this.#b.readInt8(this.#pos++);
    if (type === 0) {
      if (fixed && n === 1) {
        this.#pos += 1;
        return undefined;
      }
      if (fixed && n === 8) {
        const hi = this.#b.readInt32BE(this.#pos);
        const lo = this.#b.readUInt32BE(this.#pos + 4);
        this.#pos += 8;
        return new Date(hi * 4294967296 + lo);
      }
      const bytes = this.#bin(n);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + n);
    }
    return [type, this.#bin(n)];
  }

  #value(depth: number): unknown {
    this.#need(1);
    const b = this.#b;
    const t = b[this.#pos++]!;
    if (t < 0x80) return t;
    if (t < 0x90) return this.#map(t & 0x0f, depth);
    if (t < 0xa0) return this.#array(t & 0x0f, depth);
    if (t < 0xc0) return this.#str(t & 0x1f);
    if (t >= 0xe0) return t - 0x100;
    switch (t) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.#bin(this.#uint(1));
      case 0xc5:
        return this.#bin(this.#uint(2));
      case 0xc6:
        return this.#bin(this.#uint(4));
      case 0xc7:
        return this.#ext(this.#uint(1), false);
      case 0xc8:
        return this.#ext(this.#uint(2), false);
      case 0xc9:
        return this.#ext(this.#uint(4), false);
      case 0xca:
        return this.#fixed(4, () => b.readFloatBE(this.#pos));
      case 0xcb:
        return this.#fixed(8, () => b.readDoubleBE(this.#pos));
      case 0xcc:
        return this.#uint(1);
      case 0xcd:
        return this.#uint(2);
      case 0xce:
        return this.#uint(4);
      case 0xcf:
        return this.#fixed(
          8,
          () => b.readUInt32BE(this.#pos) * 4294967296 + b.readUInt32BE(this.#pos + 4),
        );
      case 0xd0:
        return this.#fixed(1, () => b.readInt8(this.#pos));
      case 0xd1:
        return this.#fixed(2, () => b.readInt16BE(this.#pos));
      case 0xd2:
        return this.#fixed(4, () => b.readInt32BE(this.#pos));
      case 0xd3:
        return this.#fixed(
          8,
          () => b.readInt32BE(this.#pos) * 4294967296 + b.readUInt32BE(this.#pos + 4),
        );
      case 0xd4:
        return this.#ext(1, true);
      case 0xd5:
        return this.#ext(2, true);
      case 0xd6:
        return this.#ext(4, true);
      case 0xd7:
        return this.#ext(8, true);
      case 0xd8:
        return this.#ext(16, true);
      case 0xd9:
        return this.#str(this.#uint(1));
      case 0xda:
        return this.#str(this.#uint(2));
      case 0xdb:
        return this.#str(this.#uint(4));
      case 0xdc:
        return this.#array(this.#uint(2), depth);
      case 0xdd:
        return this.#array(this.#uint(4), depth);
      case 0xde:
        return this.#map(this.#uint(2), depth);
      case 0xdf:
        return this.#map(this.#uint(4), depth);
      default:
        throw invalid(`byte 0x${t.toString(16)} is not a type`);
    }
  }

  #fixed(size: number, read: () => number): number {
    this.#need(size);
    const v = read();
    this.#pos += size;
    return v;
  }
}

function tooDeep(max: number): RedisAdapterError {
  return new RedisAdapterError(
    RedisAdapterErrorCode.MSGPACK_TOO_DEEP,
    `msgpack: nesting deeper than ${max}`,
  );
}

/**
 * Decodes one MessagePack value from untrusted bytes (see the class comment of the reader:
 * bounded before allocating, `__proto__` refused). The result is `unknown`: validate it.
 *
 * @throws RedisAdapterError `SB_ERR_REDIS_INVALID_MSGPACK` (truncated, reserved byte 0xc1,
 *   trailing bytes, a key that is not a string or number), `SB_ERR_REDIS_MSGPACK_TOO_DEEP`,
 *   `SB_ERR_REDIS_FORBIDDEN_KEY`
 * @example
 * ```ts
 * decode(Buffer.from([0x92, 0x01, 0xc0])); // [1, null]
 * decode(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff])); // throws SB_ERR_REDIS_INVALID_MSGPACK
 * ```
 */
export function decode(bytes: Buffer, options: DecodeOptions = {}): unknown {
  return new Reader(bytes, options.maxDepth ?? DEFAULT_MAX_DEPTH).read();
}

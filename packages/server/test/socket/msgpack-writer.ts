/**
 * A small MessagePack writer (msgpack spec: nil, bool, int, float 64, str, bin, array, map)
 * for crafting the frames a hostile peer sends: maps with any keys (`__proto__` included),
 * ids no JavaScript encoder would write, and pre-encoded bytes spliced in as they are.
 */

/** Map entries in the given order, keys of any type. */
export class MsgpackMap {
  constructor(readonly entries: readonly [MsgpackValue, MsgpackValue][]) {}
}

/** Bytes written as they are (e.g. thousands of nested array headers). */
export class MsgpackRaw {
  constructor(readonly bytes: Uint8Array) {}
}

/** A 64-bit unsigned integer written as uint 64 (0xcf), beyond Number.MAX_SAFE_INTEGER. */
export class MsgpackUint64 {
  constructor(readonly value: bigint) {}
}

export type MsgpackValue =
  | null
  | undefined
  | boolean
  | number
  | string
  | Uint8Array
  | MsgpackMap
  | MsgpackRaw
  | MsgpackUint64
  | MsgpackValue[]
  | { [key: string]: MsgpackValue };

function header(
  small: number,
  smallMax: number,
  codes: [number, number, number],
  n: number,
): number[] {
  if (n <= smallMax) return [small | n];
  if (n < 0x100 && codes[0] !== 0) return [codes[0], n];
  if (n < 0x10000) return [codes[1], n >> 8, n & 0xff];
  return [codes[2], (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

function write(value: MsgpackValue, out: number[]): void {
  if (value === null || value === undefined) out.push(0xc0);
  else if (value === false) out.push(0xc2);
  else if (value === true) out.push(0xc3);
  else if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0 && value < 0x80) out.push(value);
    else if (Number.isInteger(value) && value < 0 && value >= -32) out.push(value & 0xff);
    else if (Number.isInteger(value) && value >= 0 && value < 2 ** 32) {
      out.push(
        0xce,
        (value >>> 24) & 0xff,
        (value >> 16) & 0xff,
        (value >> 8) & 0xff,
        value & 0xff,
      );
    } else if (Number.isInteger(value) && value < 0 && value >= -(2 ** 31)) {
      const b = Buffer.alloc(5);
      b[0] = 0xd2;
      b.writeInt32BE(value, 1);
      out.push(...b);
    } else {
      const b = Buffer.alloc(9);
      b[0] = 0xcb;
      b.writeDoubleBE(value, 1);
      out.push(...b);
    }
  } else if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    out.push(...header(0xa0, 31, [0xd9, 0xda, 0xdb], bytes.length), ...bytes);
  } else if (value instanceof MsgpackUint64) {
    const b = Buffer.alloc(9);
    b[0] = 0xcf;
    b.writeBigUInt64BE(value.value, 1);
    out.push(...b);
  } else if (value instanceof MsgpackRaw) {
    for (const byte of value.bytes) out.push(byte);
  } else if (value instanceof Uint8Array) {
    out.push(...header(0, -1, [0xc4, 0xc5, 0xc6], value.length));
    for (const byte of value) out.push(byte);
  } else if (Array.isArray(value)) {
    out.push(...header(0x90, 15, [0, 0xdc, 0xdd], value.length));
    for (const item of value) write(item, out);
  } else {
    const entries = value instanceof MsgpackMap ? value.entries : Object.entries(value);
    out.push(...header(0x80, 15, [0, 0xde, 0xdf], entries.length));
    for (const [key, item] of entries) {
      write(key, out);
      write(item, out);
    }
  }
}

/** Encodes `value` as MessagePack. */
export function pack(value: MsgpackValue): Buffer {
  const out: number[] = [];
  write(value, out);
  return Buffer.from(out);
}

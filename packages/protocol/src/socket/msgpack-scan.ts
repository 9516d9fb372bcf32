import { ProtocolError, ProtocolErrorCode } from "../errors.js";

function truncated(): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.PARSER_ERROR,
    "msgpack: a length or count reaches past the end of the message",
  );
}

/** Big-endian unsigned integer of `size` bytes (1, 2 or 4) at `pos`. */
function readLength(bytes: Uint8Array, pos: number, size: number): number {
  if (pos + size > bytes.length) throw truncated();
  let n = 0;
  for (let i = 0; i < size; i++) n = n * 256 + bytes[pos + i]!;
  return n;
}

/**
 * Checks the structure of one MessagePack value (msgpack spec, "formats") without decoding
 * it: every declared string, binary and extension length fits in the bytes left, every array
 * and map declares no more items than bytes left (an item takes at least one byte), nesting
 * stays within `maxDepth`, and the value ends exactly at the end of the message. Linear in
 * the message's bytes, iterative, allocating one small stack.
 *
 * Why: a msgpack decoder such as notepack.io (under socket.io-msgpack-parser) trusts those
 * headers — `new Array(count)` before reading any item — so a 5-byte array32 header
 * declaring 30 million items costs 240 MB and 1.7 s of a blocked event loop (measured, Node
 * 20), and deep nesting recurses until the stack overflows. The built-in codec's cost is
 * bounded by the message's size; this keeps a msgpack parser's bounded the same way.
 *
 * @throws ProtocolError `SB_ERR_PARSER_ERROR` (a header past the end, the never-used byte
 *   0xc1, trailing bytes), `SB_ERR_DATA_TOO_DEEP` (nesting beyond `maxDepth`)
 * @example
 * ```ts
 * scanMsgpack(new Uint8Array([0x92, 0x01, 0xc0]), 10); // [1, nil]: fine
 * scanMsgpack(new Uint8Array([0xdd, 0x01, 0xc9, 0xc3, 0x80]), 10); // throws SB_ERR_PARSER_ERROR
 * ```
 */
export function scanMsgpack(bytes: Uint8Array, maxDepth: number): void {
  const end = bytes.length;
  /** Items still to read in each enclosing container. */
  const open: number[] = [];
  let left = 1; // the top-level value
  let pos = 0;
  for (;;) {
    while (left === 0) {
      if (open.length === 0) {
        if (pos !== end) {
          throw new ProtocolError(ProtocolErrorCode.PARSER_ERROR, "msgpack: trailing bytes");
        }
        return;
      }
      left = open.pop()!;
    }
    left--;
    if (pos >= end) throw truncated();
    const b = bytes[pos++]!;
    let skip = 0; // bytes of payload after the header
    let items = -1; // items of a container, -1 for a scalar
    if (b <= 0x7f || b >= 0xe0 || (b >= 0xc0 && b <= 0xc3 && b !== 0xc1)) {
      // fixint, negative fixint, nil, false, true
    } else if (b <= 0x8f) items = 2 * (b & 0x0f);
    else if (b <= 0x9f) items = b & 0x0f;
    else if (b <= 0xbf) skip = b & 0x1f;
    else {
      switch (b) {
        case 0xc4: // bin 8, 16, 32
        case 0xd9: // str 8, 16, 32
          skip = readLength(bytes, pos, 1);
          pos += 1;
          break;
        case 0xc5:
        case 0xda:
          skip = readLength(bytes, pos, 2);
          pos += 2;
          break;
        case 0xc6:
        case 0xdb:
          skip = readLength(bytes, pos, 4);
          pos += 4;
          break;
        case 0xc7: // ext 8, 16, 32: length, then a type byte
          skip = readLength(bytes, pos, 1) + 1;
          pos += 1;
          break;
        case 0xc8:
          skip = readLength(bytes, pos, 2) + 1;
          pos += 2;
          break;
        case 0xc9:
          skip = readLength(bytes, pos, 4) + 1;
          pos += 4;
          break;
        case 0xcc:
        case 0xd0:
          skip = 1;
          break;
        case 0xcd:
        case 0xd1:
          skip = 2;
          break;
        case 0xca:
        case 0xce:
        case 0xd2:
          skip = 4;
          break;
        case 0xcb:
        case 0xcf:
        case 0xd3:
          skip = 8;
          break;
        case 0xd4: // fixext 1, 2, 4, 8, 16 (plus the type byte)
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8:
          skip = 1 + 2 ** (b - 0xd4);
          break;
        case 0xdc:
          items = readLength(bytes, pos, 2);
          pos += 2;
          break;
        case 0xdd:
          items = readLength(bytes, pos, 4);
          pos += 4;
          break;
        case 0xde:
          items = 2 * readLength(bytes, pos, 2);
          pos += 2;
          break;
        case 0xdf:
          items = 2 * readLength(bytes, pos, 4);
          pos += 4;
          break;
        default: // 0xc1, never used
          throw new ProtocolError(ProtocolErrorCode.PARSER_ERROR, "msgpack: byte 0xc1");
      }
    }
    if (items >= 0) {
      if (items > end - pos) throw truncated();
      if (items > 0) {
        if (open.length >= maxDepth) {
          throw new ProtocolError(ProtocolErrorCode.DATA_TOO_DEEP, "payload nests too deep");
        }
        open.push(left);
        left = items;
      }
    } else {
      if (skip > end - pos) throw truncated();
      pos += skip;
    }
  }
}

const PROBE = { type: 2, nsp: "/", data: ["probe", 1] };
const speaksMsgpack = new WeakMap<object, boolean>();

/**
 * Whether a parser's encoder writes MessagePack: a probe EVENT encodes to one binary chunk
 * that is exactly one msgpack map. Tells by behaviour, once per parser (cached); decoders of
 * such parsers get {@link scanMsgpack} on every binary message. A parser that writes text
 * (socket.io-parser) or anything else is not scanned.
 */
export function isMsgpackParser(parser: {
  Encoder: new () => { encode(packet: unknown): unknown };
}): boolean {
  let known = speaksMsgpack.get(parser);
  if (known === undefined) {
    known = false;
    try {
      const chunks = new parser.Encoder().encode(PROBE);
      const chunk: unknown = Array.isArray(chunks) && chunks.length === 1 ? chunks[0] : undefined;
      const bytes =
        chunk instanceof Uint8Array
          ? chunk
          : chunk instanceof ArrayBuffer
            ? new Uint8Array(chunk)
            : undefined;
      const first = bytes?.[0];
      if (
        bytes !== undefined &&
        first !== undefined &&
        ((first & 0xf0) === 0x80 || first === 0xde || first === 0xdf)
      ) {
        scanMsgpack(bytes, 8);
        known = true;
      }
    } catch {
      known = false;
    }
    speaksMsgpack.set(parser, known);
  }
  return known;
}

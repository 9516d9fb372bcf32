/**
 * A pickle reader restricted to plain data, for the messages python-socketio (up to 5.13)
 * and Flask-SocketIO publish on their Redis channel (`pickle.dumps(dict)`).
 *
 * Only the opcodes of binary pickle protocols 2 to 5 that build plain values are read:
 * None, booleans, integers, floats, str, bytes/bytearray, lists, tuples, dicts, sets and
 * frozensets, with the memo. Any opcode that names a class or calls something (GLOBAL,
 * STACK_GLOBAL, REDUCE, BUILD, INST, OBJ, NEWOBJ, NEWOBJ_EX, PERSID, BINPERSID, EXT1/2/4,
 * out-of-band buffers) stops the read with a {@link PickleError}: nothing is constructed,
 * nothing runs. A pickle must start with the PROTO opcode of protocol 2 to 5 (Python 3
 * writes protocol 4 by default, 5 from Python 3.14): protocols 0 and 1 are refused. What
 * older protocols write as a call is refused like any call: bytes in protocol 2,
 * bytearray before protocol 5, sets before protocol 4.
 *
 * Why not a pickle library from npm: the ones there decode classes into placeholder objects
 * and have no notion of a whitelist or of input bounds; this reader is a whitelist by
 * construction and bounds every dimension (see {@link PickleLimits}).
 *
 * The result is a tree of fresh JS values: dict → plain object (keys str, or int/bool/None
 * converted to their JSON text as Python's `json` does; `__proto__` is an own property),
 * list/set/frozenset → array, tuple → array marked so {@link isTuple} answers true (a tuple
 * of arguments means several event arguments), bytes/bytearray → Buffer, int → number
 * (outside ±2^53 → error). A value referenced twice through the memo is copied twice into
 * the tree (so the tree is JSON-safe); a cyclic reference is an error.
 */

/** Bounds on one pickle. */
export interface PickleLimits {
  /** Most bytes read. Default 1 MiB. */
  maxBytes: number;
  /** Deepest nesting of containers. Default 32. */
  maxDepth: number;
  /** Most values in the resulting tree, memo references expanded. Default 100,000. */
  maxNodes: number;
}

export const DEFAULT_PICKLE_LIMITS: Readonly<PickleLimits> = Object.freeze({
  maxBytes: 1024 * 1024,
  maxDepth: 32,
  maxNodes: 100_000,
});

/** Why a pickle was refused. `code` is stable. */
export class PickleError extends Error {
  override readonly name = "PickleError";
  constructor(
    readonly code:
      | "SB_ERR_PICKLE_FORBIDDEN_OPCODE"
      | "SB_ERR_PICKLE_MALFORMED"
      | "SB_ERR_PICKLE_TOO_LARGE"
      | "SB_ERR_PICKLE_TOO_DEEP"
      | "SB_ERR_PICKLE_CYCLE"
      | "SB_ERR_PICKLE_INTEGER_RANGE",
    message: string,
  ) {
    super(message);
  }
}

/** Arrays built from Python tuples. */
const tuples = new WeakSet<object>();

/** Whether `value` was a Python tuple (several event arguments, for python-socketio). */
export function isTuple(value: unknown): value is unknown[] {
  return typeof value === "object" && value !== null && tuples.has(value);
}

/** Whether `data` starts like a binary pickle (PROTO opcode, protocol 2 to 5). */
export function looksLikePickle(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x80 && data[1]! >= 2 && data[1]! <= 5;
}

// ---- the graph read from the opcodes, before it becomes a tree ----

enum Kind {
  List,
  Tuple,
  Dict,
  Set,
}

/** A container while it is read (it may still grow after it was memoized). */
interface Node {
  kind: Kind;
  items: Value[];
}
type Value = null | boolean | number | string | Buffer | Node;

const MARK: unique symbol = Symbol("mark");
type StackItem = Value | typeof MARK;

const isNode = (v: unknown): v is Node =>
  typeof v === "object" && v !== null && !Buffer.isBuffer(v) && "kind" in v;

/** Opcodes that name a class, call something, or reference data outside the pickle. */
const FORBIDDEN: Record<number, string> = {
  99: "GLOBAL",
  147: "STACK_GLOBAL",
  82: "REDUCE",
  98: "BUILD",
  105: "INST",
  111: "OBJ",
  129: "NEWOBJ",
  146: "NEWOBJ_EX",
  80: "PERSID",
  81: "BINPERSID",
  130: "EXT1",
  131: "EXT2",
  132: "EXT4",
  151: "NEXT_BUFFER",
  152: "READONLY_BUFFER",
};

class Reader {
  #pos = 0;
  readonly #stack: StackItem[] = [];
  readonly #memo = new Map<number, Value>();

  constructor(readonly buf: Buffer) {}

  #need(n: number): number {
    const at = this.#pos;
    if (n < 0 || at + n > this.buf.length) malformed(`truncated at byte ${at}`);
    this.#pos = at + n;
    return at;
  }
  #u8(): number {
    return this.buf[this.#need(1)]!;
  }
  #u16(): number {
    return this.buf.readUInt16LE(this.#need(2));
  }
  #u32(): number {
    return this.buf.readUInt32LE(this.#need(4));
  }
  #u64(): number {
    const at = this.#need(8);
    const high = this.buf.readUInt32LE(at + 4);
    // a length this large cannot fit in the input anyway
    if (high !== 0) malformed("length over 4 GiB");
    return this.buf.readUInt32LE(at);
  }
  #bytes(n: number): Buffer {
    const at = this.#need(n);
    return this.buf.subarray(at, at + n);
  }
  #pop(): Value {
    const v = this.#stack.pop();
    if (v === undefined || v === MARK) malformed("stack underflow");
    return v;
  }
  #top(): Value {
    const v = this.#stack[this.#stack.length - 1];
    if (v === undefined || v === MARK) malformed("stack underflow");
    return v;
  }
  /** Pops everything down to the topmost mark (the mark too). */
  #popMark(): Value[] {
    const stack = this.#stack;
    let i = stack.length - 1;
    while (i >= 0 && stack[i] !== MARK) i--;
    if (i < 0) malformed("no mark");
    const items = stack.splice(i) as Value[];
    items.shift();
    return items;
  }
  #container(kind: Kind, v: Value): Node {
    if (!isNode(v) || v.kind !== kind) malformed("wrong container");
    return v;
  }
  #push(v: Value): void {
    this.#stack.push(v);
  }

  read(): Value {
    const buf = this.buf;
    if (!looksLikePickle(buf)) malformed("not a binary pickle of protocol 2 to 5 (no PROTO first)");
    while (this.#pos < buf.length) {
      const op = this.#u8();
      switch (op) {
        case 0x80: {
          // PROTO
          const proto = this.#u8();
          if (proto < 2 || proto > 5) malformed(`protocol ${proto}`);
          break;
        }
        case 0x95: // FRAME: a length hint, the opcodes follow inline
          this.#u64();
          break;
        case 0x2e: {
          // STOP
          const result = this.#pop();
          if (this.#stack.length !== 0) malformed("values left on the stack");
          if (this.#pos !== buf.length) malformed("bytes after STOP");
          return result;
        }
        case 0x28: // MARK
          this.#stack.push(MARK);
          break;
        case 0x30: // POP
          if (this.#stack.pop() === undefined) malformed("stack underflow");
          break;
        case 0x31: // POP_MARK
          this.#popMark();
          break;
        case 0x32: // DUP
          this.#push(this.#top());
          break;
        case 0x4e: // NONE
          this.#push(null);
          break;
        case 0x88: // NEWTRUE
          this.#push(true);
          break;
        case 0x89: // NEWFALSE
          this.#push(false);
          break;
        case 0x4a: // BININT
          this.#push(buf.readInt32LE(this.#need(4)));
          break;
        case 0x4b: // BININT1
          this.#push(this.#u8());
          break;
        case 0x4d: // BININT2
          this.#push(this.#u16());
          break;
        case 0x8a: // LONG1
          this.#push(long(this.#bytes(this.#u8())));
          break;
        case 0x8b: {
          // LONG4
          const n = buf.readInt32LE(this.#need(4));
          if (n < 0) malformed("negative LONG4 length");
          this.#push(long(this.#bytes(n)));
          break;
        }
        case 0x47: // BINFLOAT (big-endian double)
          this.#push(buf.readDoubleBE(this.#need(8)));
          break;
        case 0x58: // BINUNICODE
          this.#push(utf8(this.#bytes(this.#u32())));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.#push(utf8(this.#bytes(this.#u8())));
          break;
        case 0x8d: // BINUNICODE8
          this.#push(utf8(this.#bytes(this.#u64())));
          break;
        case 0x43: // SHORT_BINBYTES
          this.#push(Buffer.from(this.#bytes(this.#u8())));
          break;
        case 0x42: // BINBYTES
          this.#push(Buffer.from(this.#bytes(this.#u32())));
          break;
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          this.#push(Buffer.from(this.#bytes(this.#u64())));
          break;
        case 0x5d: // EMPTY_LIST
          this.#push({ kind: Kind.List, items: [] });
          break;
        case 0x6c: // LIST
          this.#push({ kind: Kind.List, items: this.#popMark() });
          break;
        case 0x29: // EMPTY_TUPLE
          this.#push({ kind: Kind.Tuple, items: [] });
          break;
        case 0x74: // TUPLE
          this.#push({ kind: Kind.Tuple, items: this.#popMark() });
          break;
        case 0x85: // TUPLE1
        case 0x86: // TUPLE2
        case 0x87: {
          // TUPLE3
          const n = op - 0x84;
          const items: Value[] = new Array(n);
          for (let i = n - 1; i >= 0; i--) items[i] = this.#pop();
          this.#push({ kind: Kind.Tuple, items });
          break;
        }
        case 0x7d: // EMPTY_DICT
          this.#push({ kind: Kind.Dict, items: [] });
          break;
        case 0x64: {
          // DICT
          const items = this.#popMark();
          if (items.length % 2 !== 0) malformed("odd number of dict items");
          this.#push({ kind: Kind.Dict, items });
          break;
        }
        case 0x8f: // EMPTY_SET
          this.#push({ kind: Kind.Set, items: [] });
          break;
        case 0x91: // FROZENSET
          this.#push({ kind: Kind.Set, items: this.#popMark() });
          break;
        case 0x61: {
          // APPEND
          const v = this.#pop();
          this.#container(Kind.List, this.#top()).items.push(v);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.#popMark();
          const list = this.#container(Kind.List, this.#top());
          for (const v of items) list.items.push(v);
          break;
        }
        case 0x90: {
          // ADDITEMS
          const items = this.#popMark();
          const set = this.#container(Kind.Set, this.#top());
          for (const v of items) set.items.push(v);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = this.#pop();
          const k = this.#pop();
          this.#container(Kind.Dict, this.#top()).items.push(k, v);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.#popMark();
          if (items.length % 2 !== 0) malformed("odd number of dict items");
          const dict = this.#container(Kind.Dict, this.#top());
          for (const v of items) dict.items.push(v);
          break;
        }
        case 0x94: // MEMOIZE
          this.#memo.set(this.#memo.size, this.#top());
          break;
        case 0x71: // BINPUT
          this.#memo.set(this.#u8(), this.#top());
          break;
        case 0x72: // LONG_BINPUT
          this.#memo.set(this.#u32(), this.#top());
          break;
        case 0x68: // BINGET
          this.#push(this.#get(this.#u8()));
          break;
        case 0x6a: // LONG_BINGET
          this.#push(this.#get(this.#u32()));
          break;
        default: {
          const name = FORBIDDEN[op];
          if (name !== undefined) {
            throw new PickleError(
              "SB_ERR_PICKLE_FORBIDDEN_OPCODE",
              `pickle opcode ${name} (0x${op.toString(16)}) refused: only plain data is read`,
            );
          }
          malformed(`unsupported opcode 0x${op.toString(16)} at byte ${this.#pos - 1}`);
        }
      }
    }
    malformed("no STOP");
  }

  #get(key: number): Value {
    const v = this.#memo.get(key);
    if (v === undefined) malformed(`memo key ${key} unset`);
    return v;
  }
}

function malformed(why: string): never {
  throw new PickleError("SB_ERR_PICKLE_MALFORMED", `malformed pickle: ${why}`);
}

const decoder = new TextDecoder("utf-8", { fatal: true });
function utf8(bytes: Buffer): string {
  try {
    return decoder.decode(bytes);
  } catch {
    // Python writes lone surrogates with "surrogatepass"; they are not valid UTF-8 here
    return malformed("invalid UTF-8 in a str");
  }
}

/** A little-endian two's complement integer (LONG1/LONG4). */
function long(bytes: Buffer): number {
  if (bytes.length === 0) return 0;
  if (bytes.length > 8) {
    throw new PickleError("SB_ERR_PICKLE_INTEGER_RANGE", "integer wider than 64 bits");
  }
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(bytes.length * 8);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new PickleError("SB_ERR_PICKLE_INTEGER_RANGE", `integer ${v} outside ±2^53`);
  }
  return Number(v);
}

/** The read graph as a fresh tree, within the depth and node bounds, refusing cycles. */
function toTree(root: Value, limits: PickleLimits): unknown {
  let nodes = 0;
  const open = new Set<Node>();
  const walk = (v: Value, depth: number): unknown => {
    if (++nodes > limits.maxNodes) {
      throw new PickleError(
        "SB_ERR_PICKLE_TOO_LARGE",
        `pickle expands to more than ${limits.maxNodes} values`,
      );
    }
    if (!isNode(v)) return v;
    if (depth >= limits.maxDepth) {
      throw new PickleError(
        "SB_ERR_PICKLE_TOO_DEEP",
        `pickle nested deeper than ${limits.maxDepth}`,
      );
    }
    if (open.has(v)) throw new PickleError("SB_ERR_PICKLE_CYCLE", "pickle holds a cycle");
    open.add(v);
    let out: unknown;
    if (v.kind === Kind.Dict) {
      const obj: Record<string, unknown> = {};
      for (let i = 0; i < v.items.length; i += 2) {
        const key = dictKey(v.items[i]!);
        const value = walk(v.items[i + 1]!, depth + 1);
        if (key === "__proto__") {
          Object.defineProperty(obj, key, {
            value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else {
          obj[key] = value;
        }
      }
      out = obj;
    } else {
      const arr = v.items.map((item) => walk(item, depth + 1));
      if (v.kind === Kind.Tuple) tuples.add(arr);
      out = arr;
    }
    open.delete(v);
    return out;
  };
  return walk(root, 0);
}

/** A dict key as Python's `json.dumps` writes it: str as is, int/float/bool/None as text. */
function dictKey(k: Value): string {
  if (typeof k === "string") return k;
  if (typeof k === "number") return String(k);
  if (k === true) return "true";
  if (k === false) return "false";
  if (k === null) return "null";
  return malformed("dict key is not a str, int, float, bool or None");
}

/**
 * Reads one pickle of plain data. Throws {@link PickleError} on anything else: a forbidden
 * opcode, malformed or truncated input, or a bound of `limits` exceeded.
 */
export function unpickle(data: Uint8Array, limits: Partial<PickleLimits> = {}): unknown {
  const bounds = { ...DEFAULT_PICKLE_LIMITS, ...limits };
  if (data.length > bounds.maxBytes) {
    throw new PickleError(
      "SB_ERR_PICKLE_TOO_LARGE",
      `pickle of ${data.length} bytes over the ${bounds.maxBytes}-byte limit`,
    );
  }
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
  return toTree(new Reader(buf).read(), bounds);
}

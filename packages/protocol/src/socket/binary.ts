import { ProtocolError, ProtocolErrorCode } from "../errors.js";
import { MAX_ENCODE_DEPTH } from "../limits.js";

type Constructor = abstract new (...args: never[]) => object;

// Blob exists in browsers and Node 18+; the protocol package must not depend on DOM types.
const BlobConstructor: Constructor | undefined = (() => {
  const candidate = (globalThis as { Blob?: unknown }).Blob;
  return typeof candidate === "function" ? (candidate as Constructor) : undefined;
})();

/** Thrown internally when a walk goes deeper than MAX_ENCODE_DEPTH; turned into a ProtocolError. */
const DEPTH_EXCEEDED: unique symbol = Symbol("depth exceeded");

/**
 * Whether `value` is one binary value in the Socket.IO sense: an `ArrayBuffer`, any
 * `ArrayBufferView` (`Uint8Array`, Node `Buffer`, `DataView`, …), or a `Blob` where `Blob` exists.
 *
 * @example
 * ```ts
 * isBinary(new Uint8Array(2)); // true
 * isBinary({ bytes: new Uint8Array(2) }); // false: see hasBinary
 * ```
 */
export function isBinary(value: unknown): boolean {
  return typeof value === "object" && value !== null && isBinaryObject(value);
}

function isBinaryObject(value: object): boolean {
  return (
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value) ||
    (BlobConstructor !== undefined && value instanceof BlobConstructor)
  );
}

/** Whether `value` is a Blob (where Blob exists). Blob attachments cannot be converted synchronously. */
export function isBlob(value: unknown): boolean {
  return BlobConstructor !== undefined && value instanceof BlobConstructor;
}

function callToJSON(value: object, key: string | number): unknown | typeof NO_TO_JSON {
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON !== "function") return NO_TO_JSON;
  return toJSON.call(value, typeof key === "string" ? key : String(key));
}
const NO_TO_JSON: unique symbol = Symbol("no toJSON");

function walk(value: object, depth: number, resolved: boolean): boolean {
  if (isBinaryObject(value)) return true;
  if (depth > MAX_ENCODE_DEPTH) throw DEPTH_EXCEEDED;
  if (!resolved) {
    // JSON.stringify serialises what toJSON returns (socket.io semantics: Date, custom classes)
    const replaced = callToJSON(value, "");
    if (replaced !== NO_TO_JSON) {
      return typeof replaced === "object" && replaced !== null && walk(replaced, depth, true);
    }
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === "object" && item !== null && walk(item, depth + 1, false)) return true;
    }
    return false;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item: unknown = (value as Record<string, unknown>)[key];
    if (typeof item === "object" && item !== null && walk(item, depth + 1, false)) return true;
  }
  return false;
}

/**
 * Whether `value` is or contains a binary value (see {@link isBinary}), looking through
 * arrays, plain objects and `toJSON` results the way `JSON.stringify` does. Primitives
 * return immediately.
 *
 * @throws ProtocolError `SB_ERR_CYCLIC_DATA` for cyclic data, `SB_ERR_DATA_TOO_DEEP` beyond `MAX_ENCODE_DEPTH` levels
 * @example
 * ```ts
 * hasBinary(["upload", { file: new Uint8Array(3) }]); // true
 * hasBinary(["chat", "hi"]); // false
 * ```
 */
export function hasBinary(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  try {
    return walk(value, 0, false);
  } catch (err) {
    if (err === DEPTH_EXCEEDED) throw depthError(value);
    throw err;
  }
}

/** The error for data that went past MAX_ENCODE_DEPTH: cyclic, or genuinely too deep. */
export function depthError(root: unknown): ProtocolError {
  return isCyclic(root)
    ? new ProtocolError(ProtocolErrorCode.CYCLIC_DATA, "cannot encode cyclic data")
    : new ProtocolError(
        ProtocolErrorCode.DATA_TOO_DEEP,
        `data is nested deeper than ${MAX_ENCODE_DEPTH} levels`,
      );
}

function childrenOf(value: object, resolved: boolean): unknown[] {
  if (isBinaryObject(value)) return [];
  if (!resolved) {
    const replaced = callToJSON(value, "");
    if (replaced !== NO_TO_JSON) return [RESOLVED, replaced];
  }
  if (Array.isArray(value)) return value;
  return Object.values(value);
}
/** Marker in a children list: the next child is a toJSON result (not to be toJSON'd again) at the same level. */
const RESOLVED: unique symbol = Symbol("resolved");

/**
 * Iterative depth-first search for a cycle (an object reachable from itself), bounded so
 * that endless toJSON chains terminate. Iterative so that it cannot overflow the stack.
 */
function isCyclic(root: unknown): boolean {
  if (typeof root !== "object" || root === null) return false;
  const onPath = new Set<object>([root]);
  const stack: { value: object; children: unknown[]; index: number }[] = [
    { value: root, children: childrenOf(root, false), index: 0 },
  ];
  const bound = MAX_ENCODE_DEPTH * 4;
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.index >= frame.children.length) {
      stack.pop();
      // a toJSON result may be the object itself; only drop the entry when no outer frame holds it
      if (!stack.some((f) => f.value === frame.value)) onPath.delete(frame.value);
      continue;
    }
    let child = frame.children[frame.index++];
    let resolved = false;
    if (child === RESOLVED) {
      child = frame.children[frame.index++];
      resolved = true;
      if (child === frame.value) {
        // `toJSON() { return this }`: serialised as a plain object, not a cycle
        stack.push({ value: frame.value, children: childrenOf(frame.value, true), index: 0 });
        continue;
      }
    }
    if (typeof child !== "object" || child === null) continue;
    if (onPath.has(child)) return true;
    if (stack.length > bound) return false;
    onPath.add(child);
    stack.push({ value: child, children: childrenOf(child, resolved), index: 0 });
  }
  return false;
}

/** A binary value as sent in an attachment: Uint8Array / ArrayBuffer / Blob as is, other views as a Uint8Array over the same bytes. */
export function toAttachment(value: object): Uint8Array | ArrayBuffer {
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return value;
  if (ArrayBuffer.isView(value)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  // Blob: passed through unchanged (see encodeSocketPacket)
  return value as Uint8Array;
}

/** `target[key] = value`, also for the key `__proto__` (which an assignment would treat as the prototype). */
export function setOwn(target: object, key: string | number, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    (target as Record<string | number, unknown>)[key] = value;
  }
}

function deconstructValue(
  value: unknown,
  key: string | number,
  depth: number,
  resolved: boolean,
  attachments: (Uint8Array | ArrayBuffer)[],
): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (isBinaryObject(value)) {
    const placeholder = { _placeholder: true, num: attachments.length };
    attachments.push(toAttachment(value));
    return placeholder;
  }
  if (depth > MAX_ENCODE_DEPTH) throw DEPTH_EXCEEDED;
  if (!resolved) {
    const replaced = callToJSON(value, key);
    if (replaced !== NO_TO_JSON) return deconstructValue(replaced, key, depth, true, attachments);
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      copy[i] = deconstructValue(value[i], i, depth + 1, false, attachments);
    }
    return copy;
  }
  const copy: Record<string, unknown> = {};
  for (const k in value) {
    if (!Object.hasOwn(value, k)) continue;
    setOwn(
      copy,
      k,
      deconstructValue((value as Record<string, unknown>)[k], k, depth + 1, false, attachments),
    );
  }
  return copy;
}

/**
 * Replace every binary value in `data` by `{"_placeholder":true,"num":N}` and collect the
 * binary values in order. Builds new arrays and objects: the caller's data is never mutated.
 * Objects with `toJSON` are replaced by its result, as `JSON.stringify` would.
 *
 * @throws ProtocolError `SB_ERR_CYCLIC_DATA`, `SB_ERR_DATA_TOO_DEEP`
 * @example
 * ```ts
 * deconstructBinary(["file", new Uint8Array([1])]);
 * // { data: ["file", { _placeholder: true, num: 0 }], attachments: [Uint8Array [1]] }
 * ```
 */
export function deconstructBinary(data: unknown): {
  data: unknown;
  attachments: (Uint8Array | ArrayBuffer)[];
} {
  const attachments: (Uint8Array | ArrayBuffer)[] = [];
  try {
    return { data: deconstructValue(data, "", 0, false, attachments), attachments };
  } catch (err) {
    if (err === DEPTH_EXCEEDED) throw depthError(data);
    throw err;
  }
}

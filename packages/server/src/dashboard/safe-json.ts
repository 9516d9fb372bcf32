/**
 * `value` as JSON text of at most `maxChars` characters, for showing socket data: never
 * throws, walks no further than the budget (a huge object costs no more than a small one),
 * and shows what JSON cannot hold as text (`"[Circular]"`, `"[Buffer 12 bytes]"`,
 * `"123n"`, `"[Function]"`). Longer text is cut and ends with `…`.
 */
export function safeJson(value: unknown, maxChars: number): { text: string; truncated: boolean } {
  const out = new Budget(maxChars);
  try {
    write(value, out, new Set(), 0);
  } catch {
    // A getter or a proxy threw: the data is shown as that, the request still answers.
    return { text: '"[unreadable]"', truncated: false };
  }
  return out.done();
}

const MAX_DEPTH = 20;

class Budget {
  parts: string[] = [];
  length = 0;
  full = false;
  readonly #max: number;
  constructor(max: number) {
    this.#max = max;
  }
  add(text: string): void {
    if (this.full) return;
    if (this.length + text.length > this.#max) {
      this.parts.push(text.slice(0, Math.max(0, this.#max - this.length)));
      this.length = this.#max;
      this.full = true;
      return;
    }
    this.parts.push(text);
    this.length += text.length;
  }
  done(): { text: string; truncated: boolean } {
    const text = this.parts.join("");
    return this.full ? { text: `${text}…`, truncated: true } : { text, truncated: false };
  }
}

function write(value: unknown, out: Budget, seen: Set<object>, depth: number): void {
  if (out.full) return;
  switch (typeof value) {
    case "string":
      out.add(JSON.stringify(value.length > 4096 ? `${value.slice(0, 4096)}…` : value));
      return;
    case "number":
      out.add(Number.isFinite(value) ? String(value) : "null");
      return;
    case "boolean":
      out.add(String(value));
      return;
    case "bigint":
      out.add(JSON.stringify(`${value}n`));
      return;
    case "undefined":
      out.add("null");
      return;
    case "function":
      out.add('"[Function]"');
      return;
    case "symbol":
      out.add(JSON.stringify(String(value)));
      return;
  }
  if (value === null) {
    out.add("null");
    return;
  }
  const object = value as object;
  if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer) {
    out.add(`"[${object.constructor.name} ${(object as ArrayBuffer).byteLength} bytes]"`);
    return;
  }
  if (seen.has(object)) {
    out.add('"[Circular]"');
    return;
  }
  if (depth >= MAX_DEPTH) {
    out.add('"[…]"');
    return;
  }
  if (object instanceof Date) {
    out.add(JSON.stringify(Number.isNaN(object.getTime()) ? null : object.toISOString()));
    return;
  }
  seen.add(object);
  if (Array.isArray(object) || object instanceof Set) {
    out.add("[");
    let first = true;
    for (const item of object) {
      if (out.full) break;
      if (!first) out.add(",");
      first = false;
      write(item, out, seen, depth + 1);
    }
    out.add("]");
  } else {
    const entries: Iterable<[unknown, unknown]> =
      object instanceof Map ? object.entries() : Object.entries(object);
    out.add("{");
    let first = true;
    for (const [key, item] of entries) {
      if (out.full) break;
      if (typeof item === "function" && !(object instanceof Map)) continue;
      if (!first) out.add(",");
      first = false;
      out.add(`${JSON.stringify(String(key))}:`);
      write(item, out, seen, depth + 1);
    }
    out.add("}");
  }
  seen.delete(object);
}

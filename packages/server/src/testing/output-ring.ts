/** Default size of each output ring of a child process, bytes (the last 64 KB are kept). */
export const DEFAULT_OUTPUT_LIMIT = 64 * 1024;

/**
 * The last `limit` bytes written to a stream, for debugging a child process: a fixed buffer
 * written round, so a chatty child costs `limit` bytes whatever it writes.
 */
export class OutputRing {
  readonly #buffer: Buffer;
  #end = 0;
  #full = false;
  #dropped = 0;

  constructor(limit = DEFAULT_OUTPUT_LIMIT) {
    if (!Number.isInteger(limit) || limit <= 0) {
      throw new TypeError(`outputLimit must be a positive integer (bytes), got ${limit}`);
    }
    this.#buffer = Buffer.alloc(limit);
  }

  /** Bytes written and no longer kept. */
  get dropped(): number {
    return this.#dropped;
  }

  write(chunk: Buffer | string): void {
    let bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    const size = this.#buffer.length;
    if (bytes.length >= size) {
      this.#dropped += this.#kept() + bytes.length - size;
      bytes.copy(this.#buffer, 0, bytes.length - size);
      this.#end = 0;
      this.#full = true;
      return;
    }
    const overflow = this.#kept() + bytes.length - size;
    if (overflow > 0) this.#dropped += overflow;
    const first = Math.min(bytes.length, size - this.#end);
    bytes.copy(this.#buffer, this.#end, 0, first);
    if (first < bytes.length) {
      bytes = bytes.subarray(first);
      bytes.copy(this.#buffer, 0);
      this.#end = bytes.length;
      this.#full = true;
    } else {
      this.#end += first;
      if (this.#end === size) {
        this.#end = 0;
        this.#full = true;
      }
    }
  }

  /** What is kept, as UTF-8 (a character cut at the start shows as U+FFFD). */
  text(): string {
    if (!this.#full) return this.#buffer.toString("utf8", 0, this.#end);
    return Buffer.concat([
      this.#buffer.subarray(this.#end),
      this.#buffer.subarray(0, this.#end),
    ]).toString("utf8");
  }

  #kept(): number {
    return this.#full ? this.#buffer.length : this.#end;
  }
}

import { randomUUID } from "node:crypto";
import { type FileHandle, mkdir, open, rename, unlink } from "node:fs/promises";
import { checkFileName, resolveInside } from "./safe-name.js";

/** Limits of the upload demo; every one is checked before a byte reaches the disk. */
export interface UploadLimits {
  /** Largest announced file size, in bytes. Default 50 MiB. */
  maxFileBytes: number;
  /** Largest chunk, in bytes. Default 1 MiB. */
  maxChunkBytes: number;
  /** Transfers one connection may have open at once. Default 8. */
  maxConcurrentPerOwner: number;
}

export const DEFAULT_UPLOAD_LIMITS: Readonly<UploadLimits> = {
  maxFileBytes: 50 * 1024 * 1024,
  maxChunkBytes: 1024 * 1024,
  maxConcurrentPerOwner: 8,
};

export type UploadErrorCode =
  | "bad-name"
  | "forbidden-extension"
  | "bad-size"
  | "too-large"
  | "too-many-uploads"
  | "unknown-id"
  | "bad-offset"
  | "bad-chunk"
  | "too-many-bytes"
  | "io-error";

export type UploadRefusal = { ok: false; code: UploadErrorCode; error: string };
export type StartResult =
  | { ok: true; id: string; name: string; chunkBytes: number }
  | UploadRefusal;
export type ChunkResult =
  | { ok: true; received: number; done: false }
  | { ok: true; received: number; done: true; file: string; name: string; size: number }
  | UploadRefusal;

interface Transfer {
  readonly id: string;
  readonly owner: string;
  readonly name: string;
  readonly size: number;
  readonly partPath: string;
  received: number;
  handle: Promise<FileHandle>;
  /** Chunks of one transfer are written one after the other, whatever the client does. */
  queue: Promise<unknown>;
  state: "open" | "closed";
}

const mebibytes = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;

const refuse = (code: UploadErrorCode, error: string): UploadRefusal => ({
  ok: false,
  code,
  error,
});

/**
 * Chunked uploads into one folder. Transfers belong to an owner (a socket id): an id of
 * another owner is as unknown as a made-up one. Partial data lives in `<id>.part` until
 * the announced size has arrived, then is renamed to `<short id>-<safe name>`.
 */
export class UploadStore {
  readonly #dir: string;
  readonly #limits: UploadLimits;
  readonly #byOwner = new Map<string, Map<string, Transfer>>();
  #ready: Promise<unknown> | undefined;

  constructor(dir: string, limits: Partial<UploadLimits> = {}) {
    this.#dir = dir;
    this.#limits = { ...DEFAULT_UPLOAD_LIMITS, ...limits };
  }

  get limits(): Readonly<UploadLimits> {
    return this.#limits;
  }

  /** Open transfers across every owner (for leak tests). */
  get openCount(): number {
    let n = 0;
    for (const m of this.#byOwner.values()) n += m.size;
    return n;
  }

  /** Announces a transfer. Nothing is created on disk when it is refused. */
  async start(owner: string, rawName: unknown, rawSize: unknown): Promise<StartResult> {
    const checked = checkFileName(rawName);
    if (!checked.ok) return refuse(checked.code, checked.error);
    if (typeof rawSize !== "number" || !Number.isSafeInteger(rawSize) || rawSize < 1) {
      return refuse("bad-size", "size must be a positive integer");
    }
    if (rawSize > this.#limits.maxFileBytes) {
      return refuse("too-large", `files over ${mebibytes(this.#limits.maxFileBytes)} are refused`);
    }
    const mine = this.#byOwner.get(owner) ?? new Map<string, Transfer>();
    if (mine.size >= this.#limits.maxConcurrentPerOwner) {
      return refuse("too-many-uploads", "too many transfers at once");
    }
    const id = randomUUID();
    const partPath = resolveInside(this.#dir, `${id}.part`);
    this.#ready ??= mkdir(this.#dir, { recursive: true });
    const handle = this.#ready.then(() => open(partPath, "wx"));
    // The handle's rejection is observed by the first write or by abort.
    handle.catch(() => {});
    const transfer: Transfer = {
      id,
      owner,
      name: checked.name,
      size: rawSize,
      partPath,
      received: 0,
      handle,
      queue: handle,
      state: "open",
    };
    mine.set(id, transfer);
    this.#byOwner.set(owner, mine);
    return { ok: true, id, name: checked.name, chunkBytes: this.#limits.maxChunkBytes };
  }

  /** Writes one chunk. Chunks must arrive in order: `offset` equals the bytes received. */
  write(
    owner: string,
    id: unknown,
    offset: unknown,
    bytes: Uint8Array | null,
  ): Promise<ChunkResult> {
    const transfer = typeof id === "string" ? this.#byOwner.get(owner)?.get(id) : undefined;
    if (!transfer) return Promise.resolve(refuse("unknown-id", "no such transfer"));
    const run = transfer.queue.then(
      () => this.#writeNow(transfer, offset, bytes),
      () => this.#writeNow(transfer, offset, bytes),
    );
    transfer.queue = run;
    return run;
  }

  async #writeNow(t: Transfer, offset: unknown, bytes: Uint8Array | null): Promise<ChunkResult> {
    if (t.state !== "open") return refuse("unknown-id", "transfer is closed");
    if (bytes === null || bytes.byteLength === 0) {
      return refuse("bad-chunk", "chunk must be non-empty binary data");
    }
    if (bytes.byteLength > this.#limits.maxChunkBytes) {
      return refuse("bad-chunk", `chunks over ${this.#limits.maxChunkBytes} bytes are refused`);
    }
    if (typeof offset !== "number" || offset !== t.received) {
      return refuse("bad-offset", `expected offset ${t.received}`);
    }
    if (offset + bytes.byteLength > t.size) {
      await this.#close(t);
      return refuse("too-many-bytes", `more bytes than the announced ${t.size}`);
    }
    try {
      const handle = await t.handle;
      await handle.write(bytes, 0, bytes.byteLength, offset);
      t.received += bytes.byteLength;
      if (t.received < t.size) return { ok: true, received: t.received, done: false };
      t.state = "closed";
      this.#forget(t);
      await handle.close();
      const file = `${t.id.slice(0, 8)}-${t.name}`;
      await rename(t.partPath, resolveInside(this.#dir, file));
      return { ok: true, received: t.received, done: true, file, name: t.name, size: t.size };
    } catch {
      await this.#close(t);
      return refuse("io-error", "could not write the file");
    }
  }

  /** Drops one transfer of this owner and deletes its partial file. */
  async abort(owner: string, id: unknown): Promise<boolean> {
    const t = typeof id === "string" ? this.#byOwner.get(owner)?.get(id) : undefined;
    if (!t) return false;
    await this.#closeAfterQueue(t);
    return true;
  }

  /** Drops every unfinished transfer of this owner (on disconnect). */
  async abortAll(owner: string): Promise<void> {
    const mine = this.#byOwner.get(owner);
    if (!mine) return;
    await Promise.all([...mine.values()].map((t) => this.#closeAfterQueue(t)));
  }

  #forget(t: Transfer): void {
    const mine = this.#byOwner.get(t.owner);
    mine?.delete(t.id);
    if (mine?.size === 0) this.#byOwner.delete(t.owner);
  }

  /** Closes a transfer from outside its write queue: later chunks are refused at once,
   *  the file is released after the chunk being written (if any). */
  #closeAfterQueue(t: Transfer): Promise<void> {
    const release = () => this.#close(t);
    const run = t.queue.then(release, release);
    this.#forget(t);
    t.queue = run;
    return run;
  }

  async #close(t: Transfer): Promise<void> {
    if (t.state === "closed") return;
    t.state = "closed";
    this.#forget(t);
    try {
      await (await t.handle).close();
    } catch {
      // never opened or already closed: nothing to release
    }
    await unlink(t.partPath).catch(() => {});
  }
}

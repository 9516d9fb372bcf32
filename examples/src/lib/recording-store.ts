import { randomBytes } from "node:crypto";
import { type FileHandle, mkdir, open, readdir, stat, unlink } from "node:fs/promises";
import { resolveInside } from "./safe-name.js";
import { type PcmFormat, parsePcmFormat, WAV_HEADER_BYTES, wavHeader } from "./wav.js";

/** Default bound on the sample bytes of one recording: 20 MiB (about 3.6 min at 48 kHz mono). */
export const DEFAULT_MAX_RECORDING_BYTES = 20 * 1024 * 1024;

export type RecordingErrorCode =
  | "bad-format"
  | "already-recording"
  | "not-recording"
  | "bad-chunk"
  | "too-long"
  | "io-error";

export type RecordingRefusal = { ok: false; code: RecordingErrorCode; error: string };

/** A finished recording as listed to the page. */
export interface RecordingInfo {
  file: string;
  bytes: number;
  createdAt: number;
}

interface Active {
  readonly file: string;
  readonly path: string;
  readonly format: PcmFormat;
  readonly blockAlign: number;
  dataBytes: number;
  handle: Promise<FileHandle>;
  queue: Promise<unknown>;
  state: "open" | "closed";
}

const refuse = (code: RecordingErrorCode, error: string): RecordingRefusal => ({
  ok: false,
  code,
  error,
});

/**
 * Streams 16-bit PCM into WAV files: a header with zero sizes is written first, chunks
 * are appended in arrival order, and `finish` rewrites the header with the real sizes.
 * One recording at a time per owner (a socket id); an owner that goes away mid-recording
 * loses it (the partial file is deleted).
 */
export class RecordingStore {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #active = new Map<string, Active>();
  #ready: Promise<unknown> | undefined;

  constructor(dir: string, maxBytes = DEFAULT_MAX_RECORDING_BYTES) {
    this.#dir = dir;
    this.#maxBytes = maxBytes;
  }

  get activeCount(): number {
    return this.#active.size;
  }

  start(owner: string, rawFormat: unknown): { ok: true; file: string } | RecordingRefusal {
    const format = parsePcmFormat(rawFormat);
    if (typeof format === "string") return refuse("bad-format", format);
    if (this.#active.has(owner)) return refuse("already-recording", "a recording is running");
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
    const file = `rec-${stamp}-${randomBytes(3).toString("hex")}.wav`;
    const path = resolveInside(this.#dir, file);
    this.#ready ??= mkdir(this.#dir, { recursive: true });
    const handle = this.#ready.then(async () => {
      const h = await open(path, "wx");
      await h.write(wavHeader(format, 0), 0, WAV_HEADER_BYTES, 0);
      return h;
    });
    handle.catch(() => {});
    this.#active.set(owner, {
      file,
      path,
      format,
      blockAlign: format.channels * 2,
      dataBytes: 0,
      handle,
      queue: handle,
      state: "open",
    });
    return { ok: true, file };
  }

  /** Appends sample bytes; a chunk must hold whole frames (a multiple of channels × 2). */
  append(
    owner: string,
    bytes: Uint8Array | null,
  ): Promise<{ ok: true; bytes: number } | RecordingRefusal> {
    const rec = this.#active.get(owner);
    if (!rec) return Promise.resolve(refuse("not-recording", "no recording is running"));
    if (bytes === null || bytes.byteLength === 0 || bytes.byteLength % rec.blockAlign !== 0) {
      return Promise.resolve(refuse("bad-chunk", "chunks must be whole 16-bit PCM frames"));
    }
    if (rec.dataBytes + bytes.byteLength > this.#maxBytes) {
      void this.discard(owner);
      return Promise.resolve(
        refuse("too-long", `recordings are limited to ${this.#maxBytes} bytes`),
      );
    }
    const at = WAV_HEADER_BYTES + rec.dataBytes;
    rec.dataBytes += bytes.byteLength;
    const run = rec.queue.then(async () => {
      const h = await rec.handle;
      await h.write(bytes, 0, bytes.byteLength, at);
      return { ok: true as const, bytes: rec.dataBytes };
    });
    rec.queue = run.catch(() => {});
    return run.catch(() => {
      void this.discard(owner);
      return refuse("io-error", "could not write the recording");
    });
  }

  /** Completes the WAV file (header sizes) and returns where it is. */
  async finish(
    owner: string,
  ): Promise<{ ok: true; file: string; bytes: number; durationMs: number } | RecordingRefusal> {
    const rec = this.#active.get(owner);
    if (!rec) return refuse("not-recording", "no recording is running");
    this.#active.delete(owner);
    rec.state = "closed";
    try {
      await rec.queue;
      const h = await rec.handle;
      await h.write(wavHeader(rec.format, rec.dataBytes), 0, WAV_HEADER_BYTES, 0);
      await h.close();
    } catch {
      await unlink(rec.path).catch(() => {});
      return refuse("io-error", "could not complete the recording");
    }
    const frames = rec.dataBytes / rec.blockAlign;
    return {
      ok: true,
      file: rec.file,
      bytes: WAV_HEADER_BYTES + rec.dataBytes,
      durationMs: Math.round((frames / rec.format.sampleRate) * 1000),
    };
  }

  /** Drops the running recording of this owner, if any, and deletes its file. */
  async discard(owner: string): Promise<void> {
    const rec = this.#active.get(owner);
    if (!rec) return;
    this.#active.delete(owner);
    rec.state = "closed";
    await rec.queue;
    await rec.handle.then((h) => h.close()).catch(() => {});
    await unlink(rec.path).catch(() => {});
  }

  /** Finished recordings, newest first. Files being written are not listed. */
  async list(): Promise<RecordingInfo[]> {
    const active = new Set([...this.#active.values()].map((r) => r.file));
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch {
      return [];
    }
    const out: RecordingInfo[] = [];
    for (const file of names) {
      if (!file.endsWith(".wav") || active.has(file)) continue;
      const s = await stat(resolveInside(this.#dir, file)).catch(() => null);
      if (s?.isFile()) out.push({ file, bytes: s.size, createdAt: s.mtimeMs });
    }
    return out.sort((a, b) => b.createdAt - a.createdAt || b.file.localeCompare(a.file));
  }
}

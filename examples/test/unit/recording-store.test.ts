import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RecordingStore } from "../../src/lib/recording-store.js";
import { parseWavHeader } from "../../src/lib/wav.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sb-audio-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const samples = (values: number[]) => new Uint8Array(Int16Array.from(values).buffer);

describe("RecordingStore", () => {
  it("writes a WAV whose header matches the samples appended", async () => {
    const store = new RecordingStore(dir);
    const started = store.start("s1", { sampleRate: 16_000, channels: 1 });
    if (!started.ok) throw new Error(started.error);
    expect(started.file).toMatch(/^rec-\d{8}T\d{6}-[0-9a-f]{6}\.wav$/);
    expect(await store.append("s1", samples([1, -1, 32767]))).toEqual({ ok: true, bytes: 6 });
    expect(await store.append("s1", samples([-32768]))).toEqual({ ok: true, bytes: 8 });
    const done = await store.finish("s1");
    expect(done).toMatchObject({ ok: true, file: started.file, bytes: 52, durationMs: 0 });
    const file = await readFile(path.join(dir, started.file));
    const info = parseWavHeader(file);
    expect(info).toMatchObject({
      sampleRate: 16_000,
      channels: 1,
      bitsPerSample: 16,
      dataBytes: 8,
      riffSize: 44,
    });
    expect(
      Array.from(new Int16Array(file.buffer.slice(file.byteOffset + 44, file.byteOffset + 52))),
    ).toEqual([1, -1, 32767, -32768]);
    expect((await store.list()).map((r) => r.file)).toEqual([started.file]);
  });

  it("refuses bad formats, a second start, stray chunks and partial frames", async () => {
    const store = new RecordingStore(dir);
    expect(store.start("s", { sampleRate: 1, channels: 1 })).toMatchObject({
      ok: false,
      code: "bad-format",
    });
    expect(await store.append("s", samples([1]))).toMatchObject({
      ok: false,
      code: "not-recording",
    });
    expect(await store.finish("s")).toMatchObject({ ok: false, code: "not-recording" });
    expect(store.start("s", { sampleRate: 48_000, channels: 2 })).toMatchObject({ ok: true });
    expect(store.start("s", { sampleRate: 48_000, channels: 2 })).toMatchObject({
      ok: false,
      code: "already-recording",
    });
    // stereo frames are 4 bytes: 2 bytes is half a frame
    expect(await store.append("s", samples([1]))).toMatchObject({ ok: false, code: "bad-chunk" });
    expect(await store.append("s", null)).toMatchObject({ ok: false, code: "bad-chunk" });
    expect(await store.append("s", samples([1, 2]))).toMatchObject({ ok: true, bytes: 4 });
    await store.discard("s");
  });

  it("stops a recording that grows past its bound and deletes the file", async () => {
    const store = new RecordingStore(dir, 8);
    store.start("s", { sampleRate: 8_000, channels: 1 });
    expect(await store.append("s", samples([1, 2, 3]))).toMatchObject({ ok: true });
    expect(await store.append("s", samples([4, 5, 6]))).toMatchObject({
      ok: false,
      code: "too-long",
    });
    expect(await store.append("s", samples([7]))).toMatchObject({
      ok: false,
      code: "not-recording",
    });
    await expect.poll(() => readdir(dir), { timeout: 5000 }).toEqual([]);
  });

  it("discard (disconnect) deletes the partial file and hides it from the list", async () => {
    const store = new RecordingStore(dir);
    store.start("s", { sampleRate: 8_000, channels: 1 });
    await store.append("s", samples([1, 2]));
    expect(await store.list()).toEqual([]);
    await store.discard("s");
    expect(store.activeCount).toBe(0);
    expect(await readdir(dir)).toEqual([]);
  });
});

import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UploadStore } from "../../src/lib/upload-store.js";

let root: string;
let dir: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "sb-uploads-"));
  dir = path.join(root, "data", "uploads");
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every file under `root`, relative: proves nothing was written outside `dir`. */
async function allFiles(): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

const bytes = (text: string) => new TextEncoder().encode(text);

async function startOk(store: UploadStore, owner: string, name: unknown, size: unknown) {
  const r = await store.start(owner, name, size);
  if (!r.ok) throw new Error(`start refused: ${r.error}`);
  return r;
}

describe("UploadStore", () => {
  it("writes chunks in order and renames the file when complete", async () => {
    const store = new UploadStore(dir);
    const { id, name } = await startOk(store, "a", "hello.txt", 11);
    expect(name).toBe("hello.txt");
    expect(await store.write("a", id, 0, bytes("hello "))).toEqual({
      ok: true,
      received: 6,
      done: false,
    });
    const last = await store.write("a", id, 6, bytes("world"));
    expect(last).toMatchObject({ ok: true, received: 11, done: true, name: "hello.txt", size: 11 });
    if (!last.ok || !last.done) throw new Error("not done");
    expect(last.file).toBe(`${id.slice(0, 8)}-hello.txt`);
    expect(await readFile(path.join(dir, last.file), "utf8")).toBe("hello world");
    expect(await allFiles()).toEqual([path.join("data", "uploads", last.file)]);
    expect(store.openCount).toBe(0);
  });

  it("writes hostile names inside its folder only", async () => {
    const store = new UploadStore(dir);
    for (const name of ["../../escape.txt", "/etc/cron.d/x", "..\\..\\win.ini", "a/../../b.txt"]) {
      const { id } = await startOk(store, "a", name, 1);
      expect(await store.write("a", id, 0, bytes("x"))).toMatchObject({ ok: true, done: true });
    }
    const files = await allFiles();
    expect(files).toHaveLength(4);
    for (const f of files) expect(path.dirname(f)).toBe(path.join("data", "uploads"));
  });

  it.each([
    ["NUL byte", "a\u0000.txt", 1, "bad-name"],
    ["dot-dot", "..", 1, "bad-name"],
    ["not a string", 42, 1, "bad-name"],
    [".exe", "setup.exe", 1, "forbidden-extension"],
    [".sh", "run.SH", 1, "forbidden-extension"],
    ["size zero", "a.txt", 0, "bad-size"],
    ["negative size", "a.txt", -5, "bad-size"],
    ["fractional size", "a.txt", 1.5, "bad-size"],
    ["string size", "a.txt", "10", "bad-size"],
    ["too large", "a.txt", 1025, "too-large"],
  ])("refuses %s without touching the disk", async (_label, name, size, expected) => {
    const store = new UploadStore(dir, { maxFileBytes: 1024 });
    expect(await store.start("a", name, size)).toMatchObject({ ok: false, code: expected });
    expect(await allFiles()).toEqual([]);
  });

  it("refuses offsets that are not the next byte, and bytes past the announced size", async () => {
    const store = new UploadStore(dir);
    const { id } = await startOk(store, "a", "f.bin", 4);
    expect(await store.write("a", id, 2, bytes("xx"))).toMatchObject({
      ok: false,
      code: "bad-offset",
    });
    expect(await store.write("a", id, 100, bytes("xx"))).toMatchObject({
      ok: false,
      code: "bad-offset",
    });
    expect(await store.write("a", id, -1, bytes("xx"))).toMatchObject({
      ok: false,
      code: "bad-offset",
    });
    expect(await store.write("a", id, "0", bytes("xx"))).toMatchObject({
      ok: false,
      code: "bad-offset",
    });
    expect(await store.write("a", id, 0, bytes("xx"))).toMatchObject({ ok: true, received: 2 });
    // 2 + 3 > 4: the transfer is dropped and its partial file deleted.
    expect(await store.write("a", id, 2, bytes("xyz"))).toMatchObject({
      ok: false,
      code: "too-many-bytes",
    });
    expect(await store.write("a", id, 2, bytes("xy"))).toMatchObject({
      ok: false,
      code: "unknown-id",
    });
    expect(await allFiles()).toEqual([]);
  });

  it("refuses non-binary, empty and oversized chunks", async () => {
    const store = new UploadStore(dir, { maxChunkBytes: 4 });
    const { id } = await startOk(store, "a", "f.bin", 10);
    expect(await store.write("a", id, 0, null)).toMatchObject({ ok: false, code: "bad-chunk" });
    expect(await store.write("a", id, 0, new Uint8Array(0))).toMatchObject({
      ok: false,
      code: "bad-chunk",
    });
    expect(await store.write("a", id, 0, new Uint8Array(5))).toMatchObject({
      ok: false,
      code: "bad-chunk",
    });
    expect(await store.write("a", id, 0, new Uint8Array(4))).toMatchObject({
      ok: true,
      received: 4,
    });
    await store.abortAll("a");
    expect(await allFiles()).toEqual([]);
  });

  it("treats unknown ids and ids of another owner alike", async () => {
    const store = new UploadStore(dir);
    const { id } = await startOk(store, "alice", "f.bin", 4);
    expect(await store.write("mallory", id, 0, bytes("evil"))).toMatchObject({
      ok: false,
      code: "unknown-id",
    });
    expect(await store.write("alice", "nope", 0, bytes("good"))).toMatchObject({
      ok: false,
      code: "unknown-id",
    });
    expect(await store.write("alice", { id }, 0, bytes("good"))).toMatchObject({
      ok: false,
      code: "unknown-id",
    });
    expect(await store.abort("mallory", id)).toBe(false);
    expect(await store.write("alice", id, 0, bytes("good"))).toMatchObject({
      ok: true,
      done: true,
    });
  });

  it("serialises concurrent chunks of one transfer", async () => {
    const store = new UploadStore(dir);
    const { id } = await startOk(store, "a", "f.txt", 6);
    const results = await Promise.all([
      store.write("a", id, 0, bytes("ab")),
      store.write("a", id, 2, bytes("cd")),
      store.write("a", id, 4, bytes("ef")),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    const last = results[2];
    if (!last?.ok || !last.done) throw new Error("not done");
    expect(await readFile(path.join(dir, last.file), "utf8")).toBe("abcdef");
  });

  it("deletes partial files on abortAll (disconnect) and forgets the owner", async () => {
    const store = new UploadStore(dir);
    const one = await startOk(store, "a", "one.txt", 10);
    const two = await startOk(store, "a", "two.txt", 10);
    const other = await startOk(store, "b", "other.txt", 2);
    await store.write("a", one.id, 0, bytes("12345"));
    await store.write("a", two.id, 0, bytes("123"));
    expect((await allFiles()).filter((f) => f.endsWith(".part"))).toHaveLength(3);
    await store.abortAll("a");
    expect(store.openCount).toBe(1);
    expect(await allFiles()).toEqual([path.join("data", "uploads", `${other.id}.part`)]);
    expect(await store.write("a", one.id, 5, bytes("x"))).toMatchObject({
      ok: false,
      code: "unknown-id",
    });
  });

  it("bounds concurrent transfers per owner", async () => {
    const store = new UploadStore(dir, { maxConcurrentPerOwner: 2 });
    await startOk(store, "a", "1.txt", 1);
    await startOk(store, "a", "2.txt", 1);
    expect(await store.start("a", "3.txt", 1)).toMatchObject({
      ok: false,
      code: "too-many-uploads",
    });
    await startOk(store, "b", "3.txt", 1);
    await store.abortAll("a");
    await store.abortAll("b");
  });
});

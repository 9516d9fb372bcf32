import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ask, filesUnder, type Harness, once, startHarness } from "./helpers.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ uploadLimits: { maxFileBytes: 1024 } });
});
afterEach(async () => {
  await h.close();
});

const inUploads = (files: string[]) => files.every((f) => path.dirname(f) === "uploads");

describe("/uploads over the wire", () => {
  it("stores a hostile name inside the data folder and acknowledges each chunk", async () => {
    const s = h.connect("/uploads");
    await once(s, "connect");
    const started = await ask(s, "upload:start", { name: "../../../etc/evil.txt", size: 5 });
    expect(started).toMatchObject({ ok: true, name: "evil.txt" });
    expect(
      await ask(s, "upload:chunk", { id: started.id, offset: 0, data: Buffer.from("abc") }),
    ).toMatchObject({
      ok: true,
      received: 3,
      done: false,
    });
    const done = await ask(s, "upload:chunk", {
      id: started.id,
      offset: 3,
      data: Buffer.from("de"),
    });
    expect(done).toMatchObject({ ok: true, done: true, name: "evil.txt" });
    const files = await filesUnder(h.dataDir);
    expect(files).toEqual([path.join("uploads", done.file)]);
    expect(await readFile(path.join(h.dataDir, "uploads", done.file), "utf8")).toBe("abcde");
    const res = await fetch(`${h.app.url}${done.url}`);
    expect(await res.text()).toBe("abcde");
  });

  it("refuses forbidden names and sizes, bad offsets, extra bytes, other connections' ids", async () => {
    const alice = h.connect("/uploads");
    const mallory = h.connect("/uploads");
    await Promise.all([once(alice, "connect"), once(mallory, "connect")]);

    for (const [name, size, code] of [
      ["run.sh", 4, "forbidden-extension"],
      ["x.bat", 4, "forbidden-extension"],
      ["a\u0000b.txt", 4, "bad-name"],
      ["..", 4, "bad-name"],
      ["big.bin", 1025, "too-large"],
      ["neg.bin", -1, "bad-size"],
    ] as const) {
      expect(await ask(alice, "upload:start", { name, size })).toMatchObject({ ok: false, code });
    }
    expect(await ask(alice, "upload:start", "not an object")).toMatchObject({ ok: false });

    const { id } = await ask(alice, "upload:start", { name: "ok.txt", size: 4 });
    expect(
      await ask(mallory, "upload:chunk", { id, offset: 0, data: Buffer.from("evil") }),
    ).toMatchObject({
      ok: false,
      code: "unknown-id",
    });
    expect(await ask(mallory, "upload:abort", { id })).toEqual({ ok: false });
    expect(
      await ask(alice, "upload:chunk", { id: "nope", offset: 0, data: Buffer.from("x") }),
    ).toMatchObject({
      code: "unknown-id",
    });
    expect(
      await ask(alice, "upload:chunk", { id, offset: 10, data: Buffer.from("x") }),
    ).toMatchObject({
      code: "bad-offset",
    });
    expect(await ask(alice, "upload:chunk", { id, offset: 0, data: "not bytes" })).toMatchObject({
      code: "bad-chunk",
    });
    expect(
      await ask(alice, "upload:chunk", { id, offset: 0, data: Buffer.from("12345") }),
    ).toMatchObject({
      code: "too-many-bytes",
    });
    // the refused transfer is gone, with its partial file
    expect(
      await ask(alice, "upload:chunk", { id, offset: 0, data: Buffer.from("1234") }),
    ).toMatchObject({
      code: "unknown-id",
    });
    const files = await filesUnder(h.dataDir);
    expect(files).toEqual([]);
  });

  it("deletes partial uploads when their connection goes away", async () => {
    const s = h.connect("/uploads");
    await once(s, "connect");
    const a = await ask(s, "upload:start", { name: "a.txt", size: 100 });
    const b = await ask(s, "upload:start", { name: "b.txt", size: 100 });
    await ask(s, "upload:chunk", { id: a.id, offset: 0, data: Buffer.alloc(10, 1) });
    await ask(s, "upload:chunk", { id: b.id, offset: 0, data: Buffer.alloc(20, 2) });
    const partial = await filesUnder(h.dataDir);
    expect(partial).toHaveLength(2);
    expect(inUploads(partial)).toBe(true);
    s.disconnect();
    await expect.poll(() => filesUnder(h.dataDir), { timeout: 10_000 }).toEqual([]);
  });
});

import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  launchBrowser,
  openPage,
  screenshot,
  startApp,
  type TestApp,
  waitConnected,
} from "./harness.js";

let browser: Browser;
let context: BrowserContext;
let app: TestApp;

beforeAll(async () => {
  [browser, app] = await Promise.all([
    launchBrowser(),
    startApp({ uploadLimits: { maxFileBytes: 4 * 1024 * 1024 } }),
  ]);
  context = await browser.newContext({ acceptDownloads: false });
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await app?.close();
});

describe("uploads demo in a browser", () => {
  it("uploads several files at once, byte for byte, and refuses an .exe and an oversized file", async () => {
    const { page, errors } = await openPage(context, `${app.app.url}/uploads.html`);
    await waitConnected(page);
    // 1.5 MiB of random bytes spans several 256 KiB chunks; the text file is a single chunk.
    const big = randomBytes(1.5 * 1024 * 1024);
    const small = Buffer.from("hello from the browser\n");
    await page.setInputFiles("#files", [
      { name: "random.bin", mimeType: "application/octet-stream", buffer: big },
      { name: "notes.txt", mimeType: "text/plain", buffer: small },
      { name: "setup.exe", mimeType: "application/octet-stream", buffer: Buffer.from("MZ") },
      {
        name: "huge.dat",
        mimeType: "application/octet-stream",
        buffer: Buffer.alloc(5 * 1024 * 1024),
      },
    ]);

    const state = (name: string) =>
      page.locator(`#transfers li[data-name="${name}"]`).getAttribute("data-state");
    await expect.poll(() => state("random.bin"), { timeout: 20_000 }).toBe("done");
    await expect.poll(() => state("notes.txt"), { timeout: 20_000 }).toBe("done");
    await expect.poll(() => state("setup.exe")).toBe("refused");
    await expect.poll(() => state("huge.dat")).toBe("refused");
    expect(await page.textContent('#transfers li[data-name="setup.exe"] .state')).toContain(".exe");
    expect(
      await page
        .locator('#transfers li[data-name="random.bin"] progress')
        .evaluate((p) => (p as HTMLProgressElement).value),
    ).toBe(big.length);
    await expect.poll(() => page.locator("#done li").count()).toBe(2);
    await screenshot(page, "uploads");

    const dir = path.join(app.dataDir, "uploads");
    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(2);
    const bin = files.find((f) => f.endsWith("-random.bin"));
    const txt = files.find((f) => f.endsWith("-notes.txt"));
    if (!bin || !txt) throw new Error(`unexpected files ${files.join(", ")}`);
    expect((await readFile(path.join(dir, bin))).equals(big)).toBe(true);
    expect((await readFile(path.join(dir, txt))).equals(small)).toBe(true);

    // The download link serves the same bytes, as an attachment.
    const href = await page.locator('#done li[data-name="notes.txt"] a').getAttribute("href");
    const res = await fetch(new URL(href ?? "", app.app.url));
    expect(res.headers.get("content-disposition")).toContain("attachment");
    expect(Buffer.from(await res.arrayBuffer()).equals(small)).toBe(true);
    expect(errors).toEqual([]);
  });

  it("aborts a transfer whose chunk the server refuses, leaving nothing on disk", async () => {
    const { page, errors } = await openPage(context, `${app.app.url}/uploads.html`);
    // Fault injection in the page: the third chunk read from the file comes back empty,
    // which the server refuses ("chunk must be non-empty binary data").
    await page.evaluate(() => {
      const read = Blob.prototype.arrayBuffer;
      let calls = 0;
      Blob.prototype.arrayBuffer = function (this: Blob) {
        calls += 1;
        return calls === 3 ? Promise.resolve(new ArrayBuffer(0)) : read.call(this);
      };
    });
    await waitConnected(page);
    const before = await readdir(path.join(app.dataDir, "uploads"));
    await page.setInputFiles("#files", [
      {
        name: "glitch.bin",
        mimeType: "application/octet-stream",
        buffer: randomBytes(1024 * 1024),
      },
    ]);
    const item = page.locator('#transfers li[data-name="glitch.bin"]');
    await expect.poll(() => item.getAttribute("data-state"), { timeout: 20_000 }).toBe("refused");
    expect(await item.locator(".state").textContent()).toBe(
      "aborted: chunk must be non-empty binary data",
    );
    // Two chunks had been accepted before the refusal; the progress bar stopped there.
    expect(await item.locator("progress").evaluate((p) => (p as HTMLProgressElement).value)).toBe(
      2 * 256 * 1024,
    );
    // The abort deleted the partial file and the server holds no transfer for the page.
    await expect.poll(() => app.app.stats().uploadsOpen).toBe(0);
    expect((await readdir(path.join(app.dataDir, "uploads"))).sort()).toEqual(before.sort());
    expect(errors).toEqual([]);
    await page.close();
  });
});

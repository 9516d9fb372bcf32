import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseWavHeader, WAV_HEADER_BYTES } from "../../src/lib/wav.js";
import {
  FAKE_MEDIA_ARGS,
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
  [browser, app] = await Promise.all([launchBrowser(FAKE_MEDIA_ARGS), startApp()]);
  context = await browser.newContext({ permissions: ["microphone"] });
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await app?.close();
});

describe("audio recording with Chromium's fake microphone", () => {
  it("streams PCM and yields a WAV file with a valid header and non-zero samples", async () => {
    const { page, errors } = await openPage(context, `${app.app.url}/audio.html`);
    await waitConnected(page);
    await page.click("#start");
    await page.locator("body[data-recording='on']").waitFor({ timeout: 15_000 });
    // Chromium's fake microphone beeps about once a second and is silent in between:
    // record until ~1.5 s of 16-bit mono audio at 48 kHz has been sent.
    await expect
      .poll(async () => Number(await page.getAttribute("body", "data-sent-bytes")), {
        timeout: 20_000,
      })
      .toBeGreaterThan(144_000);
    await screenshot(page, "audio-recording");
    await page.click("#stop");
    const item = page.locator("#recordings li").first();
    await item.waitFor({ timeout: 15_000 });
    expect(await item.locator("audio").count()).toBe(1);
    await screenshot(page, "audio");

    const dir = path.join(app.dataDir, "audio");
    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    const [file] = files;
    if (!file) throw new Error("no recording");
    expect(await item.getAttribute("data-file")).toBe(file);
    const bytes = await readFile(path.join(dir, file));
    const info = parseWavHeader(bytes);
    const sampleRate = await page.evaluate(() => new AudioContext().sampleRate);
    expect(info).toMatchObject({
      audioFormat: 1,
      channels: 1,
      bitsPerSample: 16,
      sampleRate,
      blockAlign: 2,
    });
    expect(info.byteRate).toBe(sampleRate * 2);
    expect(info.dataBytes).toBe(bytes.length - WAV_HEADER_BYTES);
    expect(info.riffSize).toBe(bytes.length - 8);
    expect(info.dataBytes).toBeGreaterThanOrEqual(
      Number(await page.getAttribute("body", "data-sent-bytes")),
    );
    const pcm = new Int16Array(
      bytes.buffer.slice(bytes.byteOffset + WAV_HEADER_BYTES, bytes.byteOffset + bytes.length),
    );
    let nonZero = 0;
    let loudest = 0;
    for (const s of pcm) {
      if (s !== 0) nonZero += 1;
      loudest = Math.max(loudest, Math.abs(s));
    }
    expect(nonZero).toBeGreaterThan(100);
    expect(loudest).toBeGreaterThan(1000); // a real beep, not rounding noise

    // The page's player points at a URL that serves the same file as audio/wav.
    const src = await item.locator("audio").getAttribute("src");
    const res = await fetch(new URL(src ?? "", app.app.url));
    expect(res.headers.get("content-type")).toContain("audio/wav");
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    expect(errors).toEqual([]);
  });
});

import { access, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium } from "../../../scripts/chromium.mjs";
import { bundleWeb } from "../../src/bundle-web.js";
import { createApp, PUBLIC_DIR, type RunningApp } from "../../src/server.js";

/** Screenshots of every demo land here (git-ignored). */
export const SCREENSHOT_DIR = fileURLToPath(
  new URL("../../../test-artifacts/screenshots/", import.meta.url),
);

/** The demos' flags on top of every run's (scripts/chromium.mjs: Debian's chromium, never a downloaded one). */
const DEMO_ARGS = [
  "--disable-dev-shm-usage",
  "--disable-default-apps",
  "--disable-extensions",
  "--disable-sync",
  "--no-default-browser-check",
  "--mute-audio",
];

/** Fake microphone (a beep) without a permission prompt. */
export const FAKE_MEDIA_ARGS = [
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--autoplay-policy=no-user-gesture-required",
];

export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return launchChromium([...DEMO_ARGS, ...extraArgs]);
}

/** Bundles the front-end when `npm run build` has not been run yet. */
export async function ensureBundle(): Promise<void> {
  try {
    await access(path.join(PUBLIC_DIR, "build", "where-admin.js"));
  } catch {
    await bundleWeb();
  }
}

export interface TestApp {
  app: RunningApp;
  dataDir: string;
  close(): Promise<void>;
}

/** The demo app on 127.0.0.1, port 0, with a fresh temporary data folder. */
export async function startApp(options: Parameters<typeof createApp>[0] = {}): Promise<TestApp> {
  await ensureBundle();
  const dataDir = await mkdtemp(path.join(tmpdir(), "sb-examples-"));
  const app = await createApp({ ...options, port: 0, host: "127.0.0.1", dataDir });
  return {
    app,
    dataDir,
    async close() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A page whose console errors and uncaught exceptions are collected for assertions. */
export async function openPage(
  context: BrowserContext,
  url: string,
): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  await page.goto(url);
  return { page, errors };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Waits until the page's status badge says connected. */
export async function waitConnected(page: Page): Promise<void> {
  await page.locator("#status[data-state='ok']").waitFor({ timeout: 15_000 });
}

// Hooks of the test suites that drive Debian's chromium (scripts/chromium.mjs): one browser
// per test file, and cleanups run after each test.
import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll } from "vitest";
import { launchChromium } from "./chromium.mjs";

/**
 * Launches chromium before the file's tests and closes it after them; the returned function
 * gives the browser (inside a test or hook).
 */
export function sharedChromium(extraArgs: readonly string[] = []): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium(extraArgs);
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (browser === undefined) throw new Error("chromium is not launched yet (use it in a test)");
    return browser;
  };
}

/** A list of functions run after each test, last added first. */
export function cleanupsAfterEach(): (() => unknown)[] {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });
  return cleanups;
}

// Debian's chromium for every browser test, bench and script of the repository (never a
// downloaded browser), headless, with the flags every run here uses. Typed by chromium.d.mts.
import { chromium } from "playwright-core";

/** Debian's chromium, or the one `CHROMIUM_PATH` names. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Flags of every run: no sandbox (CI runs as root), no GPU, no traffic of its own. */
export const CHROMIUM_ARGS = Object.freeze([
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
]);

/**
 * Launches headless chromium with {@link CHROMIUM_ARGS} and `extraArgs`.
 * @param {readonly string[]} [extraArgs]
 * @param {{ executablePath?: string }} [options] another binary (the bench's BENCH_CHROMIUM)
 */
export function launchChromium(extraArgs = [], options = {}) {
  return chromium.launch({
    executablePath: options.executablePath ?? CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}

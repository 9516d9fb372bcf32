import type { Browser } from "playwright-core";

/** Debian's chromium, or the one `CHROMIUM_PATH` names. */
export declare const CHROMIUM_PATH: string;
/** Flags of every run: no sandbox (CI runs as root), no GPU, no traffic of its own. */
export declare const CHROMIUM_ARGS: readonly string[];
/** Launches headless chromium with {@link CHROMIUM_ARGS} and `extraArgs`. */
export declare function launchChromium(
  extraArgs?: readonly string[],
  options?: { executablePath?: string },
): Promise<Browser>;

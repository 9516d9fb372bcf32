import type { BuildOptions } from "esbuild";

/** esbuild options of the minified browser bundles (also used by test/bundle.test.ts). */
export const minified: BuildOptions;

import type { BuildOptions } from "esbuild";

/** esbuild options of the minified browser bundles (also used by test/bundle.test.ts). */
export const minified: BuildOptions;

/** Switchboard's own client error messages → the codes that replace them in the minified bundles. */
export const ownMessages: Record<string, string>;

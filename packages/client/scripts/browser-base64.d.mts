import type { Plugin } from "esbuild";

/** The module that replaces protocol/dist/engine/base64.js in browser bundles. */
export const browserBase64Source: string;
/** Swaps the protocol's pure base64 for one on atob/btoa in browser bundles. */
export function browserBase64Plugin(transform?: (source: string, path: string) => string): Plugin;

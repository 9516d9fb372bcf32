import type { Plugin } from "esbuild";

/** The compiled JS `source` with ProtocolError messages collapsed to their codes. */
export function collapseErrorMessages(source: string, fileName: string): string;
/** esbuild plugin applying {@link collapseErrorMessages} to the protocol package's compiled files. */
export const collapseErrorsPlugin: Plugin;

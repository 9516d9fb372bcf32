/** Where the fingerprint of the last build's inputs is kept, relative to the root. */
export const STAMP: string;
/** The files `npm run build` reads, relative to `root`, sorted, with `/` separators. */
export function sourceFiles(root: string): string[];
/** What the demo needs built, relative to `root`. */
export function requiredOutputs(root: string): string[];
/** A hash of every input's path, size and modification time. */
export function fingerprint(root: string): string;
/** Why a build is needed, or `null` when nothing changed and every output exists. */
export function rebuildReason(root: string, current?: string): string | null;
/** Runs `npm run build` in `root` when {@link rebuildReason} says so; returns whether it did. */
export function buildIfChanged(root: string): boolean;

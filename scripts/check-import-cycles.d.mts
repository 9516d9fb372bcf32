/** The import graph of a folder: file (relative to it) → the files it imports. */
export function importGraph(dir: string): Map<string, string[]>;
/** The import circles of a folder: each strongly connected component, sorted paths. */
export function findImportCycles(dir: string): string[][];

/** File (relative to the source folder) → the files it imports, sorted. */
export type ImportGraph = Map<string, string[]>;

/** The import graph of the `.ts` files under `srcDir`; `types: true` counts `import type` too. */
export function importGraph(srcDir: string, options?: { types?: boolean }): ImportGraph;

/** One circle per knot of `graph`, from its smallest file back to it. */
export function findCycles(graph: ImportGraph): string[][];

/**
 * Issue 15: the socket and adapter layers import one way. Every relative `import` and
 * `export … from` counts as an arrow, type-only ones too (a type-only circle still means two
 * modules that cannot be read, or moved, one without the other). The other folders of
 * packages/server/src have their own owners; this file guards socket/, adapter/ and
 * testing/ (whose arrows into the engine are one-way by construction: the engine never
 * imports them).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");
const FOLDERS = ["socket", "adapter", "testing"];

/** `import … from "./x.js"`, `import type …`, `export … from`, `import("./x.js")`. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g;

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

/** file (relative to src) → the files of the guarded folders it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = FOLDERS.flatMap((folder) => tsFiles(join(SRC, folder)));
  const known = new Set(files.map((f) => relative(SRC, f)));
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const targets = new Set<string>();
    for (const match of text.matchAll(SPECIFIER)) {
      const target = relative(SRC, resolve(dirname(file), match[1]!)).replace(/\.js$/, ".ts");
      if (known.has(target)) targets.add(target);
    }
    graph.set(relative(SRC, file), [...targets].sort());
  }
  return graph;
}

/** Every elementary circle found by a depth-first walk (one per back edge). */
function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "visiting");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const s = state.get(next);
      if (s === "visiting") cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (s === undefined) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

describe("import graph of packages/server/src/{socket,adapter,testing}", () => {
  it("has no circle, type-only imports included", () => {
    const cycles = findCycles(importGraph()).map((c) => c.join(" → "));
    expect(cycles).toEqual([]);
  });

  it("the adapter layer imports only the socket layer's leaf types module", () => {
    const graph = importGraph();
    expect(graph.get("socket/types.ts")).toEqual([]);
    for (const [file, targets] of graph) {
      if (!file.startsWith("adapter/")) continue;
      for (const target of targets) {
        if (target.startsWith("adapter/")) continue;
        expect(target, file).toBe("socket/types.ts");
      }
    }
  });
});

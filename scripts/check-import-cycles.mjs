#!/usr/bin/env node
// Import circles between the source files of a folder (issue 15: "no import circle").
//
//   node scripts/check-import-cycles.mjs packages/server/src/engine [more folders…]
//
// Reads every `.ts` file under each folder (tests excluded), takes the relative specifiers
// of its `import … from`, `export … from` and `import()` (type-only imports count too: a
// circle of types is still a circle to read), resolves `./x.js` to `x.ts` or `x/index.ts`,
// and reports each strongly connected component of more than one file (or a file that
// imports itself). Exit code 1 when there is any. Imports leaving the folder are ignored:
// give the folder whose inside must be circle-free.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SPECIFIER =
  /(?:^|[\s;}])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** The `.ts` source files under `dir` (no tests, no declaration files), absolute. */
function sourceFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (/\.ts$/.test(entry.name) && !/\.(test|d)\.ts$/.test(entry.name)) out.push(full);
  }
  return out;
}

/** The file a relative specifier names, or null when it is not one of `files`. */
function resolve(from, specifier, files) {
  if (!specifier.startsWith(".")) return null;
  const base = path.resolve(path.dirname(from), specifier);
  const stem = base.replace(/\.(js|ts|mjs)$/, "");
  for (const candidate of [`${stem}.ts`, path.join(stem, "index.ts")]) {
    if (files.has(candidate)) return candidate;
  }
  return null;
}

/** Comments stripped, so that an `import` in prose is not read as one. */
function code(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

/**
 * The import graph of the folder: file (relative to `dir`) → files it imports.
 * @param {string} dir
 * @returns {Map<string, string[]>}
 */
export function importGraph(dir) {
  const root = path.resolve(dir);
  const files = new Set(sourceFiles(root));
  const graph = new Map();
  for (const file of files) {
    const text = code(readFileSync(file, "utf8"));
    const targets = new Set();
    for (const m of text.matchAll(SPECIFIER)) {
      const target = resolve(file, m[1] ?? m[2], files);
      if (target !== null) targets.add(path.relative(root, target).split(path.sep).join("/"));
    }
    graph.set(path.relative(root, file).split(path.sep).join("/"), [...targets].sort());
  }
  return graph;
}

/**
 * The import circles of the folder: each strongly connected component of more than one
 * file, or of one file importing itself, as a sorted list of paths relative to `dir`.
 * @param {string} dir
 * @returns {string[][]}
 */
export function findImportCycles(dir) {
  const graph = importGraph(dir);
  // Tarjan's strongly connected components.
  let index = 0;
  const indices = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const cycles = [];
  const visit = (v) => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), indices.get(w)));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) visit(v);
  return cycles.sort((a, b) => a[0].localeCompare(b[0]));
}

if (
  process.argv[1] !== undefined &&
  fileURLToPath(import.meta.url) === path.resolve(process.argv[1])
) {
  const dirs = process.argv.slice(2);
  if (dirs.length === 0) {
    console.error("usage: node scripts/check-import-cycles.mjs <folder> [more folders…]");
    process.exit(2);
  }
  let found = 0;
  for (const dir of dirs) {
    if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`);
    for (const cycle of findImportCycles(dir)) {
      found++;
      console.log(`${dir}: ${cycle.join(" ↔ ")}`);
    }
  }
  if (found > 0) process.exit(1);
  console.log(`no import circle in ${dirs.join(", ")}`);
}

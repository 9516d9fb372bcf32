// Import cycles among the TypeScript files of one source folder (issue 15: "no import circle
// left in packages/server or packages/client"). test/import-cycles.test.ts runs it on
// packages/client/src; `node scripts/import-cycles.mjs <src folder>…` prints what it finds
// (exit code 1 when there is a cycle) for any package.
//
// The graph is read with regular expressions over the import/export statements, which is
// enough for this codebase's formatted sources: `import … from "x"`, `export … from "x"`,
// `import "x"` and `import("x")`. Only relative specifiers and the package's own `#imports`
// (package.json "imports", each condition's target mapped from dist/*.js or *.d.ts back to
// src/*.ts) are followed; other packages are leaves.
//
// Type-only statements (`import type …`, `export type … from`) are left out by default: the
// compiler erases them, so they cannot change load order or leave a binding undefined.
// That is the rule of Biome's noImportCycles (option ignoreTypes, on by default) and of
// eslint-plugin-import's no-cycle. `import { type A, b }` still counts. Pass
// `{ types: true }` to see the type-level graph too.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const STATEMENT =
  /^[ \t]*(?:import|export)\s+(type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm;

function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.tsx?$/.test(name) && !/\.(test|d)\.tsx?$/.test(name)) out.push(path);
  }
  return out;
}

/** The package.json "imports" of the package that holds `srcDir`, as specifier → src files. */
function packageImports(srcDir) {
  let dir = resolve(srcDir);
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) return new Map();
    dir = up;
  }
  const { imports = {} } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const map = new Map();
  const targets = (value) =>
    typeof value === "string" ? [value] : Object.values(value ?? {}).flatMap(targets);
  for (const [specifier, value] of Object.entries(imports)) {
    const files = new Set();
    for (const target of targets(value)) {
      const src = join(
        dir,
        target.replace(/^\.\/dist\//, "src/").replace(/(\.d)?\.[cm]?js$/, ".ts"),
      );
      if (existsSync(src)) files.add(src);
    }
    map.set(specifier, [...files]);
  }
  return map;
}

function resolveSpecifier(from, specifier, aliases) {
  if (aliases.has(specifier)) return aliases.get(specifier);
  if (!specifier.startsWith(".")) return [];
  const base = resolve(dirname(from), specifier).replace(/\.[cm]?js$/, "");
  for (const candidate of [`${base}.ts`, `${base}.tsx`, join(base, "index.ts")]) {
    if (existsSync(candidate)) return [candidate];
  }
  return [];
}

/**
 * The import graph of the `.ts` files under `srcDir` (tests and declaration files left out):
 * file path relative to `srcDir` → the files it imports, sorted.
 */
export function importGraph(srcDir, { types = false } = {}) {
  const root = resolve(srcDir);
  const aliases = packageImports(root);
  const graph = new Map();
  for (const file of sourceFiles(root)) {
    const edges = new Set();
    for (const match of readFileSync(file, "utf8").matchAll(STATEMENT)) {
      const [, typeOnly, specifier = match[3]] = match;
      if (typeOnly && !types) continue;
      for (const target of resolveSpecifier(file, specifier, aliases)) {
        if (target.startsWith(root)) edges.add(relative(root, target));
      }
    }
    graph.set(relative(root, file), [...edges].sort());
  }
  return graph;
}

/**
 * The import cycles of `graph`: one per strongly connected component of more than one file
 * (or a file importing itself), each as the files of one circle, starting from the smallest
 * name and ending where it starts (`["a.ts", "b.ts", "a.ts"]`).
 */
export function findCycles(graph) {
  // Tarjan's strongly connected components, then one concrete circle through each.
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  const visit = (node) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node), low.get(next)));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node), index.get(next)));
    }
    if (low.get(node) === index.get(node)) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node))
        components.push(component);
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return components
    .map((component) => circleThrough(graph, new Set(component)))
    .sort((a, b) => a[0].localeCompare(b[0]));
}

/** A shortest circle from the smallest file of `members` back to itself, inside `members`. */
function circleThrough(graph, members) {
  const start = [...members].sort()[0];
  const previous = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const next of graph.get(node) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let at = node; at !== start; at = previous.get(at)) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const types = process.argv.includes("--types");
  let found = 0;
  for (const dir of process.argv.slice(2).filter((arg) => !arg.startsWith("--"))) {
    for (const cycle of findCycles(importGraph(dir, { types }))) {
      found++;
      console.log(`${dir}: ${cycle.join(" → ")}`);
    }
  }
  if (found > 0) process.exitCode = 1;
  else console.log("no import cycles");
}

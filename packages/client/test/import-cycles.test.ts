import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { findCycles, importGraph } from "../scripts/import-cycles.mjs";

const src = join(dirname(fileURLToPath(import.meta.url)), "..", "src");

// Issue 15: imports inside the package go one way. Type-only imports count here too: the
// Manager ↔ Socket circle was one (manager.ts imported socket.ts's types, socket.ts the
// Manager), broken at run time by a `static {}` block that exported the Manager's privates.
describe("the client's import graph", () => {
  it("has no cycle, type-only imports included", () => {
    expect(findCycles(importGraph(src, { types: true }))).toEqual([]);
  });

  it("points one way between the layers: engine never imports socket, Socket never imports Manager", () => {
    const graph = importGraph(src, { types: true });
    for (const [file, imports] of graph) {
      if (file.startsWith("engine/")) {
        expect(imports.filter((f) => f.startsWith("socket/"))).toEqual([]);
      }
    }
    expect(graph.get("socket/socket.ts")).not.toContain("socket/manager.ts");
    expect(graph.get("socket/manager.ts")).toContain("socket/socket.ts");
  });
});

describe("the import-cycle checker", () => {
  const dir = mkdtempSync(join(tmpdir(), "import-cycles-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  };
  write("a.ts", 'import { b } from "./b.js";\nexport const a = b;\n');
  write("b.ts", 'import type { C } from "./deep/c.js";\nexport const b = 1;\n');
  write(
    "deep/c.ts",
    'export {\n  a,\n} from "../a.js";\nimport "./side-effect.js";\nexport type C = number;\n',
  );
  write("deep/side-effect.ts", 'const lazy = () => import("../b.js");\nexport { lazy };\n');
  write("deep/c.test.ts", 'import "../a.js";\n');
  write("self.ts", 'import { type X } from "./self.js";\nexport interface X {}\n');

  it("reads import, export-from, side-effect and dynamic imports, and skips tests", () => {
    expect(Object.fromEntries(importGraph(dir, { types: true }))).toEqual({
      "a.ts": ["b.ts"],
      "b.ts": ["deep/c.ts"],
      "deep/c.ts": ["a.ts", "deep/side-effect.ts"],
      "deep/side-effect.ts": ["b.ts"],
      "self.ts": ["self.ts"],
    });
  });

  it("finds one circle per knot, with type-only imports or without", () => {
    expect(findCycles(importGraph(dir, { types: true }))).toEqual([
      ["a.ts", "b.ts", "deep/c.ts", "a.ts"],
      ["self.ts", "self.ts"],
    ]);
    // without `import type`, b.ts no longer reaches deep/c.ts; `import { type X }` still counts
    expect(findCycles(importGraph(dir))).toEqual([["self.ts", "self.ts"]]);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findImportCycles, importGraph } from "../check-import-cycles.mjs";

// The one import-cycle checker of the repository (scripts/check-import-cycles.mjs), used by
// each package's import-graph test (issue 15: no import circle in packages/).
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
  write("prose.ts", '/** e.g. import { a } from "./a.js"; */\n// import "./b.js"\nexport {};\n');
  write("pkg.ts", 'import { x } from "some-package";\nimport "node:fs";\nexport { x };\n');

  it("reads import, type-only, export-from, side-effect and dynamic imports; skips tests, comments and packages", () => {
    expect(Object.fromEntries(importGraph(dir))).toEqual({
      "a.ts": ["b.ts"],
      "b.ts": ["deep/c.ts"],
      "deep/c.ts": ["a.ts", "deep/side-effect.ts"],
      "deep/side-effect.ts": ["b.ts"],
      "self.ts": ["self.ts"],
      "prose.ts": [],
      "pkg.ts": [],
    });
  });

  it("finds each knot once, a file importing itself included", () => {
    expect(findImportCycles(dir)).toEqual([
      ["a.ts", "b.ts", "deep/c.ts", "deep/side-effect.ts"],
      ["self.ts"],
    ]);
  });
});

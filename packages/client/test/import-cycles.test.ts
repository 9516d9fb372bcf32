import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findImportCycles, importGraph } from "../../../scripts/check-import-cycles.mjs";

const src = join(dirname(fileURLToPath(import.meta.url)), "..", "src");

// Issue 15: imports inside the package go one way. Type-only imports count too: the
// Manager ↔ Socket circle was one (manager.ts imported socket.ts's types, socket.ts the
// Manager), broken at run time by a `static {}` block that exported the Manager's privates.
describe("the client's import graph", () => {
  it("has no cycle, type-only imports included", () => {
    expect(findImportCycles(src)).toEqual([]);
  });

  it("points one way between the layers: engine never imports socket, Socket never imports Manager", () => {
    const graph = importGraph(src);
    for (const [file, imports] of graph) {
      if (file.startsWith("engine/")) {
        expect(imports.filter((f) => f.startsWith("socket/"))).toEqual([]);
      }
    }
    expect(graph.get("socket/socket.ts")).not.toContain("socket/manager.ts");
    expect(graph.get("socket/manager.ts")).toContain("socket/socket.ts");
  });
});

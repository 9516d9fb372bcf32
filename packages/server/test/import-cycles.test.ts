import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findImportCycles, importGraph } from "../../../scripts/check-import-cycles.mjs";

// Issue 15: the server's imports go one way. Every relative import counts, type-only ones
// too (a circle of types is still two modules that cannot be read, or moved, one without the
// other). Layers, bottom up: engine/ → socket/types.ts ← presence/types.ts ← adapter/ ←
// presence/ ← socket/ ← testing/.
const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src");

describe("the server's import graph", () => {
  const graph = importGraph(SRC);

  it("has no circle anywhere in packages/server/src", () => {
    expect(findImportCycles(SRC)).toEqual([]);
  });

  it("the engine never imports the socket, adapter or testing layers", () => {
    for (const [file, targets] of graph) {
      if (!file.startsWith("engine/")) continue;
      for (const target of targets) expect(target, file).toMatch(/^engine\//);
    }
  });

  it("the adapter layer imports only the leaf types modules of the socket layer and presence", () => {
    expect(graph.get("socket/types.ts")).toEqual([]);
    expect(graph.get("presence/types.ts")).toEqual(["socket/types.ts"]);
    for (const [file, targets] of graph) {
      if (!file.startsWith("adapter/")) continue;
      for (const target of targets) {
        if (!target.startsWith("adapter/")) {
          expect(["socket/types.ts", "presence/types.ts"], file).toContain(target);
        }
      }
    }
  });

  it("presence sees sockets through the adapter's interfaces, never the socket classes", () => {
    for (const [file, targets] of graph) {
      if (!file.startsWith("presence/")) continue;
      for (const target of targets) {
        if (!target.startsWith("presence/")) {
          expect(["adapter/types.ts", "socket/types.ts", "socket/errors.ts"], file).toContain(
            target,
          );
        }
      }
    }
  });

  it("is read the way the imports are written (multi-line and type-only imports count)", () => {
    expect(graph.get("engine/transports/direct-websocket.ts")).toEqual(
      expect.arrayContaining([
        "engine/framing.ts",
        "engine/transports/frame-receiver.ts",
        "engine/transports/transport.ts",
      ]),
    );
  });
});

import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { findImportCycles, importGraph } from "../../../../scripts/check-import-cycles.mjs";

// Issue 15: no import circle in the engine layer. Only this folder is checked here; each
// layer's own tests check theirs (the script takes any folder).
const ENGINE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/engine");

describe("engine import graph", () => {
  it("has no circle", () => {
    expect(findImportCycles(ENGINE)).toEqual([]);
  });

  it("is read the way the imports are written", () => {
    const graph = importGraph(ENGINE);
    // Multi-line and type-only imports count; packages and Node modules do not.
    expect(graph.get("transports/direct-websocket.ts")).toEqual(
      expect.arrayContaining([
        "framing.ts",
        "transports/frame-receiver.ts",
        "transports/transport.ts",
      ]),
    );
    expect(graph.get("framing.ts")).toEqual([]);
  });

  it("never imports the socket layer", () => {
    for (const [file, targets] of importGraph(path.dirname(ENGINE))) {
      if (!file.startsWith("engine/")) continue;
      expect(
        targets.filter((t) => !t.startsWith("engine/")),
        file,
      ).toEqual([]);
    }
  });
});

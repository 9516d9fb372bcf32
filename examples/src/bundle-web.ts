import { copyFile, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Front-end entry points, one per page, plus the AudioWorklet module. */
export const WEB_ENTRIES = [
  "chat",
  "audio",
  "audio-worklet",
  "uploads",
  "polls",
  "polls-admin",
  "where",
  "where-admin",
] as const;

/**
 * Bundles `web/*.ts` with their npm dependencies (Chart.js, d3-geo, topojson-client)
 * into `public/build/`, and copies world-atlas's 110m countries next to them: the
 * pages need no CDN and no internet.
 */
export async function bundleWeb(outDir = path.join(root, "public", "build")): Promise<void> {
  // esbuild is a build-time tool (root devDependency); the server never loads it.
  const esbuild = await import("esbuild");
  await mkdir(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: WEB_ENTRIES.map((name) => path.join(root, "web", `${name}.ts`)),
    outdir: outDir,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    minify: true,
    sourcemap: true,
    legalComments: "linked",
    logLevel: "warning",
  });
  const require = createRequire(import.meta.url);
  const atlas = require.resolve("world-atlas/countries-110m.json");
  await copyFile(atlas, path.join(outDir, "countries-110m.json"));
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(path.resolve(entry)).href) {
  bundleWeb().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

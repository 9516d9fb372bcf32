// The dashboard's page (`@switchboard/server/dashboard`), built after `tsc -b` into
// dist/dashboard-ui/: web/dashboard/main.ts and the Switchboard client bundled by esbuild into
// one minified script, the style sheet minified, the HTML template and the icon copied. The
// server reads these once and serves them from memory; nothing is fetched from elsewhere.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "web", "dashboard");
const outdir = join(root, "dist", "dashboard-ui");
mkdirSync(outdir, { recursive: true });

await Promise.all([
  build({
    entryPoints: [join(src, "main.ts")],
    outfile: join(outdir, "app.js"),
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2020",
    minify: true,
    legalComments: "none",
    logLevel: "warning",
    absWorkingDir: root,
  }),
  build({
    entryPoints: [join(src, "app.css")],
    outfile: join(outdir, "app.css"),
    minify: true,
    logLevel: "warning",
  }),
]);
copyFileSync(join(src, "index.html"), join(outdir, "index.html"));
copyFileSync(join(src, "icon.svg"), join(outdir, "icon.svg"));

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { SocketErrorCode, SocketTypeError } from "../socket/errors.js";

/** One file of the page, held in memory. */
export interface Asset {
  body: Buffer;
  type: string;
  /** Strong ETag (a hash of the body). */
  etag: string;
}

/** The page's files: the HTML template and its script and style sheet. */
export interface DashboardAssets {
  /** The HTML, with `__CONFIG__` where the page's settings go. */
  html: string;
  js: Asset;
  css: Asset;
  icon: Asset;
}

let cached: DashboardAssets | undefined;

/**
 * The page's files, built by `scripts/bundle-dashboard.mjs` (esbuild, at the package's
 * build) into `dist/dashboard-ui/`, read once per process: the page needs nothing else
 * (no CDN, no web font; the charts are SVG drawn by its script).
 */
export function loadAssets(): DashboardAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const dir = join(
    dirname(require.resolve("@switchboard/server/package.json")),
    "dist",
    "dashboard-ui",
  );
  const read = (name: string): Buffer => {
    try {
      return readFileSync(join(dir, name));
    } catch (err) {
      throw new SocketTypeError(
        SocketErrorCode.INVALID_OPTION,
        `the dashboard's page is not built (${join(dir, name)}: ${(err as Error).message}); run the package's build`,
      );
    }
  };
  const asset = (name: string, type: string): Asset => {
    const body = read(name);
    const hash = createHash("sha256").update(body).digest("base64url").slice(0, 16);
    return { body, type, etag: `"${hash}"` };
  };
  cached = {
    html: read("index.html").toString("utf8"),
    js: asset("app.js", "text/javascript; charset=utf-8"),
    css: asset("app.css", "text/css; charset=utf-8"),
    icon: asset("icon.svg", "image/svg+xml"),
  };
  return cached;
}

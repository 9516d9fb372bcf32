import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The files served: the browser bundles of `@switchboard/client` and their source maps. */
const CLIENT_FILE = /^socket\.io(\.min|\.esm\.min)?\.js(\.map)?$/;

/** Options of {@link createClientFileHandler}. */
export interface ClientFileOptions {
  /**
   * Folder holding the bundles. Default: `dist/bundle/` of the installed `@switchboard/client`,
   * resolved at the first request (404 when the package or the bundle is missing).
   */
  bundleDir?: string;
}

interface CachedFile {
  mtimeMs: number;
  size: number;
  body: Buffer;
  etag: string;
}

/**
 * The folder of the installed `@switchboard/client`'s bundles (a declared dependency of this
 * package), found through that package's `exports` as Node resolves it from this file: the
 * client installed beside or under this server, never a path into a source tree. In the
 * CommonJS build `import.meta.url` is this file's URL too (scripts/build-cjs.mjs).
 */
function defaultBundleDir(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return dirname(require.resolve("@switchboard/client/dist/bundle/socket.io.js"));
  } catch {
    return undefined; // the client package is missing, or was installed without its bundle
  }
}

/** Whether `ifNoneMatch` (a list of entity tags, or `*`) matches `etag`, weakly. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const weak = (tag: string) => tag.trim().replace(/^W\//, "");
  return ifNoneMatch.split(",").some((tag) => tag.trim() === "*" || weak(tag) === weak(etag));
}

/**
 * Serves the browser client like socket.io's `serveClient`: `GET`/`HEAD`
 * `<path>/socket.io.js`, `socket.io.min.js`, `socket.io.esm.min.js` and their `.map`
 * files, with a strong `ETag`, `Cache-Control: public, max-age=0` (revalidate each time),
 * `304 Not Modified` on a matching `If-None-Match`, and 404 when the bundle is missing.
 *
 * @param path - the server's path, e.g. `"/socket.io"` (a trailing slash is allowed)
 * @returns a request handler that answers and returns `true` for a client file, and
 *   returns `false` without touching the response for any other request
 * @example
 * ```ts
 * const serveClient = createClientFileHandler("/socket.io");
 * http.on("request", (req, res) => {
 *   if (!serveClient(req, res)) app(req, res);
 * });
 * ```
 */
export function createClientFileHandler(
  path: string,
  options: ClientFileOptions = {},
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const prefix = path.endsWith("/") ? path : `${path}/`;
  const cache = new Map<string, CachedFile>();
  let bundleDir = options.bundleDir;

  async function load(file: string): Promise<CachedFile | undefined> {
    bundleDir ??= defaultBundleDir();
    if (bundleDir === undefined) return undefined;
    const full = join(bundleDir, file);
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(full);
    } catch {
      cache.delete(file);
      return undefined;
    }
    const cached = cache.get(file);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached;
    const body = await readFile(full);
    const etag = `"${createHash("sha1").update(body).digest("base64url")}"`;
    const entry = { mtimeMs: info.mtimeMs, size: info.size, body, etag };
    cache.set(file, entry);
    return entry;
  }

  return (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const url = req.url ?? "";
    const end = url.indexOf("?");
    const pathname = end === -1 ? url : url.slice(0, end);
    if (!pathname.startsWith(prefix)) return false;
    const file = pathname.slice(prefix.length);
    if (!CLIENT_FILE.test(file)) return false;
    load(file).then(
      (entry) => {
        if (entry === undefined) {
          res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
          res.end("client bundle not found: is @switchboard/client installed (and built)?");
          return;
        }
        const headers = { etag: entry.etag, "cache-control": "public, max-age=0" };
        if (matches(req.headers["if-none-match"], entry.etag)) {
          res.writeHead(304, headers).end();
          return;
        }
        res.writeHead(200, {
          ...headers,
          "content-type": file.endsWith(".map")
            ? "application/json; charset=utf-8"
            : "application/javascript; charset=utf-8",
          "content-length": entry.body.length,
        });
        res.end(req.method === "HEAD" ? undefined : entry.body);
      },
      () => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      },
    );
    return true;
  };
}

import type { IncomingMessage, ServerResponse } from "node:http";
import debugModule from "debug";
import { type Asset, loadAssets } from "./assets.js";
import { checkRequest, type DashboardAuth, signToken } from "./auth.js";

const debug = debugModule("switchboard:dashboard");

/** What the page's script reads from the HTML (`<script type="application/json" id="config">`). */
export interface PageConfig {
  /** Where the page is served (its token is at `<path>/token`). */
  path: string;
  namespace: string;
  enginePath: string;
  title: string;
  readOnly: boolean;
  pageSize: number;
}

export interface PageOptions {
  path: string;
  auth: DashboardAuth;
  expected: Buffer | undefined;
  key: Buffer;
  tokenTtl: number;
  config: PageConfig;
}

/**
 * Headers of every answer: the page loads its own script and style sheet only and talks to
 * its own origin only (`connect-src 'self'` covers its WebSocket), cannot be framed, and
 * sends no referrer.
 */
const SECURITY_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
};

/**
 * The dashboard's HTTP answers, every one behind `auth`: the page (`<path>`), its script,
 * style sheet and icon (from memory, cached by the browser with the content hash in their
 * URL), and `<path>/token`, a fresh connection token for the page's socket.
 */
export function servePage(
  options: PageOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const assets = loadAssets();
  const { path } = options;
  const url = (name: string, asset: Asset) => `${path}/${name}?v=${asset.etag.slice(1, -1)}`;
  const config = JSON.stringify(options.config).replace(/</g, "\\u003c");
  const html = Buffer.from(
    assets.html
      .replace('"__CONFIG__"', () => config)
      .replace("__JS__", () => url("app.js", assets.js))
      .replace("__CSS__", () => url("app.css", assets.css))
      .replace("__ICON__", () => url("icon.svg", assets.icon))
      .replaceAll("__TITLE__", () => escapeHtml(options.config.title)),
  );
  const files = new Map<string, Asset>([
    [`${path}/app.js`, assets.js],
    [`${path}/app.css`, assets.css],
    [`${path}/icon.svg`, assets.icon],
  ]);

  return (req, res) => {
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", ...SECURITY_HEADERS }).end();
      return;
    }
    checkRequest(options.auth, options.expected, req).then(
      (refusal) => {
        if (refusal !== null) {
          debug(
            "refused %s %s from %s: %d",
            method,
            req.url,
            req.socket.remoteAddress,
            refusal.status,
          );
          res.writeHead(refusal.status, {
            ...refusal.headers,
            ...SECURITY_HEADERS,
            "Content-Type": "text/plain; charset=utf-8",
            "Cache-Control": "no-store",
          });
          res.end(refusal.status === 401 ? "authentication required\n" : "forbidden\n");
          return;
        }
        const pathname = (req.url ?? "").split("?")[0] ?? "";
        if (pathname === path || pathname === `${path}/`) {
          send(res, method, 200, html, {
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
          });
          return;
        }
        if (pathname === `${path}/token`) {
          const body = Buffer.from(
            JSON.stringify({ token: signToken(options.key, options.tokenTtl) }),
          );
          send(res, method, 200, body, {
            "Content-Type": "application/json",
            "Cache-Control": "no-store",
          });
          return;
        }
        const asset = files.get(pathname);
        if (asset === undefined) {
          send(res, method, 404, Buffer.from("not found\n"), {
            "Content-Type": "text/plain; charset=utf-8",
          });
          return;
        }
        if (req.headers["if-none-match"] === asset.etag) {
          res.writeHead(304, { ETag: asset.etag, ...SECURITY_HEADERS }).end();
          return;
        }
        send(res, method, 200, asset.body, {
          "Content-Type": asset.type,
          ETag: asset.etag,
          // The URL carries the content hash: a new build is a new URL.
          "Cache-Control": "private, max-age=31536000, immutable",
        });
      },
      (err: unknown) => {
        debug("auth check failed: %O", err);
        res.writeHead(500, SECURITY_HEADERS).end();
      },
    );
  };
}

function send(
  res: ServerResponse,
  method: string,
  status: number,
  body: Buffer,
  headers: Record<string, string>,
): void {
  res.writeHead(status, { ...headers, ...SECURITY_HEADERS, "Content-Length": body.length });
  res.end(method === "HEAD" ? undefined : body);
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}

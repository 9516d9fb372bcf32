import type { IncomingMessage, ServerResponse } from "node:http";
import type { CorsOptions } from "./options.js";

type Allow = boolean | string | RegExp | ReadonlyArray<string | RegExp>;

function matches(origin: string, rule: string | RegExp): boolean {
  return typeof rule === "string" ? rule === origin : rule.test(origin);
}

/** The `Access-Control-Allow-Origin` value for a request, or undefined when not allowed. */
function allowedOrigin(rule: Allow, origin: string | undefined): string | undefined {
  if (rule === false) return undefined;
  if (rule === "*") return "*";
  if (typeof rule === "string") return rule;
  if (origin === undefined) return undefined;
  if (rule === true) return origin;
  if (rule instanceof RegExp) return rule.test(origin) ? origin : undefined;
  return rule.some((r) => matches(origin, r)) ? origin : undefined;
}

/**
 * The `cors` package's default `Access-Control-Allow-Methods`: an app moving from socket.io
 * with `cors: { origin: "*" }` answers preflights the same way (the official Engine.IO
 * suite, run in a browser, sends a PUT handshake and expects the server's 400, not a
 * preflight refusal).
 */
const DEFAULT_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE";

function list(value: string | readonly string[]): string {
  return typeof value === "string" ? value : value.join(",");
}

/**
 * Sets the CORS headers for `req` on `res` and answers preflight (OPTIONS) requests.
 * Calls `done(handled)` with handled=true when the request was fully answered here.
 */
export function applyCors(
  options: CorsOptions,
  req: IncomingMessage,
  res: ServerResponse,
  done: (handled: boolean) => void,
): void {
  const origin = req.headers.origin;
  const rule = options.origin ?? "*";
  if (typeof rule === "function") {
    rule(origin, (err, allow) => {
      if (err) {
        res.writeHead(500, { "Content-Length": 0 }).end();
        done(true);
        return;
      }
      finish(options, allowedOrigin(allow ?? false, origin), req, res, done);
    });
    return;
  }
  finish(options, allowedOrigin(rule, origin), req, res, done);
}

function finish(
  options: CorsOptions,
  allowOrigin: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  done: (handled: boolean) => void,
): void {
  if (allowOrigin !== undefined) {
    res.setHeader("Access-Control-Allow-Origin", allowOrigin);
    if (allowOrigin !== "*") res.setHeader("Vary", "Origin");
    if (options.credentials) res.setHeader("Access-Control-Allow-Credentials", "true");
    if (options.exposedHeaders !== undefined) {
      res.setHeader("Access-Control-Expose-Headers", list(options.exposedHeaders));
    }
  }
  if (req.method !== "OPTIONS") {
    done(false);
    return;
  }
  if (allowOrigin !== undefined) {
    res.setHeader(
      "Access-Control-Allow-Methods",
      options.methods === undefined ? DEFAULT_METHODS : list(options.methods),
    );
    const headers = options.allowedHeaders ?? req.headers["access-control-request-headers"];
    if (headers !== undefined && headers !== "") {
      res.setHeader("Access-Control-Allow-Headers", list(headers));
      res.appendHeader("Vary", "Access-Control-Request-Headers");
    }
    if (options.maxAge !== undefined)
      res.setHeader("Access-Control-Max-Age", String(options.maxAge));
  }
  res.writeHead(204, { "Content-Length": 0 }).end();
  done(true);
}

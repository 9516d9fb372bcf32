import { optionError } from "../engine/errors.js";

/** Defined (true) only when scripts/bundle.mjs builds the browser bundles; undeclared elsewhere. */
declare const SWITCHBOARD_BUNDLE: true | undefined;

/** A parsed `io()` URL. */
export interface ParsedUrl {
  /** `http(s)://host[:port]`: where the engine connects (ws/wss are mapped to http/https). */
  origin: string;
  /** Manager cache key: `scheme://hostname:port` + engine path. */
  id: string;
  /** The namespace: the URL's path, `/` by default. */
  nsp: string;
  /** The URL's query parameters. */
  query: Record<string, string>;
}

/**
 * Parses the URL given to `io()` like socket.io-client: relative to `base` (the page in
 * browsers), `//host` takes the base's scheme, and a URL without a scheme gets http(s).
 * A URL that does not parse throws a `TypeError` of code `SB_ERR_INVALID_OPTION`.
 */
export function parseUrl(uri: string, base: string, enginePath: string): ParsedUrl {
  // io() and the Manager parse the same URL, and a Node.js process that opens many clients
  // parses one URL many times: the last parse is kept (two URL objects per call otherwise).
  // The browser bundles fold the memo away (a page opens a client or two).
  if (typeof SWITCHBOARD_BUNDLE === "undefined" && last?.uri === uri && last.base === base) {
    const { origin, host, nsp, query } = last;
    return { origin, id: host + enginePath, nsp, query: { ...query } };
  }
  const baseUrl = new URL(base);
  // `//host` and `/path` resolve against the base; anything else without a scheme is a host
  const full = /^(\/|(https?|wss?):\/\/)/i.test(uri)
    ? uri
    : `${baseUrl.protocol === "https:" ? "https" : "http"}://${uri}`;
  let url: URL;
  try {
    url = new URL(full, baseUrl);
  } catch {
    throw optionError("invalid URL"); // URL's own TypeError, with our code
  }
  const secure = url.protocol === "https:" || url.protocol === "wss:";
  const scheme = secure ? "https" : "http";
  const parsed = {
    origin: `${scheme}://${url.host}`,
    id: `${scheme}://${url.hostname}:${url.port || (secure ? "443" : "80")}${enginePath}`,
    nsp: decodeURIComponent(url.pathname) || "/",
    query: Object.fromEntries(url.searchParams),
  };
  if (typeof SWITCHBOARD_BUNDLE === "undefined") {
    const host = parsed.id.slice(0, parsed.id.length - enginePath.length);
    last = {
      uri,
      base,
      host,
      origin: parsed.origin,
      nsp: parsed.nsp,
      query: { ...parsed.query },
    };
  }
  return parsed;
}

/** The last URL parsed by {@link parseUrl} (Node.js builds). */
let last:
  | {
      uri: string;
      base: string;
      host: string;
      origin: string;
      nsp: string;
      query: Record<string, string>;
    }
  | undefined;

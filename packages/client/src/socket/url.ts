import { optionError } from "../engine/errors.js";

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
  const baseUrl = new URL(base);
  // `//host` and `/path` resolve against the base; anything else without a scheme is a host
  if (!/^(\/|(https?|wss?):\/\/)/i.test(uri)) {
    uri = `${baseUrl.protocol === "https:" ? "https" : "http"}://${uri}`;
  }
  let url: URL;
  try {
    url = new URL(uri, baseUrl);
  } catch {
    throw optionError("invalid URL"); // URL's own TypeError, with our code
  }
  const secure = url.protocol === "https:" || url.protocol === "wss:";
  const scheme = secure ? "https" : "http";
  return {
    origin: `${scheme}://${url.host}`,
    id: `${scheme}://${url.hostname}:${url.port || (secure ? "443" : "80")}${enginePath}`,
    nsp: decodeURIComponent(url.pathname) || "/",
    query: Object.fromEntries(url.searchParams),
  };
}

import type { IncomingHttpHeaders } from "node:http";
import { parse as parseQuery } from "node:querystring";
import type { Handshake } from "../adapter/types.js";
import type { EngineConnection } from "../engine/index.js";

type Query = Handshake["query"];

/** The accessors of every {@link LazyHandshake}, built once by its static block. */
let ACCESSORS: PropertyDescriptorMap;

/** The accessors of every {@link LazyHandshake}, built once by its static block. */
/**
 * `socket.handshake`, read from the engine's request only when a field is first read.
 *
 * Most apps read `handshake.auth` and nothing else, so the headers (Node builds
 * `req.headers` lazily from `rawHeaders`), the query object and the date string would be
 * paid per connection for nothing. The other fields are own enumerable accessors shared
 * through one hidden class, so the object still spreads, serialises (`JSON.stringify`,
 * cluster adapters) and compares like socket.io's plain object.
 */
export class LazyHandshake {
  /** The CONNECT auth payload. */
  auth: Record<string, unknown>;
  /** Creation time, milliseconds since the epoch. */
  issued: number;
  readonly #conn: EngineConnection;
  #query: Query | undefined;

  constructor(conn: EngineConnection, auth: Record<string, unknown>, issued: number) {
    this.auth = auth;
    this.issued = issued;
    this.#conn = conn;
    Object.defineProperties(this, ACCESSORS);
  }

  static {
    const field = <T>(get: (hs: LazyHandshake) => T): PropertyDescriptor => ({
      get(this: LazyHandshake) {
        return get(this);
      },
      enumerable: true,
      configurable: true,
    });
    ACCESSORS = {
      headers: field((hs): IncomingHttpHeaders => hs.#conn.request.headers),
      time: field((hs) => new Date(hs.issued).toString()),
      address: field((hs) => hs.#conn.remoteAddress),
      xdomain: field((hs) => hs.#conn.request.headers.origin !== undefined),
      secure: field(
        (hs) => (hs.#conn.request.socket as { encrypted?: boolean } | null)?.encrypted === true,
      ),
      url: field((hs) => hs.#conn.request.url ?? "/"),
      query: {
        get(this: LazyHandshake) {
          if (this.#query === undefined) {
            const url = this.#conn.request.url ?? "/";
            const q = url.indexOf("?");
            this.#query = q === -1 ? {} : { ...parseQuery(url.slice(q + 1)) };
          }
          return this.#query;
        },
        set(this: LazyHandshake, value: Query) {
          this.#query = value;
        },
        enumerable: true,
        configurable: true,
      },
    };
  }
}

/** Builds the handshake of a socket (a {@link Handshake} whose fields are read on demand). */
export function createHandshake(
  conn: EngineConnection,
  auth: Record<string, unknown>,
  issued: number,
): Handshake {
  return new LazyHandshake(conn, auth, issued) as unknown as Handshake;
}

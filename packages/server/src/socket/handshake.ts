import type { IncomingHttpHeaders } from "node:http";
import { parse as parseQuery } from "node:querystring";
import type { EngineConnection } from "../engine/index.js";
import type { Handshake } from "./types.js";

type Query = Handshake["query"];

/** The fields of a handshake that are read from the request only when asked for. */
const LAZY_FIELDS = ["headers", "time", "address", "xdomain", "secure", "url", "query"] as const;

/**
 * `socket.handshake`, read from the engine's request only when a field is first read.
 *
 * Most apps read `handshake.auth` and nothing else, so the headers (Node builds
 * `req.headers` lazily from `rawHeaders`), the query object and the date string would be
 * paid per connection for nothing. The lazy fields are getters on the prototype (own
 * accessors cost ~2 µs per connection to define); assigning one stores an own value, as
 * on a plain object. `toJSON` and {@link plainHandshake} give the plain object that
 * socket.io has, for serialisers that only walk own properties.
 */
export class LazyHandshake implements Handshake {
  /** The CONNECT auth payload. */
  auth: Record<string, unknown>;
  /** Creation time, milliseconds since the epoch. */
  issued: number;
  readonly #conn: EngineConnection;
  #query: Query | undefined;
  /** `time` as last computed, and the `issued` it was computed from. */
  #time: string | undefined;
  #timeOf = 0;

  constructor(conn: EngineConnection, auth: Record<string, unknown>, issued: number) {
    this.auth = auth;
    this.issued = issued;
    this.#conn = conn;
  }

  /** The headers of the handshake request (the request's own object, not a copy). */
  get headers(): IncomingHttpHeaders {
    return this.#conn.request.headers;
  }

  /**
   * Creation date, `Date#toString()`. Kept once computed (~0.4 µs each, paid for every
   * socket of every fetchSockets answer otherwise).
   */
  get time(): string {
    if (this.#time === undefined || this.#timeOf !== this.issued) {
      this.#time = new Date(this.issued).toString();
      this.#timeOf = this.issued;
    }
    return this.#time;
  }

  /** The remote address. */
  get address(): string {
    return this.#conn.remoteAddress;
  }

  /** Whether the request carried an `Origin` header (cross-domain). */
  get xdomain(): boolean {
    return this.#conn.request.headers.origin !== undefined;
  }

  /** Whether the connection is TLS. */
  get secure(): boolean {
    return (this.#conn.request.socket as { encrypted?: boolean } | null)?.encrypted === true;
  }

  /** The request URL. */
  get url(): string {
    return this.#conn.request.url ?? "/";
  }

  /** The parsed query string of the handshake request (parsed once, on first access). */
  get query(): Query {
    if (this.#query === undefined) {
      const url = this.#conn.request.url ?? "/";
      const q = url.indexOf("?");
      this.#query = q === -1 ? {} : { ...parseQuery(url.slice(q + 1)) };
    }
    return this.#query;
  }

  /** The plain-object form (what `JSON.stringify` writes). */
  toJSON(): Handshake {
    return plainHandshake(this);
  }

  static {
    // Assigning a lazy field stores an own property, as on socket.io's plain object.
    for (const field of LAZY_FIELDS) {
      const descriptor = Object.getOwnPropertyDescriptor(LazyHandshake.prototype, field);
      Object.defineProperty(LazyHandshake.prototype, field, {
        get: descriptor?.get,
        set(this: LazyHandshake, value: unknown) {
          Object.defineProperty(this, field, {
            value,
            writable: true,
            enumerable: true,
            configurable: true,
          });
        },
        enumerable: true,
        configurable: true,
      });
    }
  }
}

/** Builds the handshake of a socket (a {@link Handshake} whose fields are read on demand). */
export function createHandshake(
  conn: EngineConnection,
  auth: Record<string, unknown>,
  issued: number,
): Handshake {
  return new LazyHandshake(conn, auth, issued);
}

/** A plain-object copy of a handshake (for other nodes and serialisers). */
export function plainHandshake(handshake: Handshake): Handshake {
  return {
    headers: handshake.headers,
    time: handshake.time,
    address: handshake.address,
    xdomain: handshake.xdomain,
    secure: handshake.secure,
    issued: handshake.issued,
    url: handshake.url,
    query: handshake.query,
    auth: handshake.auth,
  };
}

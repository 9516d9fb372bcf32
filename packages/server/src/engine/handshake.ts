import { type IncomingMessage, ServerResponse } from "node:http";
import { HandshakeError, HandshakeRefusal } from "./errors.js";
import type { EngineMiddleware, ResolvedEngineOptions } from "./options.js";

/** Called with the new session's id once the handshake may go on. */
export type AcceptHandshake = (id: string) => void;
/** Called with the refusal when a step refuses the handshake. */
export type RefuseHandshake = (error: HandshakeError) => void;

/** What the pipeline reads of its server. */
export interface HandshakeHost {
  readonly options: ResolvedEngineOptions;
  /** The server's `generateId` (overridable by the user, so read at each handshake). */
  generateId(req: IncomingMessage): string | Promise<string>;
  /** Whether `id` is a live session's. */
  isLive(id: string): boolean;
}

function idError(req: IncomingMessage, error: unknown): HandshakeError {
  return new HandshakeError(HandshakeRefusal.ID_GENERATION, req, {
    name: "ID_GENERATION_ERROR",
    error,
  });
}

/**
 * The steps of a new session's handshake, after the request was verified: the
 * middlewares (`use`), then `allowRequest`, then an id from `generateId`, checked to be
 * new. Each step may refuse (403 / code 4 for the first two, 400 / code 3 for the id).
 */
export class HandshakePipeline {
  readonly #host: HandshakeHost;
  readonly #middlewares: EngineMiddleware[] = [];

  constructor(host: HandshakeHost) {
    this.#host = host;
  }

  use(middleware: EngineMiddleware): void {
    this.#middlewares.push(middleware);
  }

  /**
   * Runs the steps. `res` is null for a WebSocket handshake: middlewares then get a
   * detached `ServerResponse`, made only if there are any.
   */
  run(
    req: IncomingMessage,
    res: ServerResponse | null,
    accept: AcceptHandshake,
    refuse: RefuseHandshake,
  ): void {
    const middlewares = this.#middlewares;
    if (middlewares.length === 0) {
      // The common case goes straight on, without the `next` chain.
      this.#allow(req, accept, refuse);
      return;
    }
    let index = 0;
    const next = (err?: unknown) => {
      if (err !== undefined && err !== null) {
        refuse(
          new HandshakeError(HandshakeRefusal.MIDDLEWARE_FAILURE, req, {
            name: "MIDDLEWARE_FAILURE",
            error: err,
          }),
        );
        return;
      }
      const middleware = middlewares[index++];
      if (middleware !== undefined) {
        if (res === null) res = new ServerResponse(req);
        try {
          middleware(req, res, next);
        } catch (thrown) {
          next(thrown ?? new Error("middleware threw"));
        }
        return;
      }
      this.#allow(req, accept, refuse);
    };
    next();
  }

  #allow(req: IncomingMessage, accept: AcceptHandshake, refuse: RefuseHandshake): void {
    const allowRequest = this.#host.options.allowRequest;
    if (allowRequest === undefined) {
      this.#withId(req, accept, refuse);
      return;
    }
    let answered = false;
    allowRequest(req, (err, success) => {
      if (answered) return;
      answered = true;
      if (success) this.#withId(req, accept, refuse);
      else {
        refuse(
          new HandshakeError(
            HandshakeRefusal.REQUEST_REFUSED,
            req,
            { name: "FORBIDDEN", message: err },
            typeof err === "string" && err !== "" ? err : undefined,
          ),
        );
      }
    });
  }

  /** Asks `generateId` for the session id (synchronous or a Promise) and checks it is new. */
  #withId(req: IncomingMessage, accept: AcceptHandshake, refuse: RefuseHandshake): void {
    let id: string | Promise<string>;
    try {
      id = this.#host.generateId(req);
    } catch (err) {
      refuse(idError(req, err));
      return;
    }
    if (typeof id === "string") this.#checkedId(req, id, accept, refuse);
    else {
      id.then(
        (value) => this.#checkedId(req, value, accept, refuse),
        (err: unknown) => refuse(idError(req, err)),
      );
    }
  }

  #checkedId(
    req: IncomingMessage,
    id: string,
    accept: AcceptHandshake,
    refuse: RefuseHandshake,
  ): void {
    if (this.#host.isLive(id)) {
      refuse(new HandshakeError(HandshakeRefusal.DUPLICATE_SID, req, { name: "DUPLICATE_SID" }));
    } else accept(id);
  }
}

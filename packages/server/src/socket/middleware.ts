/**
 * Connection middlewares (`io.use`, `nsp.use`): run in order on a new socket until one
 * refuses it. The namespace calls this for every CONNECT that has middlewares to pass.
 */

/** A middleware error: `message` and `data` reach the client's `connect_error`. */
export interface ExtendedError extends Error {
  data?: unknown;
}

/** A connection middleware as the runner sees it: `next(err)` refuses the socket. */
type Middleware<S> = (socket: S, next: (err?: ExtendedError) => void) => void;

/**
 * Runs `fns` (a snapshot: a middleware added meanwhile waits for the next CONNECT) on
 * `socket`. Resolves with the first refusal (a thrown value counts as one), or undefined
 * when every middleware called `next()`. A `next` called twice counts once.
 */
export function runMiddlewares<S>(
  fns: readonly Middleware<S>[],
  socket: S,
): Promise<ExtendedError | undefined> {
  const list = fns.slice();
  if (list.length === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const run = (i: number) => {
      const fn = list[i];
      if (fn === undefined) {
        resolve(undefined);
        return;
      }
      let called = false;
      try {
        fn(socket, (err) => {
          if (called) return;
          called = true;
          if (err !== undefined && err !== null) resolve(toError(err));
          else run(i + 1);
        });
      } catch (err) {
        if (!called) {
          called = true;
          resolve(toError(err));
        }
      }
    };
    run(0);
  });
}

/**
 * The refusal sent to the client as `{message, data}`: the app's own value (an Error, an
 * object with a `message`, anything else as a string), not an error of this layer.
 */
function toError(err: unknown): ExtendedError {
  if (err instanceof Error) return err;
  if (typeof err === "object" && err !== null && "message" in err) {
    const e = new Error(String((err as { message: unknown }).message)) as ExtendedError;
    e.data = (err as { data?: unknown }).data;
    return e;
  }
  return new Error(String(err));
}

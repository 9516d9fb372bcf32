import { isStandardSchema, runSchema, type SchemaCheck } from "@switchboard/protocol";
import type { AnyListener } from "../emitter.js";

/**
 * The code of a refused payload: the server's `SocketErrorCode.VALIDATION`, the same on both
 * sides. Not in `ClientErrorCode` (nothing on the client throws or emits it), which the IIFE
 * bundles carry whole.
 */
export const VALIDATION_ERROR_CODE = "SB_ERR_VALIDATION";

/**
 * The listener of `socket.on(event, schema, handler)` (issue 18): runs `schema` on the
 * event's first argument; the handler gets the schema's output, and an invalid payload never
 * reaches it (the server's ack, when it asked for one, gets `{ error: { code:
 * "SB_ERR_VALIDATION", event, issues } }`). The wrapper's `listener` is the handler, so
 * `off(event, handler)` removes it (Emitter matches it as for `once`).
 */
export function validatedListener(
  self: unknown,
  event: string,
  schema: unknown,
  handler: AnyListener,
): AnyListener {
  if (!isStandardSchema(schema))
    throw new TypeError(`schema of "${event}" is not a Standard Schema`);
  const validated: AnyListener & { listener?: AnyListener } = (...args: unknown[]) => {
    const last = args[args.length - 1];
    const settle = (check: SchemaCheck): void => {
      if (check.ok) {
        args[0] = check.value;
        handler.apply(self, args);
      } else if (typeof last === "function") {
        last({ error: { code: VALIDATION_ERROR_CODE, event, issues: check.issues } });
      }
    };
    const check = runSchema(schema, args[0]);
    if (check instanceof Promise) void check.then(settle, () => settle({ ok: false, issues: [] }));
    else settle(check);
  };
  validated.listener = handler;
  return validated;
}

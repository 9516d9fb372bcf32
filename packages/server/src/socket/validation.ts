import {
  type InferSchemaInput,
  type InferSchemaOutput,
  isStandardSchema,
  runSchema,
  type SchemaCheck,
  type StandardSchemaV1,
  type ValidationIssue,
} from "@switchboard/protocol";
import type { Ack } from "./acks.js";
import { SocketError, SocketErrorCode } from "./errors.js";
import { kOptions, kRefuse, kReportError } from "./internal.js";

/**
 * Validated events (issue 18): what a client sends is checked by a Standard Schema (zod,
 * valibot, arktype, …) before any handler runs. This file holds the schema tables, their
 * types, and the one validation step; the socket decides what the client hears.
 */

/** A validated event's schemas: its payload (first argument) and, optionally, its ack answer. */
export interface EventSchemaPair<
  Payload extends StandardSchemaV1 = StandardSchemaV1,
  Answer extends StandardSchemaV1 = StandardSchemaV1,
> {
  /** Checks the event's first argument; the handler gets the schema's output. */
  payload: Payload;
  /** Checks the first argument the handler passes to the ack, before it is sent. Optional. */
  ack?: Answer;
}

/** The schema of one event: a schema of its payload, or `{ payload, ack }`. */
export type EventSchema = StandardSchemaV1 | EventSchemaPair;

/** Event name → schema, for {@link Namespace.validate}. */
export type EventSchemas = Record<string, EventSchema>;

/** The acknowledgement a validated handler may call (absent when the client asked for none). */
type SchemaAck<E> = E extends { ack: infer A extends StandardSchemaV1 }
  ? (answer: InferSchemaInput<A>) => void
  : // biome-ignore lint/suspicious/noExplicitAny: an unvalidated ack answers anything
    (...answer: any[]) => void;

/** The payload schema of an {@link EventSchema}. */
type PayloadOf<E> = E extends EventSchemaPair<infer P> ? P : E;

/**
 * The listen map a schema table stands for: each event's handler gets the schema's
 * output and (when the client asks) an ack typed by the ack schema's input.
 */
export type SchemaEvents<M extends EventSchemas> = {
  [K in keyof M]: PayloadOf<M[K]> extends StandardSchemaV1
    ? (value: InferSchemaOutput<PayloadOf<M[K]>>, ack: SchemaAck<M[K]>) => void
    : never;
};

/**
 * What a client hears when an event is refused: the ack's `{ error }`, or the payload of
 * an `error` event when it asked for no ack.
 */
export interface GuardError {
  /** `SB_ERR_VALIDATION`, `SB_ERR_VALIDATION_TIMEOUT` or `SB_ERR_RATE_LIMITED`. */
  code: string;
  /** The refused event's name. */
  event: string;
  /** With `SB_ERR_VALIDATION`: why. */
  issues?: ValidationIssue[];
  /** With `SB_ERR_RATE_LIMITED`: ms until the client may send this event again. */
  retryAfter?: number;
}

/** A resolved schema table entry. */
export interface ResolvedSchema {
  readonly payload: StandardSchemaV1;
  readonly ack: StandardSchemaV1 | undefined;
}

/** Checks a schema table, throwing a `TypeError` for an entry that is not a schema. */
export function resolveSchemas(
  schemas: EventSchemas,
  onInvalid: (message: string) => Error,
): Map<string, ResolvedSchema> {
  const table = new Map<string, ResolvedSchema>();
  for (const [event, entry] of Object.entries(schemas)) {
    if (isStandardSchema(entry)) {
      table.set(event, { payload: entry, ack: undefined });
    } else if (
      typeof entry === "object" &&
      entry !== null &&
      isStandardSchema(entry.payload) &&
      (entry.ack === undefined || isStandardSchema(entry.ack))
    ) {
      table.set(event, { payload: entry.payload, ack: entry.ack });
    } else {
      throw onInvalid(`schema of event "${event}" is not a Standard Schema`);
    }
  }
  return table;
}

/**
 * Runs `schema` on `value`. Synchronous schemas answer synchronously; an async one is given
 * `timeout` ms, after which the result is `undefined` (the caller refuses the event).
 */
export function validate(
  schema: StandardSchemaV1,
  value: unknown,
  timeout: number,
): SchemaCheck | Promise<SchemaCheck | undefined> {
  const result = runSchema(schema, value);
  if (!(result instanceof Promise)) return result;
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    result,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, timeout, undefined);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** What the validation steps need of a socket (Socket implements it). */
export interface ValidationHost {
  readonly connected: boolean;
  readonly nsp: {
    readonly server: { readonly [kOptions]: { readonly validationTimeout: number } };
  };
  /** Tell the client an event was refused: in `ack`, or an `error` event when `notify`. */
  [kRefuse](error: GuardError, ack: Ack | undefined, notify: boolean): void;
  /** Raise the socket's `error` event (false without a listener). */
  [kReportError](err: Error): boolean;
}

/**
 * Validates an event's payload `value`; `then` gets the schema's output, else the client
 * hears why (the ack's `{ error }`, or an `error` event). Nothing runs once the socket is gone.
 */
export function checkPayload(
  socket: ValidationHost,
  event: string,
  schema: StandardSchemaV1,
  value: unknown,
  ack: Ack | undefined,
  then: (value: unknown) => void,
): void {
  const settle = (checked: SchemaCheck | undefined): void => {
    if (!socket.connected) return;
    if (checked?.ok === true) then(checked.value);
    else if (checked === undefined) {
      socket[kRefuse]({ code: SocketErrorCode.VALIDATION_TIMEOUT, event }, ack, true);
    } else {
      socket[kRefuse](
        { code: SocketErrorCode.VALIDATION, event, issues: checked.issues },
        ack,
        true,
      );
    }
  };
  let checked: ReturnType<typeof validate>;
  try {
    checked = validate(schema, value, socket.nsp.server[kOptions].validationTimeout);
  } catch (err) {
    schemaFailed(socket, event, ack, err);
    return;
  }
  if (checked instanceof Promise) {
    checked.then(settle, (err: unknown) => schemaFailed(socket, event, ack, err));
  } else settle(checked);
}

/** A schema threw: the client hears `SB_ERR_VALIDATION`, the app an `error` event. */
function schemaFailed(
  socket: ValidationHost,
  event: string,
  ack: Ack | undefined,
  err: unknown,
): void {
  if (!socket.connected) return;
  socket[kRefuse]({ code: SocketErrorCode.VALIDATION, event, issues: [] }, ack, true);
  socket[kReportError](
    new SocketError(SocketErrorCode.VALIDATION, `schema of "${event}" threw`, { cause: err }),
  );
}

/** The ack of an event with an `ack` schema: an invalid answer is not sent. */
export function validatedAck(
  socket: ValidationHost,
  event: string,
  schema: StandardSchemaV1,
  ack: Ack,
): Ack {
  return (...answer: unknown[]) => {
    const settle = (checked: SchemaCheck | undefined): void => {
      if (checked?.ok === true) {
        ack(...answer);
        return;
      }
      ack({ error: { code: SocketErrorCode.ACK_VALIDATION, event } });
      socket[kReportError](
        new SocketError(
          SocketErrorCode.ACK_VALIDATION,
          `ack of "${event}" failed its schema: ${JSON.stringify(checked?.issues ?? "timeout")}`,
        ),
      );
    };
    const checked = validate(schema, answer[0], socket.nsp.server[kOptions].validationTimeout);
    if (checked instanceof Promise) void checked.then(settle, () => settle(undefined));
    else settle(checked);
  };
}

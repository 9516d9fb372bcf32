/**
 * The Standard Schema v1 interface (https://standardschema.dev, `@standard-schema/spec`
 * 1.x), copied as types: the spec is meant to be vendored, so Switchboard has no
 * runtime (or type) dependency on it. zod (3.24+), valibot (1.0+) and arktype (2.0+)
 * schemas implement it. Flattened out of the spec's `namespace` (the lint forbids
 * namespaces); structurally the same types. Shared by the server and the client (issue 18:
 * validated events), with the one schema run both use.
 */

/** A schema of any Standard Schema library (zod, valibot, arktype, …). */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema properties. */
  readonly "~standard": StandardSchemaProps<Input, Output>;
}

/** The `~standard` properties of a {@link StandardSchemaV1}. */
export interface StandardSchemaProps<Input = unknown, Output = Input> {
  /** The version number of the standard. */
  readonly version: 1;
  /** The vendor name of the schema library. */
  readonly vendor: string;
  /** Validates unknown input values. */
  readonly validate: (
    value: unknown,
    options?: { readonly libraryOptions?: Record<string, unknown> | undefined } | undefined,
  ) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
  /** Inferred types associated with the schema. */
  readonly types?: { readonly input: Input; readonly output: Output } | undefined;
}

/** The result of `validate`: a value, or issues. */
export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardSchemaIssue> };

/** One validation issue. */
export interface StandardSchemaIssue {
  /** The error message of the issue. */
  readonly message: string;
  /** The path of the issue, if any. */
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** The type a schema accepts. */
export type InferSchemaInput<S extends StandardSchemaV1> = NonNullable<
  S["~standard"]["types"]
>["input"];

/** The type a schema produces (what a validated handler receives). */
export type InferSchemaOutput<S extends StandardSchemaV1> = NonNullable<
  S["~standard"]["types"]
>["output"];

/** Whether `value` is a Standard Schema (has a `~standard` object with `validate`). */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  const props = (value as { "~standard"?: { validate?: unknown } })["~standard"];
  return typeof props === "object" && props !== null && typeof props.validate === "function";
}

/** One validation issue as a peer receives it: JSON-safe (path keys are strings or numbers). */
export interface ValidationIssue {
  /** The schema library's message. */
  message: string;
  /** Where in the payload, when the library says. */
  path?: (string | number)[];
}

/** The result of {@link runSchema}: the schema's output, or JSON-safe issues. */
export type SchemaCheck = { ok: true; value: unknown } | { ok: false; issues: ValidationIssue[] };

/**
 * Runs `schema` on `value`: synchronously for a synchronous schema, else a promise (which
 * rejects when the schema throws asynchronously; a synchronous throw propagates).
 */
export function runSchema(
  schema: StandardSchemaV1,
  value: unknown,
): SchemaCheck | Promise<SchemaCheck> {
  const result = schema["~standard"].validate(value);
  return result instanceof Promise ? result.then(toCheck) : toCheck(result);
}

function toCheck(result: StandardSchemaResult<unknown>): SchemaCheck {
  if (result.issues === undefined) return { ok: true, value: result.value };
  return { ok: false, issues: result.issues.map(toIssue) };
}

function toIssue(issue: StandardSchemaIssue): ValidationIssue {
  const message = String(issue.message);
  if (issue.path === undefined || issue.path.length === 0) return { message };
  return {
    message,
    path: issue.path.map((segment) => {
      const key = typeof segment === "object" ? segment.key : segment;
      return typeof key === "number" ? key : String(key);
    }),
  };
}

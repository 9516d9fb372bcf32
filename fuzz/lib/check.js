// Assertions for fuzz targets: a broken invariant throws, and the fuzzer saves the input.

/** A fuzz target's own check failed (as opposed to the code under test throwing). */
export class InvariantError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "InvariantError";
  }
}

/**
 * @param {unknown} condition
 * @param {string} message
 * @returns {asserts condition}
 */
export function check(condition, message) {
  if (!condition) throw new InvariantError(message);
}

/**
 * Lets a documented error through and rethrows anything else: an error of another class
 * as it is (its stack shows where it came from), one of the right class with a code
 * outside `codes` as an InvariantError.
 *
 * @param {unknown} err
 * @param {Function} errorClass
 * @param {ReadonlySet<string>} codes
 * @param {string} where
 */
export function expectError(err, errorClass, codes, where) {
  if (!(err instanceof errorClass)) throw err;
  const code = /** @type {{ code?: unknown }} */ (err).code;
  check(typeof code === "string" && codes.has(code), `${where}: undocumented code ${String(code)}`);
}

/**
 * Makes `value instanceof cls` true for instances of every copy of `cls` loaded in one
 * process, not only of this copy. A package published as both ESM and CommonJS is loaded
 * twice when an app reaches it both ways (the dual-package hazard): an error thrown by the
 * CommonJS copy would fail an `instanceof` against the class imported from the ESM copy.
 * Each copy marks its prototype with the same registered symbol (`Symbol.for(key)`), and
 * `instanceof cls` tests for that mark; a subclass keeps the ordinary prototype-chain test.
 *
 * Only for classes whose instances are plain data (the error classes): a class with
 * `#private` fields cannot share instances across copies, so it keeps its own identity.
 * Exported for the Switchboard packages (one implementation for all of them); not needed by
 * applications.
 *
 * @param cls - the class, from a `static {}` block of its body
 * @param key - a key unique to the class and stable across versions, e.g.
 *   `"switchboard.ProtocolError"`
 */
export function shareInstanceCheck(
  cls: abstract new (...args: never[]) => object,
  key: string,
): void {
  const mark = Symbol.for(key);
  Object.defineProperty(cls.prototype, mark, { value: true });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value(this: unknown, value: unknown): boolean {
      return this === cls
        ? mark in Object(value)
        : Function.prototype[Symbol.hasInstance].call(this, value);
    },
  });
}

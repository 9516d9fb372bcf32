// Counts the bytes of Buffers allocated while `meter.on` is set: a target checks that the
// code under test sets aside memory in proportion to what it was sent, not to what a
// header claims. Buffer.from(...) and views are not counted.

export const meter = { on: false, bytes: 0 };

for (const name of /** @type {const} */ (["allocUnsafe", "allocUnsafeSlow", "alloc"])) {
  const original = /** @type {(size: number, ...rest: unknown[]) => Buffer} */ (Buffer[name]);
  Object.defineProperty(Buffer, name, {
    value: function counted(/** @type {number} */ size, /** @type {unknown[]} */ ...rest) {
      if (meter.on) meter.bytes += size;
      return original.call(Buffer, size, ...rest);
    },
    writable: true,
    configurable: true,
  });
}

/**
 * Runs `fn`, adding the Buffer bytes it allocates to `meter.bytes`.
 *
 * @param {() => void} fn
 */
export function metered(fn) {
  meter.on = true;
  try {
    fn();
  } finally {
    meter.on = false;
  }
}

// Small statistics helpers for the report.

/** @param {readonly number[]} xs */
export function median(xs) {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const hi = s[mid] ?? 0;
  return s.length % 2 ? hi : ((s[mid - 1] ?? 0) + hi) / 2;
}

/** @param {readonly (number | null | undefined)[]} xs @returns {{ median: number | null, min: number | null, max: number | null, n: number }} */
export function summarize(xs) {
  const v = /** @type {number[]} */ (xs.filter((x) => typeof x === "number" && Number.isFinite(x)));
  if (v.length === 0) return { median: null, min: null, max: null, n: 0 };
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length };
}

/** Human formatting with ~3 significant digits. @param {number | null | undefined} x */
export function fmt(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "n/a";
  const a = Math.abs(x);
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

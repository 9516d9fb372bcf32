// Coverage feedback from V8's own block counters, read through the inspector protocol
// (Profiler.startPreciseCoverage with callCount + detailed). Why not Jazzer.js: its only
// npm release with a prebuilt addon (4.0.0) needs glibc 2.38 (Debian 12 has 2.36), its
// older releases download the addon from GitHub or build libFuzzer from a GitHub tarball
// at install time (no internet here, and `npm ci` would fail), and those older ones only
// instrument CommonJS while our dist/ is ESM. jsfuzz (the other coverage-guided npm
// fuzzer) is unmaintained, hooks only `require` and its parser rejects ES2022 (`#private`).
// V8 counts blocks anyway; asking it after each input costs ~0.2 ms and needs no
// instrumentation, so this small in-repo loop is coverage-guided on the real dist/ code.
import { Session } from "node:inspector";

/**
 * AFL's hit-count buckets: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+. A block reached a
 * different number of times (one more fragment, one more packet) is a new feature.
 *
 * @param {number} count
 * @returns {number}
 */
function bucket(count) {
  if (count <= 3) return count;
  if (count < 8) return 4;
  if (count < 16) return 5;
  if (count < 32) return 6;
  if (count < 128) return 7;
  return 8;
}

/** Block coverage of the scripts whose URL passes `filter`, collected after each input. */
export class Coverage {
  /** @param {(url: string) => boolean} filter which scripts count (the code under test) */
  constructor(filter) {
    this.filter = filter;
    this.session = new Session();
    this.session.connect();
    this.post("Profiler.enable");
    // Started before the code under test is imported: functions compiled earlier would
    // report function-level counts only.
    this.post("Profiler.startPreciseCoverage", { callCount: true, detailed: true });
    /** @type {Map<string, number>} script URL -> small index, for short feature keys */
    this.scripts = new Map();
  }

  /**
   * The inspector answers a same-thread session synchronously.
   *
   * @param {string} method
   * @param {object} [params]
   * @returns {any} the protocol result (shape depends on the method)
   */
  post(method, params) {
    let result;
    let error;
    this.session.post(method, params, (err, res) => {
      error = err;
      result = res;
    });
    if (error) throw error;
    return result;
  }

  /** Forgets the counts gathered so far (taking them resets them). */
  reset() {
    this.post("Profiler.takePreciseCoverage");
  }

  /**
   * The features of the code run since the last call: one number per (script, block,
   * hit-count bucket), exact while scripts are under 2 MiB and fewer than 64. Taking the
   * counts resets them.
   *
   * @returns {number[]}
   */
  take() {
    /** @type {{ result: { url: string, functions: { ranges: { startOffset: number, endOffset: number, count: number }[] }[] }[] }} */
    const { result } = this.post("Profiler.takePreciseCoverage");
    const features = [];
    for (const script of result) {
      if (!this.filter(script.url)) continue;
      let id = this.scripts.get(script.url);
      if (id === undefined) {
        id = this.scripts.size;
        this.scripts.set(script.url, id);
      }
      for (const fn of script.functions) {
        for (const range of fn.ranges) {
          if (range.count > 0) {
            features.push(
              ((id * 2 ** 21 + range.startOffset) * 2 ** 21 + range.endOffset) * 16 +
                bucket(range.count),
            );
          }
        }
      }
    }
    return features;
  }

  close() {
    this.post("Profiler.stopPreciseCoverage");
    this.session.disconnect();
  }
}

// Where inputs live: seeds (committed, real wire data), regressions (committed, inputs that
// once broke a target) and the working corpus a run grows (not committed).
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const FUZZ_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const REPO_DIR = path.resolve(FUZZ_DIR, "..");
export const TARGETS_DIR = path.join(FUZZ_DIR, "targets");
/** Default home of the working corpus and crash logs (git-ignored). */
export const WORK_DIR = path.join(REPO_DIR, "test-artifacts", "fuzz");

/** @param {string} target */
export const seedDir = (target) => path.join(FUZZ_DIR, "corpus", target);
/** @param {string} target */
export const regressionDir = (target) => path.join(FUZZ_DIR, "regressions", target);

/** @returns {string[]} the target names: one file each in fuzz/targets/ */
export function listTargets() {
  return readdirSync(TARGETS_DIR)
    .filter((f) => f.endsWith(".js"))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** @param {string} target @returns {string} the target module's path */
export const targetPath = (target) => path.join(TARGETS_DIR, `${target}.js`);

/**
 * Every input file of a directory (dotfiles and `*.md` / `*.log` excluded), sorted by name;
 * none when it does not exist.
 *
 * @param {string} dir
 * @returns {{ file: string, data: Buffer }[]}
 */
export function readInputs(dir) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => !n.startsWith(".") && !n.endsWith(".md") && !n.endsWith(".log"))
    .sort()
    .map((n) => ({ file: path.join(dir, n), data: readFileSync(path.join(dir, n)) }));
}

/** @param {Uint8Array} data @returns {string} a short content hash used as the file name */
export function hashOf(data) {
  return createHash("sha1").update(data).digest("hex").slice(0, 16);
}

/**
 * Writes `data` as `<prefix><hash>` in `dir` (created if needed); the same content never
 * makes a second file.
 *
 * @param {string} dir
 * @param {string} prefix
 * @param {Uint8Array} data
 * @returns {string} the file path
 */
export function saveInput(dir, prefix, data) {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${prefix}${hashOf(data)}`);
  writeFileSync(file, data);
  return file;
}

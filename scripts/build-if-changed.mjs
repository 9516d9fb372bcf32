#!/usr/bin/env node
// `npm start` (scripts/start.sh) runs this before serving the demo: it rebuilds with
// `npm run build` only when a build input changed since the last build it ran, or when an
// output the demo needs is missing. The inputs' fingerprint (path, size and mtime of each
// file) is kept in node_modules/.cache/switchboard/start-build.json, so `npm ci` (which
// empties node_modules) forces a rebuild too. Plain Node, no dependencies: it runs before
// anything is built.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Where the fingerprint of the last build's inputs is kept, relative to the root. */
export const STAMP = path.join("node_modules", ".cache", "switchboard", "start-build.json");

const ROOT_FILES = ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.base.json"];

function walk(dir, out, keep) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out, keep);
    else if (entry.isFile() && keep(entry.name)) out.push(full);
  }
}

const isConfig = (name) => name === "package.json" || /^tsconfig.*\.json$/.test(name);

/**
 * The files `npm run build` reads: the root's package and TypeScript configs; for each
 * package under packages/ its configs, `src/` (without the `*.test.ts` files the builds
 * exclude) and `scripts/` (the client's bundler); the demo's configs, `src/` and `web/`.
 * Sorted paths relative to `root`, with `/` separators.
 */
export function sourceFiles(root) {
  const files = [];
  for (const name of ROOT_FILES) {
    if (existsSync(path.join(root, name))) files.push(path.join(root, name));
  }
  const packages = path.join(root, "packages");
  const packageDirs = existsSync(packages)
    ? readdirSync(packages, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => path.join(packages, e.name))
    : [];
  for (const dir of [...packageDirs, path.join(root, "examples")]) {
    for (const entry of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []) {
      if (entry.isFile() && isConfig(entry.name)) files.push(path.join(dir, entry.name));
    }
    walk(path.join(dir, "src"), files, (name) => !name.endsWith(".test.ts"));
    walk(path.join(dir, "scripts"), files, () => true);
    walk(path.join(dir, "web"), files, () => true);
  }
  return files.map((f) => path.relative(root, f).split(path.sep).join("/")).sort();
}

/** What the demo needs built: the server, a page script, the client bundle, each package. */
export function requiredOutputs(root) {
  const outputs = [
    "examples/dist/server.js",
    "examples/public/build/chat.js",
    "packages/client/dist/bundle/socket.io.js",
  ];
  const packages = path.join(root, "packages");
  if (existsSync(packages)) {
    for (const entry of readdirSync(packages, { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(path.join(packages, entry.name, "tsconfig.json"))) {
        outputs.push(`packages/${entry.name}/dist/index.js`);
      }
    }
  }
  return outputs;
}

/** A hash of every input's path, size and modification time. */
export function fingerprint(root) {
  const hash = createHash("sha256");
  for (const file of sourceFiles(root)) {
    const stat = statSync(path.join(root, file));
    hash.update(`${file}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
  return hash.digest("hex");
}

/**
 * Why a build is needed (a sentence), or `null` when the outputs exist and no input
 * changed since the last build recorded in {@link STAMP}.
 */
export function rebuildReason(root, current = fingerprint(root)) {
  const missing = requiredOutputs(root).filter((f) => !existsSync(path.join(root, f)));
  if (missing.length > 0) return `${missing[0]} is missing`;
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(path.join(root, STAMP), "utf8"));
  } catch {
    return "no record of a previous build";
  }
  return stamp?.fingerprint === current ? null : "sources changed since the last build";
}

/** Builds when {@link rebuildReason} says so, then records the inputs it built from. */
export function buildIfChanged(root) {
  // Taken before building: a file saved during the build makes the next start build again.
  const current = fingerprint(root);
  const reason = rebuildReason(root, current);
  if (reason === null) {
    console.log("start: nothing changed since the last build, not rebuilding");
    return false;
  }
  console.log(`start: building (${reason})`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const result = spawnSync(npm, ["run", "build", "--silent"], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    throw new Error(`npm run build failed (${result.error?.message ?? `exit ${result.status}`})`);
  }
  mkdirSync(path.dirname(path.join(root, STAMP)), { recursive: true });
  writeFileSync(path.join(root, STAMP), `${JSON.stringify({ fingerprint: current })}\n`);
  return true;
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(path.resolve(entry)).href) {
  try {
    buildIfChanged(
      process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), ".."),
    );
  } catch (err) {
    console.error(`start: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
}

import { spawnSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { requiredOutputs, sourceFiles } from "../../../scripts/build-if-changed.mjs";
import { REPO_ROOT } from "../server-process.js";

// `npm start` runs the real scripts/start.sh here, in a small copy of the repository's
// layout whose `npm run build` only counts its runs and writes the outputs: the real
// build would rewrite the bundles other test files are serving at the same time.

let root: string;

const FAKE_BUILD = `import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
appendFileSync("build.log", "built\\n");
for (const f of ${JSON.stringify([
  "examples/dist/server.js",
  "examples/public/build/chat.js",
  "packages/client/dist/bundle/socket.io.js",
  "packages/client/dist/index.js",
  "packages/server/dist/index.js",
])}) {
  mkdirSync(f.slice(0, f.lastIndexOf("/")), { recursive: true });
  writeFileSync(f, f === "examples/dist/server.js" ? 'console.log("served")' : "");
}
`;

async function write(file: string, text = "x"): Promise<void> {
  await mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await writeFile(path.join(root, file), text);
}

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "sb-start-"));
  await cp(path.join(REPO_ROOT, "scripts", "start.sh"), path.join(root, "scripts", "start.sh"));
  await cp(
    path.join(REPO_ROOT, "scripts", "build-if-changed.mjs"),
    path.join(root, "scripts", "build-if-changed.mjs"),
  );
  await write(
    "package.json",
    JSON.stringify({ private: true, type: "module", scripts: { build: "node build.mjs" } }),
  );
  await write("build.mjs", FAKE_BUILD);
  for (const pkg of ["client", "server"]) {
    await write(`packages/${pkg}/package.json`, "{}");
    await write(`packages/${pkg}/tsconfig.json`, "{}");
    await write(`packages/${pkg}/src/index.ts`, "export {};");
    await write(`packages/${pkg}/src/index.test.ts`, "// a test: not a build input");
  }
  await write("packages/client/scripts/bundle.mjs", "// the bundler");
  await write("examples/package.json", "{}");
  await write("examples/src/server.ts", "export {};");
  await write("examples/web/chat.ts", "export {};");
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Runs `npm start` (scripts/start.sh); returns how many builds have run so far. */
async function start(): Promise<number> {
  const run = spawnSync("bash", [path.join(root, "scripts", "start.sh")], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toContain("served"); // the server was started after the check
  const log = await readFile(path.join(root, "build.log"), "utf8").catch(() => "");
  return log.split("\n").filter(Boolean).length;
}

/** Sets a file's modification time 10 s later than it was (what an editor's save does). */
async function touch(file: string): Promise<void> {
  const full = path.join(root, file);
  const { mtime } = await stat(full);
  const later = new Date(mtime.getTime() + 10_000);
  await utimes(full, later, later);
}

describe("npm start (scripts/start.sh)", () => {
  it("builds the first time, not when nothing changed, again when a source changed", async () => {
    expect(await start()).toBe(1);
    expect(await start()).toBe(1);
    await touch("examples/web/chat.ts");
    expect(await start()).toBe(2);
    expect(await start()).toBe(2);
    await touch("packages/server/src/index.ts");
    expect(await start()).toBe(3);
    await write("examples/src/new-demo.ts", "export {};"); // a new file
    expect(await start()).toBe(4);
    await rm(path.join(root, "examples/src/new-demo.ts")); // a deleted one
    expect(await start()).toBe(5);
    await touch("packages/client/scripts/bundle.mjs");
    expect(await start()).toBe(6);
    await touch("package.json");
    expect(await start()).toBe(7);
    expect(await start()).toBe(7);
  });

  it("does not rebuild for a test file, and rebuilds when an output is missing", async () => {
    expect(await start()).toBe(1);
    await touch("packages/server/src/index.test.ts");
    expect(await start()).toBe(1);
    await rm(path.join(root, "examples/public/build/chat.js"));
    expect(await start()).toBe(2);
  });

  it("rebuilds after npm ci (node_modules, where the record of the last build lives, is new)", async () => {
    expect(await start()).toBe(1);
    await rm(path.join(root, "node_modules"), { recursive: true });
    expect(await start()).toBe(2);
  });

  it("a failed build stops npm start before serving", async () => {
    await write("build.mjs", "process.exit(3);");
    const run = spawnSync("bash", [path.join(root, "scripts", "start.sh")], {
      cwd: root,
      encoding: "utf8",
    });
    expect(run.status).not.toBe(0);
    expect(run.stdout).not.toContain("served");
  });
});

describe("what the real repository's build reads", () => {
  it("every package's and the demo's sources, configs and scripts; no tests, no outputs", () => {
    const files: string[] = sourceFiles(REPO_ROOT);
    for (const expected of [
      "package.json",
      "package-lock.json",
      "tsconfig.base.json",
      "packages/protocol/src/index.ts",
      "packages/server/src/index.ts",
      "packages/client/src/index.ts",
      "packages/client/scripts/bundle.mjs",
      "packages/server/tsconfig.json",
      "examples/src/server.ts",
      "examples/web/chat.ts",
      "examples/package.json",
    ]) {
      expect(files).toContain(expected);
    }
    expect(files.filter((f) => /(^|\/)(dist|node_modules|build|test)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith(".test.ts"))).toEqual([]);
    expect(requiredOutputs(REPO_ROOT)).toEqual(
      expect.arrayContaining([
        "examples/dist/server.js",
        "packages/client/dist/bundle/socket.io.js",
        "packages/server/dist/index.js",
      ]),
    );
  });
});

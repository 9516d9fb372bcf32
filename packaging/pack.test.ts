// The published packages as a user gets them: `npm pack` each one, install the tarballs into
// a fresh app under the OS temp folder (outside the workspace: no symlink into it, nothing
// resolved from its node_modules), then run socket.io's chat example shape with only the
// import changed, the other import shapes of socket.io under CommonJS and ESM, and a
// TypeScript check of both packages under moduleResolution node16 (ESM and CommonJS files)
// and bundler. Third-party dependencies come from npm's cache (`--prefer-offline`, filled by
// the workspace's `npm ci`) or the registry. Every child process has a time bound.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@switchboard/server/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const fixtures = join(root, "packaging", "fixtures");
const PACKAGES = ["protocol", "server", "client", "redis"] as const;
const INSTALL_MS = 150_000;
const RUN_MS = 30_000;

/** The environment of a child npm: without the npm_* variables of an enclosing `npm test`. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("npm_") || key === "npm_config_cache") env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs a command to completion within `timeout` ms; rejects with its output on failure. */
function run(
  command: string,
  args: string[],
  options: { cwd: string; timeout: number; env?: NodeJS.ProcessEnv },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { ...options, env: options.env ?? childEnv(), maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(
            new Error(`${command} ${args.join(" ")} failed: ${err.message}\n${stdout}\n${stderr}`),
          );
        } else resolve({ stdout, stderr });
      },
    );
  });
}

interface PackedFile {
  filename: string;
  name: string;
  version: string;
  files: { path: string }[];
}

let app = "";
let packDir = "";
let packed: PackedFile[] = [];
const children = new Set<ChildProcess>();

/** Starts `node <script>` in the app and waits for the line it prints once listening. */
async function startChat(script: string): Promise<{ url: string; output: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [script], {
    cwd: app,
    env: childEnv({ PORT: String(port) }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} did not listen: ${output}`)),
      RUN_MS,
    );
    const check = () => {
      if (output.includes(`Server listening at port ${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}: ${output}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, output: () => output };
}

/** Runs a fixture script in the app and parses the JSON it prints. */
async function runJson(script: string, args: string[] = []): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [script, ...args], { cwd: app, timeout: RUN_MS });
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "");
}

beforeAll(async () => {
  for (const name of PACKAGES) {
    const dist = join(root, "packages", name, "dist");
    for (const file of ["index.js", "cjs/index.js", "cjs/package.json"]) {
      lstatSync(join(dist, file)); // throws (ENOENT) before a build: run `npm run build`
    }
  }
  packDir = mkdtempSync(join(tmpdir(), "switchboard-tarballs-"));
  app = mkdtempSync(join(tmpdir(), "switchboard-fresh-app-"));
  const workspaces = PACKAGES.flatMap((name) => ["-w", `@switchboard/${name}`]);
  const { stdout } = await run(
    "npm",
    ["pack", "--json", "--pack-destination", packDir, ...workspaces],
    { cwd: root, timeout: INSTALL_MS },
  );
  packed = JSON.parse(stdout);

  writeFileSync(
    join(app, "package.json"),
    `${JSON.stringify({ name: "fresh-app", version: "1.0.0", private: true }, null, 2)}\n`,
  );
  cpSync(fixtures, app, { recursive: true });
  // The chat example's one third-party dependency, at the version the workspace's demo uses
  // (so npm's cache has it).
  const express = JSON.parse(
    readFileSync(join(root, "node_modules", "express", "package.json"), "utf8"),
  ).version;
  await run(
    "npm",
    [
      "install",
      ...packed.map((p) => join(packDir, p.filename)),
      `express@${express}`,
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      "--no-package-lock",
    ],
    { cwd: app, timeout: INSTALL_MS },
  );
}, INSTALL_MS * 2);

afterAll(() => {
  for (const child of children) child.kill();
  if (app) rmSync(app, { recursive: true, force: true });
  if (packDir) rmSync(packDir, { recursive: true, force: true });
});

describe("the packed tarballs", () => {
  it("hold the ESM and CommonJS builds with their types, and no sources or tests", () => {
    expect(packed.map((p) => p.name).sort()).toEqual([
      "@switchboard/client",
      "@switchboard/protocol",
      "@switchboard/redis",
      "@switchboard/server",
    ]);
    for (const pack of packed) {
      const paths = pack.files.map((f) => f.path);
      for (const file of [
        "package.json",
        "README.md",
        "LICENSE",
        "dist/index.js",
        "dist/index.d.ts",
        "dist/cjs/index.js",
        "dist/cjs/index.d.ts",
        "dist/cjs/package.json",
      ]) {
        expect(paths, `${pack.name}: ${file}`).toContain(file);
      }
      expect(paths.filter((p) => /^(src|test)\/|\.test\.|tsbuildinfo/.test(p))).toEqual([]);
    }
    const client = packed.find((p) => p.name === "@switchboard/client");
    expect(client?.files.map((f) => f.path)).toContain("dist/bundle/socket.io.js");
  });

  it("install as real folders (no link into the workspace) with their dependencies", () => {
    for (const name of PACKAGES) {
      const dir = join(app, "node_modules", "@switchboard", name);
      expect(lstatSync(dir).isSymbolicLink()).toBe(false);
      expect(relative(root, dir).startsWith("..")).toBe(true);
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      expect(manifest.version).toBe(packed.find((p) => p.name === `@switchboard/${name}`)?.version);
    }
    // The server's own imports resolve from the app: protocol, client (its bundle), ws, debug.
    const server = JSON.parse(
      readFileSync(join(app, "node_modules/@switchboard/server/package.json"), "utf8"),
    );
    expect(Object.keys(server.dependencies)).toEqual(
      expect.arrayContaining(["@switchboard/protocol", "@switchboard/client", "ws", "debug"]),
    );
  });
});

/**
 * The bare package names that a package's installed files import or require (`.js`) or
 * reference in their types (`.d.ts`), browser bundles aside (they inline everything).
 */
function importedPackages(dir: string, suffix: ".js" | ".d.ts"): Set<string> {
  const names = new Set<string>();
  const specifier = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)["']([^"']+)["']/gm;
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "bundle") walk(full);
      } else if (
        entry.name.endsWith(suffix) &&
        (suffix === ".d.ts" || !entry.name.endsWith(".d.ts"))
      ) {
        // comments may show imports (doc examples): only code counts
        const code = readFileSync(full, "utf8")
          .replace(/\/\*[\s\S]*?\*\//g, "")
          .replace(/^\s*\/\/.*$/gm, "");
        for (const match of code.matchAll(specifier)) {
          const name = match[1] ?? "";
          if (/^(\.|#|node:)/.test(name)) continue;
          const parts = name.split("/");
          names.add(name.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? name));
        }
      }
    }
  };
  walk(join(dir, "dist"));
  return names;
}

describe("dependencies", () => {
  it.each(PACKAGES)("@switchboard/%s declares every package its files import", (name) => {
    const dir = join(app, "node_modules", "@switchboard", name);
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    // Optional peers (prom-client for the server's metrics entry) count as declared: the
    // entry that imports one is only loaded by those who installed it (tested below).
    const declared = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const undeclared = (names: Iterable<string>) =>
      [...names].filter((imported) => imported !== manifest.name && !declared.has(imported));
    expect(undeclared(importedPackages(dir, ".js"))).toEqual([]);
    const typed = importedPackages(dir, ".d.ts");
    expect(undeclared(typed)).toEqual([]);
    // A package referenced by the types but shipping none needs its @types package declared.
    for (const imported of typed) {
      if (imported === manifest.name) continue;
      const ownPath = join(app, "node_modules", imported, "package.json");
      // An optional peer not installed (yet): its types come with it (prom-client ships them).
      if (manifest.peerDependenciesMeta?.[imported]?.optional === true && !existsSync(ownPath)) {
        continue;
      }
      const own = JSON.parse(readFileSync(ownPath, "utf8"));
      if (
        own.types === undefined &&
        own.typings === undefined &&
        own.exports?.["."]?.types === undefined
      ) {
        expect(declared, `types of ${imported}`).toContain(`@types/${imported}`);
      }
    }
  });
});

describe("@switchboard/redis", () => {
  // No Redis client is installed in the app (both are optional peers): the package loads,
  // and createAdapter refuses an object that is no Redis client with a TypeError.
  it.each(["redis-smoke.mjs", "redis-smoke.cjs"])(
    "%s: createAdapter and Emitter load",
    async (script) => {
      expect(await runJson(script)).toEqual({
        createAdapter: "function",
        refusesNonClient: true,
        Emitter: "function",
        emitterRefusesNonClient: true,
      });
    },
  );
});

describe("socket.io's chat example with only the import changed", () => {
  const expected = {
    adaLogin: { numUsers: 1 },
    bobLogin: { numUsers: 2 },
    adaSawJoin: { username: "bob", numUsers: 2 },
    bobSawTyping: { username: "ada" },
    bobSawMessage: { username: "ada", message: "hello from ada" },
    adaSawLeave: { username: "bob", numUsers: 1 },
  };

  it.each([
    ["CommonJS: require('@switchboard/server')(server)", "chat.cjs"],
    ["ESM: import io from '@switchboard/server'; io(server)", "chat.mjs"],
  ])("%s", async (_title, script) => {
    const chat = await startChat(script);
    const page = await fetch(`${chat.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="/socket.io/socket.io.js"></script>');
    const bundle = await fetch(`${chat.url}/socket.io/socket.io.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toMatch(/^application\/javascript/);
    expect((await bundle.text()).length).toBeGreaterThan(10_000);
    expect(await runJson("chat-client.cjs", [chat.url])).toEqual(expected);
  });
});

describe("socket.io's import shapes", () => {
  const inApp = (path: string) => join(app, "node_modules", "@switchboard", path);

  it("CommonJS: callable module, { Server }, { io }, testing subpath, bundle, instanceof", async () => {
    expect(await runJson("smoke.cjs")).toEqual({
      resolved: {
        server: inApp("server/dist/cjs/index.js"),
        client: inApp("client/dist/cjs/index.js"),
        protocol: inApp("protocol/dist/cjs/index.js"),
      },
      shapes: {
        serverCallable: true,
        serverDefaultIsItself: true,
        clientCallable: true,
        clientIoIsItself: true,
        clientManagerAndSocket: true,
      },
      portCallable: "via require(...)(port)",
      classAndDestructuredIo: "via new Server()",
      bundle: { status: 200, type: "application/javascript; charset=utf-8", sameAsInstalled: true },
      testingSubpath: "in process",
      dualPackage: {
        twoCopies: true,
        cjsErrorIsEsmInstance: true,
        cjsErrorIsCjsInstance: true,
        code: "SB_ERR_UNKNOWN_PACKET_TYPE",
      },
    });
  });

  it("ESM: default export called, new Server(port), client default and { io }", async () => {
    expect(await runJson("smoke.mjs")).toEqual({
      resolved: {
        server: inApp("server/dist/index.js"),
        client: inApp("client/dist/index.js"),
        protocol: inApp("protocol/dist/index.js"),
      },
      shapes: { serverDefaultCallable: true, clientDefaultIsIo: true, manager: true },
      defaultExport: "via io(httpServer)",
      classWithPort: "via new Server(port)",
      bundle: { status: 200, type: "application/javascript; charset=utf-8", sameAsInstalled: true },
      testingSubpath: "in process",
      protocolError: true,
    });
  });
});

describe("the fault-test helpers of @switchboard/server/testing", () => {
  // A Redis of the script's own and a node in a child process, each killed and restarted,
  // from the installed tarball (redis-server on PATH, as for the Redis tests).
  it.each(["faults.cjs", "faults.mjs"])("%s", async (script) => {
    expect(await runJson(script)).toEqual({
      redisUrlReached: true,
      served: 200,
      killedCode: null,
      restartedServes: 200,
      redisDown: true,
      redisBack: true,
    });
  });
});

describe("TypeScript", () => {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");

  it.each([
    [
      "node16 (an .mts and a .cts file)",
      "tsconfig.node16.json",
      ["dist/index.d.ts", "dist/cjs/index.d.ts"],
      [],
    ],
    ["bundler", "tsconfig.bundler.json", ["dist/index.d.ts"], ["dist/cjs/index.d.ts"]],
  ])(
    "type-checks both packages under moduleResolution %s",
    async (_title, config, entries, absent) => {
      const { stdout } = await run(process.execPath, [tsc, "-p", config, "--listFiles"], {
        cwd: join(app, "types"),
        timeout: 120_000,
      });
      // The types came from the installed tarballs, through the conditions expected.
      for (const entry of entries) {
        expect(stdout).toContain(inAppTypes("server", entry));
        expect(stdout).toContain(inAppTypes("client", entry));
      }
      for (const entry of absent) expect(stdout).not.toContain(inAppTypes("server", entry));
    },
    150_000,
  );

  function inAppTypes(name: string, entry: string): string {
    return join(app, "node_modules", "@switchboard", name, entry);
  }
});

describe("@switchboard/server/dashboard", () => {
  // Before the metrics tests install prom-client: the dashboard needs no peer dependency.
  it.each(["dashboard-smoke.mjs", "dashboard-smoke.cjs"])(
    "%s: the page and its script are served from the installed package, behind basic auth",
    async (script) => {
      expect(await runJson(script)).toEqual({
        anonymous: 401,
        page: 200,
        script: [200, "text/javascript; charset=utf-8", true],
      });
    },
  );
});

describe("@switchboard/server/metrics and prom-client (an optional peer)", () => {
  // In this order: the app has no prom-client at first, then installs it.
  it.each(["metrics-smoke.mjs", "metrics-smoke.cjs"])(
    "%s: without prom-client the server and its health endpoint run; the metrics entry names what is missing",
    async (script) => {
      expect(await runJson(script)).toEqual({
        metrics: script.endsWith(".mjs") ? "ERR_MODULE_NOT_FOUND" : "MODULE_NOT_FOUND",
        namesPromClient: true,
        health: 200,
      });
    },
  );

  it.each(["metrics-smoke.mjs", "metrics-smoke.cjs"])(
    "%s: with prom-client installed the metrics are served",
    async (script) => {
      const version = JSON.parse(
        readFileSync(join(root, "node_modules", "prom-client", "package.json"), "utf8"),
      ).version;
      if (!existsSync(join(app, "node_modules", "prom-client"))) {
        await run(
          "npm",
          [
            "install",
            `prom-client@${version}`,
            "--prefer-offline",
            "--no-audit",
            "--no-fund",
            "--no-package-lock",
          ],
          { cwd: app, timeout: INSTALL_MS },
        );
      }
      expect(await runJson(script)).toEqual({ metrics: "loaded", health: 200, scrape: true });
    },
    INSTALL_MS,
  );
});

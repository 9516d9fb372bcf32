// Browser bundles of the client (run after `tsc -b`, from dist/): an unminified and a minified
// IIFE that define the global `io` (like socket.io-client's dist), and a minified ESM build.
// The "browser" condition picks src/platform/browser.ts, so `ws` never enters a bundle.
// The minified bundles carry ProtocolError codes instead of messages and shorten internal
// property names (minify-options.mjs).
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { browserBase64Plugin } from "./browser-base64.mjs";
import { minified } from "./minify-options.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist", "bundle");
mkdirSync(outdir, { recursive: true });

const common = {
  bundle: true,
  platform: "browser",
  target: "es2022",
  sourcemap: true,
  legalComments: "none",
  logLevel: "warning",
  absWorkingDir: root,
  // Node.js-only code (the WebSocket implementation options) is folded away.
  define: { SWITCHBOARD_BUNDLE: "true" },
  plugins: [browserBase64Plugin()],
};

// The global is the io() function itself, with every export of the package as a property (named
// one by one: a namespace import costs an export helper; test/bundle.test.ts checks the list).
// The IIFE bundles leave out the parser option: with SWITCHBOARD_IIFE defined, the Manager's
// parser branch folds to its TypeError and src/socket/custom-parser.ts is dropped. A parser
// module needs a bundler anyway (socket.io-msgpack-parser is CommonJS), and the support would
// take the bundle over its 10 KB budget. The ESM bundle keeps it.
const iife = {
  ...common,
  format: "iife",
  define: { ...common.define, SWITCHBOARD_IIFE: "true" },
  stdin: {
    contents: `import io, { ClientErrorCode, Emitter, Manager, Socket, SocketError, TransportError, protocol } from "./dist/index.js";
globalThis.io = Object.assign(io, { ClientErrorCode, Emitter, Manager, Socket, SocketError, TransportError, protocol, io, connect: io, default: io });`,
    resolveDir: root,
    sourcefile: "socket.io.global.js",
  },
};

await Promise.all([
  build({ ...iife, outfile: join(outdir, "socket.io.js") }),
  build({ ...iife, ...minified, outfile: join(outdir, "socket.io.min.js") }),
  build({
    ...common,
    ...minified,
    format: "esm",
    entryPoints: [join(root, "dist", "index.js")],
    outfile: join(outdir, "socket.io.esm.min.js"),
  }),
]);

// Prints the minified and minified+gzipped sizes of our minified bundles next to socket.io-client's;
// fails when the IIFE bundle is over 10 KB gzipped (test/bundle.test.ts checks the same).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);

function measure(file) {
  const bytes = readFileSync(file);
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

const kb = (n) => `${(n / 1024).toFixed(2)} KB`;
const ours = measure(join(root, "dist", "bundle", "socket.io.min.js"));
const esm = measure(join(root, "dist", "bundle", "socket.io.esm.min.js"));
const reference = measure(
  join(dirname(require.resolve("socket.io-client/package.json")), "dist", "socket.io.min.js"),
);
console.log(`@switchboard/client  socket.io.min.js  ${kb(ours.min)} min, ${kb(ours.gzip)} gzip`);
console.log(`@switchboard/client  socket.io.esm.min.js  ${kb(esm.min)} min, ${kb(esm.gzip)} gzip`);
console.log(
  `socket.io-client     socket.io.min.js  ${kb(reference.min)} min, ${kb(reference.gzip)} gzip`,
);
console.log(`ratio (gzip): ${(ours.gzip / reference.gzip).toFixed(2)}`);
if (ours.gzip > 10 * 1024) {
  console.error("the IIFE bundle is over 10 KB min+gzip");
  process.exitCode = 1;
}
if (ours.gzip >= reference.gzip) {
  console.error("the bundle is not smaller than socket.io-client's");
  process.exitCode = 1;
}

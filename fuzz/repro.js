// Runs one input through one target with full stack traces: the way to look at a crash.
//   node fuzz/repro.js direct-websocket fuzz/regressions/direct-websocket/crash-45a261c9c48a2af4
//   node fuzz/repro.js polling --hex 7f00346869
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { listTargets, targetPath } from "./lib/corpus.js";

const [target, file, hex] = process.argv.slice(2);
if (target === undefined || file === undefined || !listTargets().includes(target)) {
  console.error(`usage: node fuzz/repro.js <${listTargets().join("|")}> <file> | --hex <bytes>`);
  process.exit(2);
}
const data = file === "--hex" ? Buffer.from(hex ?? "", "hex") : readFileSync(file);
const { fuzz } = await import(pathToFileURL(targetPath(target)).href);
console.log(`${target}: ${data.length} bytes ${JSON.stringify(data.toString("latin1"))}`);
try {
  fuzz(data);
  console.log("ok");
} catch (err) {
  console.log(err);
  process.exit(1);
}

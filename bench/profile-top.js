#!/usr/bin/env node
// Print the top self-time entries of V8 .cpuprofile files (as written by `node --cpu-prof`,
// e.g. by `node bench/run.js --profile`), aggregated by function and source location.
//   node bench/profile-top.js bench/results/profiles-*/broadcast-20-r1.cpuprofile [--top 25]
import { readFileSync } from "node:fs";
import path from "node:path";

const args = process.argv.slice(2);
const topIdx = args.indexOf("--top");
const top = topIdx >= 0 ? Number(args[topIdx + 1]) : 25;
const files = args.filter((a, i) => !a.startsWith("--") && i !== topIdx + 1);
if (files.length === 0) {
  console.error("usage: node bench/profile-top.js <file.cpuprofile>... [--top N]");
  process.exit(2);
}

/**
 * @typedef {{ id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }} ProfileNode
 * @typedef {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[] }} Profile
 */

/** @param {string} url */
function shortUrl(url) {
  if (!url) return "";
  const u = url.replace(/^file:\/\//, "");
  const nm = u.lastIndexOf("node_modules/");
  if (nm >= 0) return u.slice(nm + "node_modules/".length);
  const pk = u.indexOf("/packages/");
  if (pk >= 0) return u.slice(pk + 1);
  return u.startsWith("node:") ? u : path.basename(u);
}

for (const file of files) {
  /** @type {Profile} */
  const prof = JSON.parse(readFileSync(file, "utf8"));
  /** @type {Map<number, ProfileNode>} */
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  /** @type {Map<number, number>} */
  const self = new Map();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  /** @type {Map<string, number>} */
  const agg = new Map();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const cf = n.callFrame;
    const key = `${cf.functionName || "(anonymous)"}  ${shortUrl(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ""}`;
    agg.set(key, (agg.get(key) ?? 0) + us);
  }
  const rows = [...agg].sort((a, b) => b[1] - a[1]).slice(0, top);
  console.log(`\n${path.basename(file)}: ${(total / 1000).toFixed(0)} ms sampled`);
  for (const [key, us] of rows) {
    console.log(
      `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`,
    );
  }
}

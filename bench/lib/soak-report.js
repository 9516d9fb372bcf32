// The soak test's verdict (bench/soak.js): which failure kinds fail which check, the table
// of how slow readers and hostile clients ended, the JSON report and the printed summary.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * The checks of the summary and the failure kinds (the `fail(kind, …)` strings of soak.js
 * and lib/soak-clients.js) that fail each. A kind in no group still fails the run.
 */
export const CHECK_KINDS = {
  server: [
    "server crashed or exited",
    "uncaught error in the server",
    "server did not answer",
    "server close failed",
    "server exited with an error after close",
  ],
  broadcasts: [
    "missing broadcast",
    "duplicate or out-of-order broadcast",
    "broadcasts missing at the end",
    "broadcast for a stream not joined, or before the welcome",
    "corrupt broadcast",
    "corrupt binary broadcast",
    "bad welcome",
  ],
  acks: ["ack not answered within the timeout", "ack for an echo not sent", "wrong ack payload"],
  wellBehaved: [
    "well-behaved client could not connect",
    "well-behaved client disconnected by the server",
  ],
  heap: ["server heap growth over the bound", "no heap measurement"],
  rss: ["server RSS over the bound"],
  hostile: [
    "hostile client not disconnected by the server",
    "raw client could not set up",
    "raw client error",
  ],
  slow: ["slow reader not dropped by the server"],
  uncaught: ["uncaught error in the driver", "unhandled rejection in the driver"],
};

/**
 * @typedef {{ id: string, kind: string, variant: string, outcome: string | null, ms: number | null,
 *   server: string | null, at: number }} RawRecord
 *   one slow reader or hostile client: how it ended on its side (`outcome`), after `ms`, and
 *   the server's engine close reason (over IPC)
 * @typedef {{ count: number, outcomes: Record<string, Record<string, number>>,
 *   server: Record<string, number>, ms: { p50: number | null, max: number | null } }} KindTable
 */

/** Did the server end this raw client (not "survived", "failed …", or a 2xx answer)? @param {string | null} o */
export const endedByServer = (o) => o !== null && !/^(survived|failed|http 2)/.test(o);

/**
 * Per kind: outcomes per variant, the server's close reasons, time to the end (p50, max).
 * @param {Iterable<RawRecord>} records
 * @returns {Record<string, KindTable>}
 */
export function rawTable(records) {
  /** @type {Record<string, KindTable & { times: number[] }>} */
  const out = {};
  for (const rec of records) {
    const h = out[rec.kind] ?? {
      count: 0,
      outcomes: {},
      server: {},
      times: [],
      ms: { p50: null, max: null },
    };
    out[rec.kind] = h;
    h.count++;
    const variant = rec.variant || "?";
    const byVariant = h.outcomes[variant] ?? {};
    h.outcomes[variant] = byVariant;
    const outcome = rec.outcome ?? "unfinished";
    byVariant[outcome] = (byVariant[outcome] ?? 0) + 1;
    const reason = rec.server ?? "(no engine session)";
    h.server[reason] = (h.server[reason] ?? 0) + 1;
    if (rec.ms !== null) h.times.push(rec.ms);
  }
  /** @type {Record<string, KindTable>} */
  const table = {};
  for (const [kind, { times, ...h }] of Object.entries(out)) {
    times.sort((a, b) => a - b);
    table[kind] = {
      ...h,
      ms: { p50: times[Math.floor(times.length / 2)] ?? null, max: times.at(-1) ?? null },
    };
  }
  return table;
}

/** Writes the JSON report to `<root>/test-artifacts/soak-<time>.json`; returns its path. @param {string} root @param {object} report */
export function writeReport(root, report) {
  const dir = path.join(root, "test-artifacts");
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  const file = path.join(dir, `soak-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

const f1 = (/** @type {number | null | undefined} */ x) =>
  x === null || x === undefined ? "-" : x.toFixed(1);
const f2 = (/** @type {number | null | undefined} */ x) =>
  x === null || x === undefined ? "-" : x.toFixed(2);
const counts = (/** @type {Record<string, number>} */ o) =>
  Object.entries(o)
    .map(([k, n]) => `${k} ×${n}`)
    .join(", ");

/**
 * Prints the summary: one PASS/FAIL line per check, how the raw clients ended, notes and
 * failures (a few samples each).
 * @param {any} r the JSON report
 */
export function printSummary(r) {
  const failed = new Set(Object.keys(r.failures));
  const ok = (/** @type {keyof typeof CHECK_KINDS} */ group) =>
    !CHECK_KINDS[group].some((k) => failed.has(k));
  const check = (/** @type {keyof typeof CHECK_KINDS} */ group, /** @type {string} */ text) =>
    console.log(`  ${ok(group) ? "PASS" : "FAIL"} ${text}`);
  const { memory: m, acks: a, clients: c, bounds: b } = r;
  const hostile = Object.entries(/** @type {Record<string, KindTable>} */ (r.raw)).filter(
    ([k]) => k !== "slow",
  );
  const hostileCount = hostile.reduce((n, [, h]) => n + h.count, 0);
  console.log(
    `\nsoak summary: ${r.elapsedS} s, commit ${r.machine.commit}, node ${r.machine.node}`,
  );
  check("server", `server stayed up (exit ${JSON.stringify(r.server?.exit ?? null)})`);
  check(
    "broadcasts",
    `broadcasts: ${c.broadcastsReceived} received by well-behaved clients (${c.binaryBroadcastsReceived} binary), all in order, none missing`,
  );
  check(
    "acks",
    `acks: ${a.count} (${a.binaryEchoes} binary), p50 ${f2(a.p50Ms)} ms, p99 ${f2(a.p99Ms)} ms, max ${f2(a.maxMs)} ms; all answered within ${b.ackTimeoutMs} ms`,
  );
  check(
    "wellBehaved",
    `well-behaved clients: ${c.connects} connects (${c.churnStarted} churn), ${c.upgrades} upgrades; none refused or dropped by the server`,
  );
  check(
    "heap",
    `server heap growth after GC: ${f1(m.heapGrowthMb)} MB (${f1(m.baseline?.heapUsedMb)} → ${f1(m.final?.heapUsedMb)} MB; bound ${b.maxHeapGrowthMb} MB)`,
  );
  check("rss", `server RSS max ${f1(m.maxRssMb)} MB (bound ${b.maxRssMb} MB)`);
  check(
    "hostile",
    `hostile clients: ${hostileCount}, disconnected by the server: ${r.hostileEndedByServer}`,
  );
  check(
    "slow",
    `slow readers: ${r.raw.slow?.count ?? 0}, dropped by the server: ${counts(r.raw.slow?.server ?? {}) || "-"}`,
  );
  check("uncaught", "no uncaught error in the server or the driver");
  console.log("slow readers and hostile clients, how they ended (client side; server's reason):");
  for (const [kind, h] of Object.entries(/** @type {Record<string, KindTable>} */ (r.raw))) {
    for (const [variant, outcomes] of Object.entries(h.outcomes)) {
      console.log(`  ${kind.padEnd(10)} ${variant}: ${counts(outcomes)}`);
    }
    console.log(
      `  ${"".padEnd(10)} server: ${counts(h.server)}; time to end p50 ${h.ms.p50} ms, max ${h.ms.max} ms`,
    );
  }
  for (const [text, n] of Object.entries(r.notes)) console.log(`NOTE ${text} ×${n}`);
  for (const [kind, f] of Object.entries(r.failures)) {
    console.log(`FAIL ${kind} ×${f.count}`);
    for (const s of f.samples.slice(0, 5)) console.log(`    ${s}`);
  }
}

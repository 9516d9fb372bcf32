// Report writers: summary (median, min–max, ratios), markdown table, SVG ratio chart.
import { fmt, summarize } from "./stats.js";

export const TARGETS = /** @type {const} */ (["switchboard", "socketio", "raw-ws"]);
/** Optional target: Switchboard built at another commit (`--base <ref>`). */
export const BASE = "base";
export const TARGET_LABEL = {
  switchboard: "Switchboard",
  socketio: "socket.io",
  "raw-ws": "raw ws",
  base: "Switchboard at the base commit",
};

/**
 * @typedef {import("./measure.js").Variant} Variant
 * @typedef {{ scenario: string, variant: string, target: string, round: number,
 *   metrics?: Record<string, number | null>, checks?: Record<string, number>,
 *   counts?: Record<string, number>, cpu?: { server: number | null, generator: number | null, other?: number | null },
 *   error?: string, busyBeforePct?: number | null }} RunRecord
 * @typedef {{ median: number | null, min: number | null, max: number | null, n: number }} Summary
 * @typedef {{ variant: Variant, scenario: string, metric: import("./measure.js").Metric,
 *   byTarget: Record<string, Summary>, vsSio: number | null, vsRaw: number | null,
 *   vsBase: number | null, met: boolean | null }} Row
 */

/** @param {number | null} a @param {number | null} b */
const ratio = (a, b) => (a !== null && b !== null && b !== 0 ? a / b : null);

/**
 * @param {{ scenario: string, variant: Variant }[]} plan
 * @param {RunRecord[]} records
 * @returns {Row[]}
 */
export function summarizeAll(plan, records) {
  /** @type {Row[]} */
  const rows = [];
  for (const { scenario, variant } of plan) {
    for (const metric of variant.metrics) {
      /** @type {Record<string, Summary>} */
      const byTarget = {};
      for (const t of [...TARGETS, BASE]) {
        const vals = records
          .filter((r) => r.variant === variant.id && r.target === t && !r.error)
          .map((r) => r.metrics?.[metric.key] ?? null);
        byTarget[t] = summarize(vals);
      }
      const sb = byTarget.switchboard?.median ?? null;
      const vsSio = ratio(sb, byTarget.socketio?.median ?? null);
      const vsRaw = ratio(sb, byTarget["raw-ws"]?.median ?? null);
      const vsBase = ratio(sb, byTarget[BASE]?.median ?? null);
      let met = null;
      if (metric.target && vsSio !== null) {
        met =
          metric.target.op === ">=" ? vsSio >= metric.target.value : vsSio <= metric.target.value;
      }
      rows.push({ variant, scenario, metric, byTarget, vsSio, vsRaw, vsBase, met });
    }
  }
  return rows;
}

/** @param {Summary | undefined} s */
function cell(s) {
  if (!s || s.median === null) return "n/a";
  if (s.n === 1) return fmt(s.median);
  return `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
}

/** @param {number | null} r */
const ratioCell = (r) => (r === null ? "n/a" : `${r.toFixed(2)}×`);

/**
 * @param {{ plan: { scenario: string, variant: Variant }[], records: RunRecord[], rows: Row[],
 *   machine: Record<string, unknown>, bundle: Record<string, number> | null }} data
 */
export function markdown({ plan, records, rows, machine, bundle }) {
  const out = [];
  out.push(
    `Machine: ${machine.cpuModel} · nproc ${machine.nproc} · Node ${machine.node} · ${machine.date} · commit ${machine.commit}`,
  );
  out.push(
    `Mode: ${machine.mode}, ${machine.rounds} round(s), targets interleaved per round; ` +
      `server pinned to core 0, generator to core 1: ${machine.pinned ? "yes" : "no (taskset/cores unavailable)"}. ` +
      `Load average at start: ${machine.loadavg}.`,
  );
  if (machine.note) out.push(`Note: ${machine.note}`);
  out.push("");
  out.push(
    "Values are medians (min–max) over rounds. Ratios are Switchboard's median over the other's.",
  );
  out.push("");
  const withBase = records.some((r) => r.target === BASE);
  if (withBase) {
    out.push(
      `Base: Switchboard at ${machine.base ?? "the base commit"}, interleaved with the others; SB/base is the change's median over the base's.`,
    );
    out.push("");
  }
  out.push(
    `| Scenario | Metric | Switchboard | socket.io | raw ws${withBase ? " | base" : ""} | SB/socket.io | SB/raw ws${withBase ? " | SB/base" : ""} | Target (SB/socket.io) | Met |`,
  );
  out.push(
    `|---|---|---|---|---|${withBase ? "---|" : ""}---|---|${withBase ? "---|" : ""}---|---|`,
  );
  for (const r of rows) {
    const tgt = r.metric.target ? `${r.metric.target.op} ${r.metric.target.value}` : "";
    const met = r.met === null ? "" : r.met ? "yes" : "**no**";
    const base = withBase ? ` | ${cell(r.byTarget[BASE])}` : "";
    const vsBase = withBase ? ` | ${ratioCell(r.vsBase)}` : "";
    out.push(
      `| ${r.variant.title} | ${r.metric.label} | ${cell(r.byTarget.switchboard)} | ${cell(r.byTarget.socketio)} | ${cell(r.byTarget["raw-ws"])}${base} | ${ratioCell(r.vsSio)} | ${ratioCell(r.vsRaw)}${vsBase} | ${tgt} | ${met} |`,
    );
  }
  out.push("");
  out.push(
    "CPU use during the measured window (median % of one core, user+system; server / generator / all other processes on the machine, from /proc/stat):",
  );
  out.push("");
  const cpuTargets = withBase ? [...TARGETS, BASE] : [...TARGETS];
  out.push(`| Scenario | Switchboard | socket.io | raw ws${withBase ? " | base" : ""} |`);
  out.push(`|---|---|---|---|${withBase ? "---|" : ""}`);
  for (const { variant } of plan) {
    const cols = cpuTargets.map((t) => {
      const rs = records.filter((r) => r.variant === variant.id && r.target === t && !r.error);
      const s = summarize(rs.map((r) => r.cpu?.server ?? null)).median;
      const g = summarize(rs.map((r) => r.cpu?.generator ?? null)).median;
      const o = summarize(rs.map((r) => r.cpu?.other ?? null)).median;
      /** @param {number | null} x */
      const pct = (x) => (x === null ? "n/a" : `${x.toFixed(0)}%`);
      return s === null ? "n/a" : `${pct(s)} / ${pct(g)} / ${pct(o)}`;
    });
    out.push(`| ${variant.title} | ${cols.join(" | ")} |`);
  }
  out.push("");
  const bad = records.filter((r) => r.error || Object.values(r.checks ?? {}).some((v) => v !== 0));
  if (bad.length === 0) {
    out.push(
      "Integrity: every run delivered every message, in order per client, with every ack matched (no loss).",
    );
  } else {
    out.push("**Integrity problems (loss, reordering, errors):**");
    out.push("");
    for (const r of bad) {
      const checks = Object.entries(r.checks ?? {})
        .filter(([, v]) => v !== 0)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ");
      out.push(
        `- ${r.variant} / ${r.target} / round ${r.round}: ${r.error ? `error: ${r.error.split("\n")[0]}` : checks}`,
      );
    }
  }
  if (bundle) {
    out.push("");
    out.push("Browser bundle (min+gzip, zlib level 9):");
    out.push("");
    out.push("| Bundle | bytes | KB |");
    out.push("|---|---|---|");
    for (const [k, v] of Object.entries(bundle))
      out.push(`| ${k} | ${v} | ${(v / 1024).toFixed(2)} |`);
  }
  return out.join("\n");
}

/** @param {string} s */
const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * Horizontal bar chart of the ratios on a log2 axis (0.125× … 8×), one row per metric:
 * Switchboard/socket.io and Switchboard/raw ws. Green when Switchboard is better.
 * @param {Row[]} rows
 */
export function svgChart(rows) {
  const labelW = 430;
  const plotW = 480;
  const rowH = 34;
  const top = 50;
  const width = labelW + plotW + 40;
  const height = top + rows.length * rowH + 40;
  const lo = -3;
  const hi = 3;
  /** @param {number} r */
  const x = (r) => labelW + ((Math.min(hi, Math.max(lo, Math.log2(r))) - lo) / (hi - lo)) * plotW;
  const parts = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(
    `<text x="10" y="20" font-size="14" font-weight="bold">Switchboard ratios per scenario (log scale; bar: vs socket.io, thin bar: vs raw ws; tick: target)</text>`,
  );
  for (const t of [0.125, 0.25, 0.5, 1, 2, 4, 8]) {
    const gx = x(t).toFixed(1);
    parts.push(
      `<line x1="${gx}" y1="${top - 8}" x2="${gx}" y2="${top + rows.length * rowH}" stroke="${t === 1 ? "#333" : "#ddd"}"/>`,
    );
    parts.push(`<text x="${gx}" y="${top - 12}" text-anchor="middle" fill="#555">${t}×</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="10" y="${y + 16}">${esc(`${r.variant.title}: ${r.metric.label}`)}</text>`);
    parts.push(
      `<text x="10" y="${y + 29}" fill="#777" font-size="10">${r.metric.better === "higher" ? "higher is better" : "lower is better"}</text>`,
    );
    /** @param {number | null} v @param {number} by @param {number} h */
    const bar = (v, by, h) => {
      if (v === null) return;
      const good = r.metric.better === "higher" ? v >= 1 : v <= 1;
      const x0 = x(1);
      const x1 = x(v);
      parts.push(
        `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${by}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${h}" fill="${good ? "#2a9d55" : "#d1495b"}"/>`,
      );
      parts.push(
        `<text x="${(Math.max(x0, x1) + 4).toFixed(1)}" y="${by + h - 1}" font-size="10">${v.toFixed(2)}×</text>`,
      );
    };
    bar(r.vsSio, y + 4, 14);
    bar(r.vsRaw, y + 21, 7);
    if (r.metric.target) {
      const tx = x(r.metric.target.value).toFixed(1);
      parts.push(
        `<line x1="${tx}" y1="${y + 1}" x2="${tx}" y2="${y + 20}" stroke="#1d3557" stroke-width="2" stroke-dasharray="3,2"/>`,
      );
    }
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

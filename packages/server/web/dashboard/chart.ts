/** One line of a chart: its CSS class and its points (null: no value that second). */
export interface Series {
  className: string;
  points: (number | null)[];
}

const SVG = "http://www.w3.org/2000/svg";
const W = 600;
const H = 180;
const PAD_LEFT = 40;
const PAD_BOTTOM = 16;

function el(name: string, attrs: Record<string, string>, text?: string): SVGElement {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A round upper bound for the y axis (1, 2, 5 × 10^n). */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

/**
 * Draws `series` (one point per second, the newest last, `slots` wide) into `svg` by hand:
 * a grid with three y labels, one polyline per run of values.
 */
export function drawChart(svg: SVGSVGElement, series: Series[], slots: number, unit: string): void {
  let max = 0;
  for (const s of series) for (const p of s.points) if (p !== null && p > max) max = p;
  const top = niceMax(max);
  const plotW = W - PAD_LEFT;
  const plotH = H - PAD_BOTTOM - 6;
  const x = (i: number) => PAD_LEFT + (slots <= 1 ? 0 : (i / (slots - 1)) * plotW);
  const y = (v: number) => 6 + plotH - (v / top) * plotH;
  const parts: SVGElement[] = [];
  for (const f of [0, 0.5, 1]) {
    const v = top * f;
    parts.push(
      el("line", {
        class: "grid",
        x1: String(PAD_LEFT),
        x2: String(W),
        y1: String(y(v)),
        y2: String(y(v)),
      }),
    );
    parts.push(
      el(
        "text",
        { class: "axis", x: "2", y: String(y(v) + 3) },
        `${formatNumber(v)}${f === 1 ? ` ${unit}` : ""}`,
      ),
    );
  }
  parts.push(el("text", { class: "axis", x: String(PAD_LEFT), y: String(H - 3) }, `-${slots}s`));
  parts.push(el("text", { class: "axis", x: String(W - 24), y: String(H - 3) }, "now"));
  for (const s of series) {
    const offset = slots - s.points.length;
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1)
        parts.push(el("polyline", { class: `line ${s.className}`, points: run.join(" ") }));
      run = [];
    };
    s.points.forEach((p, i) => {
      if (p === null) flush();
      else run.push(`${x(i + offset).toFixed(1)},${y(p).toFixed(1)}`);
    });
    flush();
  }
  svg.replaceChildren(...parts);
}

export function formatNumber(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (v >= 100 || Number.isInteger(v)) return v.toFixed(0);
  return v.toFixed(1);
}

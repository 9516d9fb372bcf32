import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  LinearScale,
  type Plugin,
  Tooltip,
} from "chart.js";
import { $, type ClientSocket, connect, el, trackStatus } from "./common.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

/** What `/polls-admin` pushes (src/lib/poll-tally.ts PresenterTally). */
interface Tally {
  /** Voters on the voting page now. */
  connected: number;
  /** Connected voters holding at least one vote. */
  voted: number;
  /** When the counts last changed; null before any vote. */
  changedAt: number | null;
  questions: { id: string; text: string; labels: string[]; counts: number[] }[];
}

declare global {
  interface Window {
    /** Latest tally received from `/polls-admin` (read by the end-to-end tests). */
    pollTally?: Tally;
  }
}

const COLORS = ["#4f46e5", "#12b76a", "#f79009", "#f04438", "#0ba5ec", "#7a5af8"];
const charts = new Map<string, Chart<"bar">>();

const socket: ClientSocket = connect("/polls-admin");
trackStatus(socket);

/** Mirrors each chart's plot area on its canvas (`data-plot`), for tests and DOM readers. */
const plotAreaMirror: Plugin<"bar"> = {
  id: "plotAreaMirror",
  afterLayout(chart) {
    const { top, bottom, left, right } = chart.chartArea;
    chart.canvas.dataset.plot = JSON.stringify({ top, bottom, left, right });
  },
};

function chartFor(q: Tally["questions"][number]): Chart<"bar"> {
  const existing = charts.get(q.id);
  if (existing) return existing;
  const canvas = el("canvas", { "aria-label": q.text, role: "img" });
  $("#charts").append(
    el(
      "section",
      { class: "card", "data-question": q.id },
      el("h2", {}, q.text),
      el("div", { class: "chart-box" }, canvas),
    ),
  );
  const chart = new Chart(canvas, {
    type: "bar",
    data: {
      labels: q.labels,
      datasets: [
        {
          label: "votes",
          data: q.counts,
          backgroundColor: q.labels.map((_, i) => COLORS[i % COLORS.length] ?? "#4f46e5"),
          borderRadius: 6,
        },
      ],
    },
    options: {
      maintainAspectRatio: false,
      animation: { duration: 300 },
      scales: {
        // Labels never rotate: every chart's x axis is one line high, so the plot areas of
        // charts side by side end at the same height (their boxes are aligned by the CSS).
        x: { ticks: { maxRotation: 0, autoSkip: false } },
        y: { beginAtZero: true, ticks: { precision: 0 } },
      },
      plugins: { tooltip: { enabled: true } },
    },
    plugins: [plotAreaMirror],
  });
  charts.set(q.id, chart);
  return chart;
}

socket.on("tally", (tally: Tally) => {
  window.pollTally = tally;
  const root = $("#charts");
  root.dataset.tally = JSON.stringify(
    Object.fromEntries(tally.questions.map((q) => [q.id, q.counts])),
  );
  $("#connected").textContent = String(tally.connected);
  $("#voted").textContent = String(tally.voted);
  $("#updated").textContent =
    tally.changedAt === null ? "no votes yet" : new Date(tally.changedAt).toLocaleTimeString();
  for (const q of tally.questions) {
    const chart = chartFor(q);
    const dataset = chart.data.datasets[0];
    if (dataset) dataset.data = q.counts;
    chart.data.labels = q.labels;
    chart.update();
    // What the chart now draws, for tests and curious readers of the DOM.
    chart.canvas.dataset.counts = JSON.stringify(chart.data.datasets[0]?.data ?? []);
  }
});

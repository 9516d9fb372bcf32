import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from "chart.js";
import { $, type ClientSocket, connect, el, trackStatus } from "./common.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

interface Tally {
  voters: number;
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
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { tooltip: { enabled: true } },
    },
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
  $("#voters").textContent = String(tally.voters);
  $("#updated").textContent = new Date().toLocaleTimeString();
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

// The dashboard page: one connection to the dashboard's namespace (token fetched from the
// page's own origin for each attempt), an overview every second, the sockets and rooms of a
// namespace every 3 s, actions on demand. Everything is written with textContent: socket
// data, ids and room names never become markup.
import { io } from "@switchboard/client";
import type { MissingNode, RoomsPage, SocketsPage } from "../../src/dashboard/cluster-view.js";
import type { NodeInfo, SocketRow } from "../../src/dashboard/node-answers.js";
import type { PageConfig } from "../../src/dashboard/page.js";
import { drawChart } from "./chart.js";

interface Overview {
  node: string;
  nodes: NodeInfo[];
  missing: MissingNode[];
  error: string | null;
  readOnly: boolean;
}
type Answer<T> = T | { error: { code: string; message: string } };

const cfg = JSON.parse(document.getElementById("config")?.textContent ?? "{}") as PageConfig;
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const SLOTS = 60;
const REQUEST_TIMEOUT = 15_000;

const socket = io(location.origin + cfg.namespace, {
  path: cfg.enginePath,
  auth: (cb: (data: Record<string, unknown>) => void) => {
    fetch(`${cfg.path}/token`, { credentials: "same-origin", cache: "no-store" })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`token: HTTP ${r.status}`))))
      .then((body: { token?: string }) => cb({ token: body.token }))
      .catch(() => cb({}));
  },
});

const status = $("status");
function setStatus(state: "ok" | "error" | "connecting", text: string): void {
  status.dataset.state = state;
  status.textContent = text;
}
socket.on("connect", () => {
  setStatus("ok", "live");
  void refreshOverview();
  void refreshLists();
});
socket.on("disconnect", () => setStatus("connecting", "reconnecting…"));
socket.on("connect_error", (err: Error) => setStatus("error", `refused: ${err.message}`));

/** Sends a request to the node serving the page; resolves with its answer (or an error). */
function ask<T>(event: string, args: object): Promise<Answer<T>> {
  return new Promise((resolve) => {
    socket.timeout(REQUEST_TIMEOUT).emit(event, args, (err: Error | null, answer: Answer<T>) => {
      resolve(err ? { error: { code: "timeout", message: err.message } } : answer);
    });
  });
}
const failed = <T>(a: Answer<T>): a is { error: { code: string; message: string } } =>
  typeof a === "object" &&
  a !== null &&
  "error" in a &&
  typeof a.error === "object" &&
  a.error !== null;

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}
function button(text: string, onClick: () => void, className?: string): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  if (className) b.className = className;
  b.disabled = cfg.readOnly;
  b.addEventListener("click", (e) => {
    e.stopPropagation();
    onClick();
  });
  return b;
}
const bytes = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}
const ms = (v: number | null | undefined) => (v === null || v === undefined ? "–" : `${v} ms`);

// ---- overview: nodes, charts, disconnects ----

let overviewBusy = false;
async function refreshOverview(): Promise<void> {
  if (overviewBusy || !socket.connected) return;
  overviewBusy = true;
  try {
    const answer = await ask<Overview>("overview", {});
    if (failed(answer)) {
      showError("overview-error", answer.error.message);
      return;
    }
    showError("overview-error", answer.error ? `some nodes did not answer: ${answer.error}` : null);
    $("serving").textContent = `served by node ${answer.node}`;
    $("readonly").hidden = !answer.readOnly;
    renderNodes(answer);
    renderCharts(answer.nodes);
    renderDisconnects(answer.nodes);
    renderNamespaces(answer.nodes);
  } finally {
    overviewBusy = false;
  }
}

function showError(id: string, message: string | null): void {
  const p = $(id);
  p.hidden = message === null;
  p.textContent = message ?? "";
}

function renderNodes(o: Overview): void {
  const rows: HTMLTableRowElement[] = [];
  let sockets = 0;
  for (const n of o.nodes) {
    const last = n.history[n.history.length - 1];
    const count = Object.values(n.sockets).reduce((a, b) => a + b, 0);
    sockets += count;
    const tr = document.createElement("tr");
    tr.dataset.node = n.id;
    tr.append(
      cell(n.id + (n.id === o.node ? " (this page)" : ""), "mono"),
      cell(n.host),
      cell(String(n.pid), "num"),
      cell(duration(n.uptime), "num"),
      cell(bytes(n.memory.rss), "num"),
      cell(bytes(n.memory.heapUsed), "num"),
      cell(`${n.sessions.websocket ?? 0} / ${n.sessions.polling ?? 0}`, "num"),
      cell(String(count), "num"),
      cell(String(last?.in ?? 0), "num"),
      cell(String(last?.out ?? 0), "num"),
      cell(`${ms(last?.p50)} / ${ms(last?.p95)}`, "num"),
    );
    rows.push(tr);
  }
  for (const m of o.missing) {
    const tr = document.createElement("tr");
    tr.className = "missing";
    tr.dataset.node = m.id;
    const ago = Math.round((Date.now() - m.lastSeen) / 1000);
    tr.append(
      cell(m.id, "mono"),
      cell(m.host),
      cell(m.pid ? String(m.pid) : "", "num"),
      cell(`no answer (last seen ${ago} s ago)`),
    );
    tr.lastElementChild?.setAttribute("colspan", "8");
    rows.push(tr);
  }
  $("nodes")
    .querySelector("tbody")
    ?.replaceChildren(...rows);
  $("node-summary").textContent =
    `${o.nodes.length} answering${o.missing.length ? `, ${o.missing.length} not answering` : ""} · ${sockets} sockets`;
}

function renderCharts(nodes: NodeInfo[]): void {
  let end = 0;
  for (const n of nodes) for (const row of n.history) end = Math.max(end, row.t);
  const start = end - (SLOTS - 1) * 1000;
  const total = (
    pick: (r: NodeInfo["history"][number]) => number | null,
    combine: "sum" | "max",
  ) => {
    const points: (number | null)[] = new Array(SLOTS).fill(null);
    for (const n of nodes) {
      for (const row of n.history) {
        const i = Math.round((row.t - start) / 1000);
        const v = pick(row);
        if (i < 0 || i >= SLOTS || v === null) continue;
        const prev = points[i] ?? null;
        points[i] = prev === null ? v : combine === "sum" ? prev + v : Math.max(prev, v);
      }
    }
    return points;
  };
  drawChart(
    $("chart-events") as unknown as SVGSVGElement,
    [
      { className: "in", points: total((r) => r.in, "sum") },
      { className: "out", points: total((r) => r.out, "sum") },
    ],
    SLOTS,
    "/s",
  );
  drawChart(
    $("chart-acks") as unknown as SVGSVGElement,
    [
      { className: "p50", points: total((r) => r.p50, "max") },
      { className: "p95", points: total((r) => r.p95, "max") },
    ],
    SLOTS,
    "ms",
  );
}

function renderDisconnects(nodes: NodeInfo[]): void {
  const all = nodes.flatMap((n) => n.disconnects.map((d) => ({ ...d, node: n.id })));
  all.sort((a, b) => b.t - a.t);
  const rows = all.slice(0, 50).map((d) => {
    const tr = document.createElement("tr");
    tr.append(
      cell(new Date(d.t).toLocaleTimeString()),
      cell(d.node, "mono"),
      cell(d.nsp, "mono"),
      cell(d.id, "mono"),
      cell(d.reason),
    );
    return tr;
  });
  $("disconnects")
    .querySelector("tbody")
    ?.replaceChildren(...rows);
}

const nspSelect = $<HTMLSelectElement>("nsp");
function renderNamespaces(nodes: NodeInfo[]): void {
  const names = new Set<string>(["/"]);
  for (const n of nodes) for (const name of Object.keys(n.sockets)) names.add(name);
  const current = nspSelect.value || "/";
  const sorted = [...names].sort();
  const existing = [...nspSelect.options].map((o) => o.value);
  if (existing.join("\n") === sorted.join("\n")) return;
  nspSelect.replaceChildren(
    ...sorted.map((name) => {
      const option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      return option;
    }),
  );
  nspSelect.value = sorted.includes(current) ? current : "/";
}

// ---- sockets and rooms of the chosen namespace ----

let after = "";
let nextAfter: string | null = null;
let selected = "";
let listsBusy = false;
const query = $<HTMLInputElement>("query");

async function refreshLists(): Promise<void> {
  if (listsBusy || !socket.connected) return;
  listsBusy = true;
  try {
    const nsp = nspSelect.value || "/";
    const q = query.value.trim();
    const [sockets, rooms] = await Promise.all([
      ask<SocketsPage>("sockets", { nsp, query: q, after, limit: cfg.pageSize }),
      ask<RoomsPage>("rooms", { nsp, query: q, limit: cfg.pageSize }),
    ]);
    if (failed(sockets)) showError("sockets-error", sockets.error.message);
    else {
      showError(
        "sockets-error",
        sockets.error ? `some nodes did not answer: ${sockets.error}` : null,
      );
      renderSockets(sockets);
    }
    if (!failed(rooms)) renderRooms(rooms);
  } finally {
    listsBusy = false;
  }
}

function renderSockets(page: SocketsPage): void {
  nextAfter = page.next;
  $<HTMLButtonElement>("next").disabled = page.next === null;
  $<HTMLButtonElement>("first").disabled = after === "";
  $("socket-summary").textContent = `${page.total} in the cluster · ${page.sockets.length} shown`;
  const rows = page.sockets.map((s: SocketRow) => {
    const tr = document.createElement("tr");
    tr.dataset.id = s.id;
    if (s.id === selected) tr.className = "selected";
    const rooms = document.createElement("td");
    for (const r of s.rooms) {
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = r;
      rooms.append(tag);
    }
    if (s.roomCount > s.rooms.length) rooms.append(` +${s.roomCount - s.rooms.length}`);
    const data = cell(s.data, "mono data");
    data.title = s.data;
    const actions = document.createElement("td");
    actions.append(
      button(
        "disconnect",
        () => void act({ type: "disconnect", nsp: nspSelect.value || "/", id: s.id }),
        "danger",
      ),
    );
    tr.append(
      cell(s.id, "mono"),
      cell(s.node, "mono"),
      cell(s.transport),
      rooms,
      data,
      cell(duration((Date.now() - s.connectedAt) / 1000)),
      actions,
    );
    tr.addEventListener("click", () => select(s.id));
    return tr;
  });
  $("sockets")
    .querySelector("tbody")
    ?.replaceChildren(...rows);
}

function renderRooms(page: RoomsPage): void {
  $("room-summary").textContent = `${page.total} · ${page.rooms.length} shown`;
  const rows = page.rooms.map((r) => {
    const tr = document.createElement("tr");
    tr.dataset.room = r.name;
    const actions = document.createElement("td");
    actions.append(
      button("emit here", () => {
        $<HTMLInputElement>("emit-to").value = r.name;
        $<HTMLInputElement>("room-name").value = r.name;
        $<HTMLInputElement>("emit-event").focus();
      }),
    );
    tr.append(
      cell(r.name, "mono"),
      cell(String(r.size), "num"),
      cell(String(r.nodes), "num"),
      actions,
    );
    return tr;
  });
  $("rooms")
    .querySelector("tbody")
    ?.replaceChildren(...rows);
}

function select(id: string): void {
  selected = id;
  $<HTMLInputElement>("socket-id").value = id;
  $<HTMLInputElement>("emit-to").value = id;
  for (const tr of $("sockets").querySelectorAll("tbody tr")) {
    tr.classList.toggle("selected", (tr as HTMLElement).dataset.id === id);
  }
}

// ---- actions ----

async function act(action: Record<string, unknown>): Promise<void> {
  const result = $("action-result");
  const answer = await ask<{ ok: true }>("action", action);
  if (failed(answer)) {
    result.dataset.state = "error";
    result.textContent = `${action.type} failed: ${answer.error.message} (${answer.error.code})`;
  } else {
    result.dataset.state = "ok";
    result.textContent = `${action.type} done`;
  }
  // The adapter carries the action to the socket's node: look again shortly after.
  setTimeout(() => void refreshLists(), 300);
}

const socketId = () => $<HTMLInputElement>("socket-id").value.trim();
const roomName = () => $<HTMLInputElement>("room-name").value.trim();
$("do-disconnect").addEventListener("click", () => {
  if (socketId()) void act({ type: "disconnect", nsp: nspSelect.value || "/", id: socketId() });
});
$("do-join").addEventListener("click", () => {
  if (socketId() && roomName()) {
    void act({ type: "join", nsp: nspSelect.value || "/", id: socketId(), room: roomName() });
  }
});
$("do-leave").addEventListener("click", () => {
  if (socketId() && roomName()) {
    void act({ type: "leave", nsp: nspSelect.value || "/", id: socketId(), room: roomName() });
  }
});
$("emit-form").addEventListener("submit", (e) => {
  e.preventDefault();
  void act({
    type: "emit",
    nsp: nspSelect.value || "/",
    to: $<HTMLInputElement>("emit-to").value.trim(),
    event: $<HTMLInputElement>("emit-event").value.trim(),
    payload: $<HTMLTextAreaElement>("emit-payload").value,
  });
});
for (const id of ["do-disconnect", "do-join", "do-leave", "do-emit"]) {
  $<HTMLButtonElement>(id).disabled = cfg.readOnly;
}

$("next").addEventListener("click", () => {
  if (nextAfter === null) return;
  after = nextAfter;
  void refreshLists();
});
$("first").addEventListener("click", () => {
  after = "";
  void refreshLists();
});
let typing: ReturnType<typeof setTimeout> | undefined;
query.addEventListener("input", () => {
  clearTimeout(typing);
  typing = setTimeout(() => {
    after = "";
    void refreshLists();
  }, 250);
});
nspSelect.addEventListener("change", () => {
  after = "";
  void refreshLists();
});

setInterval(() => void refreshOverview(), 1000);
setInterval(() => void refreshLists(), 3000);

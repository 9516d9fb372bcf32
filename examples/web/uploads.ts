import { $, type ClientSocket, connect, el, formatBytes, request, trackStatus } from "./common.js";

type Refusal = { ok: false; code: string; error: string };
type StartAnswer = { ok: true; id: string; name: string; chunkBytes: number } | Refusal;
type ChunkAnswer =
  | { ok: true; received: number; done: boolean; url?: string; name?: string }
  | Refusal;

/** Chunks stay well below the engine's maxHttpBufferSize, whatever the server allows. */
const MAX_CHUNK = 256 * 1024;

const socket: ClientSocket = connect("/uploads");
trackStatus(socket);

const transfers = $("#transfers");
const done = $("#done");
socket.on("upload:limits", (limits: { maxFileBytes: number }) => {
  $("#limit").textContent = formatBytes(limits.maxFileBytes);
});

socket.on("upload:done", (file: { name: string; size: number; url: string }) => {
  $("#done-empty").hidden = true;
  done.prepend(
    el(
      "li",
      { "data-name": file.name },
      el("a", { href: file.url }, file.name),
      el("span", { class: "muted" }, ` · ${formatBytes(file.size)}`),
    ),
  );
});

function row(file: File): { item: HTMLLIElement; bar: HTMLProgressElement; state: HTMLElement } {
  const bar = el("progress", { max: file.size, value: 0 });
  const state = el("span", { class: "state" }, "waiting…");
  const item = el(
    "li",
    { "data-name": file.name, "data-state": "waiting" },
    el("span", { class: "name" }, `${file.name} · ${formatBytes(file.size)}`),
    state,
    bar,
  );
  transfers.prepend(item);
  return { item, bar, state };
}

async function upload(file: File): Promise<void> {
  const { item, bar, state } = row(file);
  const setState = (s: string, text: string) => {
    item.dataset.state = s;
    state.textContent = text;
  };
  let started: StartAnswer;
  try {
    started = await request<StartAnswer>(socket, "upload:start", {
      name: file.name,
      size: file.size,
    });
  } catch (err) {
    setState("failed", (err as Error).message);
    return;
  }
  if (!started.ok) {
    setState("refused", `refused: ${started.error}`);
    return;
  }
  const chunkBytes = Math.min(MAX_CHUNK, started.chunkBytes);
  setState("sending", "0%");
  let offset = 0;
  try {
    while (offset < file.size) {
      const data = await file.slice(offset, offset + chunkBytes).arrayBuffer();
      const answer = await request<ChunkAnswer>(socket, "upload:chunk", {
        id: started.id,
        offset,
        data,
      });
      if (!answer.ok) {
        await request(socket, "upload:abort", { id: started.id }).catch(() => {});
        setState("refused", `aborted: ${answer.error}`);
        return;
      }
      offset = answer.received;
      bar.value = offset;
      setState(
        answer.done ? "done" : "sending",
        answer.done ? "done" : `${Math.floor((offset / file.size) * 100)}%`,
      );
      if (answer.done && answer.url) {
        state.replaceChildren(el("a", { href: answer.url }, "done · download"));
      }
    }
  } catch (err) {
    setState("failed", `failed: ${(err as Error).message}`);
  }
}

function uploadAll(files: FileList | null): void {
  if (!files) return;
  // Every file is announced, even one over the limit: the server's refusal is shown.
  for (const file of Array.from(files)) void upload(file);
}

const input = $<HTMLInputElement>("#files");
input.addEventListener("change", () => {
  uploadAll(input.files);
  input.value = "";
});

const zone = $("#dropzone");
zone.addEventListener("dragover", (event) => {
  event.preventDefault();
  zone.classList.add("over");
});
zone.addEventListener("dragleave", () => zone.classList.remove("over"));
zone.addEventListener("drop", (event) => {
  event.preventDefault();
  zone.classList.remove("over");
  uploadAll(event.dataTransfer?.files ?? null);
});

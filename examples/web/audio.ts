import {
  $,
  type ClientSocket,
  connect,
  el,
  formatBytes,
  formatTime,
  request,
  trackStatus,
} from "./common.js";
import { peak, toInt16Interleaved } from "./pcm.js";

interface Recording {
  file: string;
  url: string;
  bytes: number;
  createdAt?: number;
  durationMs?: number;
}

type Refusal = { ok: false; error: string };

const socket: ClientSocket = connect("/audio");
trackStatus(socket);

const startButton = $<HTMLButtonElement>("#start");
const stopButton = $<HTMLButtonElement>("#stop");
const message = $("#message");
const meter = $("#meter > div");
const dot = $("#rec-dot");
const list = $("#recordings");

/** Samples are batched into chunks of about 100 ms before they are sent. */
const CHUNK_SECONDS = 0.1;

interface Session {
  context: AudioContext;
  stream: MediaStream;
  node: AudioNode;
  channels: number;
  pending: Int16Array[];
  pendingFrames: number;
  sentBytes: number;
  failed: string | null;
  inflight: Promise<unknown>[];
}

let session: Session | null = null;

function show(text: string, isError = false): void {
  message.textContent = text;
  message.className = isError ? "error-text" : "muted";
}

function addRecording(r: Recording, atTop = true): void {
  if (list.querySelector(`[data-file="${CSS.escape(r.file)}"]`)) return;
  const meta = [
    r.durationMs !== undefined ? `${(r.durationMs / 1000).toFixed(1)} s` : null,
    formatBytes(r.bytes),
    r.createdAt ? formatTime(r.createdAt) : null,
  ]
    .filter(Boolean)
    .join(" · ");
  const item = el(
    "li",
    { "data-file": r.file },
    el("span", { class: "name" }, r.file),
    el("span", { class: "muted" }, meta),
    el("audio", { controls: true, preload: "none", src: r.url }),
    el("a", { href: r.url, download: r.file }, "download"),
  );
  if (atTop) list.prepend(item);
  else list.append(item);
  $("#empty").hidden = true;
}

function flush(s: Session): void {
  if (s.pendingFrames === 0 || s.failed) return;
  const merged = new Int16Array(s.pendingFrames * s.channels);
  let at = 0;
  for (const part of s.pending) {
    merged.set(part, at);
    at += part.length;
  }
  s.pending = [];
  s.pendingFrames = 0;
  s.sentBytes += merged.byteLength;
  $("#sent").textContent = formatBytes(s.sentBytes);
  document.body.dataset.sentBytes = String(s.sentBytes);
  const answer = request<{ ok: true } | Refusal>(socket, "audio:chunk", merged.buffer).then((a) => {
    if (!a.ok && !s.failed) {
      s.failed = a.error;
      show(`The server stopped the recording: ${a.error}`, true);
      void stop();
    }
  });
  s.inflight.push(answer);
}

function onSamples(s: Session, channels: Float32Array[]): void {
  meter.style.width = `${Math.min(100, Math.round(peak(channels) * 140))}%`;
  const pcm = toInt16Interleaved(channels, s.channels);
  s.pending.push(pcm);
  s.pendingFrames += pcm.length / s.channels;
  if (s.pendingFrames >= s.context.sampleRate * CHUNK_SECONDS) flush(s);
}

async function captureNode(
  context: AudioContext,
  source: MediaStreamAudioSourceNode,
  s: () => Session,
): Promise<AudioNode> {
  if (context.audioWorklet) {
    await context.audioWorklet.addModule("/build/audio-worklet.js");
    const node = new AudioWorkletNode(context, "pcm-capture", { numberOfOutputs: 0 });
    node.port.onmessage = (event: MessageEvent<Float32Array[]>) => onSamples(s(), event.data);
    source.connect(node);
    return node;
  }
  // ScriptProcessor fallback for browsers without AudioWorklet (deprecated but common).
  const node = context.createScriptProcessor(4096, 2, 1);
  node.onaudioprocess = (event) => {
    const buf = event.inputBuffer;
    const channels = Array.from({ length: buf.numberOfChannels }, (_, c) =>
      buf.getChannelData(c).slice(),
    );
    onSamples(s(), channels);
  };
  source.connect(node);
  node.connect(context.destination);
  return node;
}

async function start(): Promise<void> {
  startButton.disabled = true;
  show("Asking for the microphone…");
  const channels = Number($<HTMLSelectElement>("#channels").value) === 2 ? 2 : 1;
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: channels, echoCancellation: false, noiseSuppression: false },
    });
  } catch (err) {
    show(`No microphone: ${(err as Error).message}`, true);
    startButton.disabled = false;
    return;
  }
  const context = new AudioContext();
  const answer = await request<{ ok: true; file: string } | Refusal>(socket, "audio:start", {
    sampleRate: context.sampleRate,
    channels,
  });
  if (!answer.ok) {
    show(`Refused: ${answer.error}`, true);
    for (const t of stream.getTracks()) t.stop();
    await context.close();
    startButton.disabled = false;
    return;
  }
  const source = context.createMediaStreamSource(stream);
  const current: Session = {
    context,
    stream,
    node: source,
    channels,
    pending: [],
    pendingFrames: 0,
    sentBytes: 0,
    failed: null,
    inflight: [],
  };
  session = current;
  current.node = await captureNode(context, source, () => current);
  await context.resume();
  dot.classList.add("on");
  stopButton.disabled = false;
  document.body.dataset.recording = "on";
  show(
    `Recording ${context.sampleRate} Hz, ${channels === 1 ? "mono" : "stereo"}, 16-bit → ${answer.file}`,
  );
}

async function stop(): Promise<void> {
  const s = session;
  if (!s) return;
  session = null;
  stopButton.disabled = true;
  s.node.disconnect();
  for (const t of s.stream.getTracks()) t.stop();
  flush(s);
  await s.context.close();
  await Promise.all(s.inflight);
  dot.classList.remove("on");
  meter.style.width = "0";
  document.body.dataset.recording = "off";
  const answer = await request<(Recording & { ok: true }) | Refusal>(
    socket,
    "audio:end",
    undefined,
  );
  startButton.disabled = false;
  if (!answer.ok) {
    if (!s.failed) show(`Could not save: ${answer.error}`, true);
    return;
  }
  addRecording(answer);
  show(`Saved ${answer.file} (${((answer.durationMs ?? 0) / 1000).toFixed(1)} s).`);
}

startButton.addEventListener("click", () => void start());
stopButton.addEventListener("click", () => void stop());

socket.on("connect", async () => {
  const answer = await request<{ ok: true; recordings: Recording[] }>(
    socket,
    "audio:list",
    undefined,
  );
  list.replaceChildren();
  for (const r of answer.recordings) addRecording(r, false);
  $("#empty").hidden = answer.recordings.length > 0;
});
socket.on("audio:new", (r: Recording) => addRecording(r));

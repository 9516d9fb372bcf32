import { toBytes } from "../lib/bytes.js";
import type { RecordingStore } from "../lib/recording-store.js";
import type { DemoNamespace, DemoSocket } from "./io-types.js";
import { takeAck } from "./io-types.js";

/**
 * Audio recording on `/audio`: the page streams 16-bit PCM as binary events and the
 * server writes a WAV file per recording.
 *
 * Client → server: `audio:start` ({sampleRate, channels}, ack → {ok, file} | {ok:false, error}),
 * `audio:chunk` (bytes, ack? → {ok, bytes} | refusal), `audio:end` (ack → {ok, url, file,
 * bytes, durationMs}), `audio:list` (ack → recordings). Server → client: `audio:new`
 * (a finished recording, to everyone), `audio:error` (a chunk was refused without ack).
 */
export function mountAudio(nsp: DemoNamespace, store: RecordingStore, urlPrefix: string): void {
  const describe = (r: { file: string; bytes: number; createdAt?: number }) => ({
    ...r,
    url: `${urlPrefix}/${encodeURIComponent(r.file)}`,
  });

  nsp.on("connection", (socket: DemoSocket) => {
    socket.on("audio:list", async (...args) => {
      const ack = takeAck(args);
      ack({ ok: true, recordings: (await store.list()).map(describe) });
    });

    socket.on("audio:start", (...args) => {
      const ack = takeAck(args);
      ack(store.start(socket.id, args[0]));
    });

    socket.on("audio:chunk", async (...args) => {
      const ack = takeAck(args);
      const result = await store.append(socket.id, toBytes(args[0]));
      ack(result);
      if (!result.ok) socket.emit("audio:error", result);
    });

    socket.on("audio:end", async (...args) => {
      const ack = takeAck(args);
      const result = await store.finish(socket.id);
      if (!result.ok) return ack(result);
      const info = describe({ file: result.file, bytes: result.bytes, createdAt: Date.now() });
      ack({ ...info, ok: true, durationMs: result.durationMs });
      nsp.emit("audio:new", { ...info, durationMs: result.durationMs });
    });

    socket.on("disconnect", () => {
      void store.discard(socket.id);
    });
  });
}

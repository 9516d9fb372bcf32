import { asRecord, toBytes } from "../lib/bytes.js";
import type { UploadStore } from "../lib/upload-store.js";
import type { DemoNamespace, DemoSocket } from "./io-types.js";
import { takeAck } from "./io-types.js";

/**
 * Chunked file uploads on `/uploads`.
 *
 * Client → server: `upload:start` ({name, size}, ack → {ok, id, chunkBytes} | {ok:false,
 * code, error}), `upload:chunk` ({id, offset, data}, ack → {ok, received, done, url?} |
 * refusal), `upload:abort` ({id}, ack). Server → client: `upload:done` (a finished file, to
 * everyone on the namespace). Unfinished transfers of a socket are deleted on disconnect.
 */
export function mountUploads(nsp: DemoNamespace, store: UploadStore, urlPrefix: string): void {
  nsp.on("connection", (socket: DemoSocket) => {
    socket.emit("upload:limits", store.limits);

    socket.on("upload:start", async (...args) => {
      const ack = takeAck(args);
      const input = asRecord(args[0]);
      ack(await store.start(socket.id, input?.name, input?.size));
    });

    socket.on("upload:chunk", async (...args) => {
      const ack = takeAck(args);
      const input = asRecord(args[0]);
      const result = await store.write(socket.id, input?.id, input?.offset, toBytes(input?.data));
      if (result.ok && result.done) {
        const url = `${urlPrefix}/${encodeURIComponent(result.file)}`;
        ack({ ...result, url });
        nsp.emit("upload:done", { name: result.name, size: result.size, url });
        return;
      }
      ack(result);
    });

    socket.on("upload:abort", async (...args) => {
      const ack = takeAck(args);
      ack({ ok: await store.abort(socket.id, asRecord(args[0])?.id) });
    });

    socket.on("disconnect", () => {
      void store.abortAll(socket.id);
    });
  });
}

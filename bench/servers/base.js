// Target: Switchboard's server as built at another commit (`node bench/run.js --base <ref>`),
// default options, loaded from that checkout's build. Compares a change with its base in the
// same run, interleaved with the other targets.
import path from "node:path";
import { pathToFileURL } from "node:url";

/** @param {import("node:http").Server} httpServer */
export async function create(httpServer) {
  const dir = process.env.BENCH_BASE_DIR;
  if (!dir) throw new Error("BENCH_BASE_DIR is not set (run with --base <ref>)");
  const entry = pathToFileURL(path.join(dir, "packages/server/dist/index.js")).href;
  const { Server } = await import(entry);
  return new Server(httpServer);
}

// Server process: one target (switchboard | socketio | raw-ws) running the bench app,
// driven by the orchestrator over IPC. Started pinned to core 0 with --expose-gc.
import http from "node:http";
import { blast, installApp, state } from "./app.js";
import { CpuMeter, serveRpc } from "./rpc.js";

const target = process.argv[2];
if (!target) throw new Error("usage: server-main.js <target>");

const adapter = await import(`../servers/${target}.js`);
const httpServer = http.createServer();
httpServer.keepAliveTimeout = 60_000;
httpServer.maxConnections = 50_000;
const io = await adapter.create(httpServer);
installApp(io);
await new Promise((resolve) => httpServer.listen(0, "127.0.0.1", () => resolve(undefined)));
const address = httpServer.address();
const port = typeof address === "object" && address ? address.port : 0;

const cpu = new CpuMeter();
const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);

async function settleGc() {
  if (!gc) throw new Error("server needs --expose-gc");
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
}

serveRpc(
  {
    cpuStart: () => cpu.start(),
    cpuStop: () => cpu.stop(),
    blast: (/** @type {any} */ p) => blast(io, p),
    count: () => ({ ...state }),
    mem: async () => {
      await settleGc();
      const m = process.memoryUsage();
      return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, connected: state.connected };
    },
  },
  { port, target },
);

// A Switchboard server in a process of its own, for the shutdown-signal tests (a signal sent
// to the test runner would stop it): started by drain-signals.test.ts with
// `node signalled-server.mjs '<{options, custom}>'`. Imports the BUILT @switchboard/server
// (run `npm run build` first). Listens on 127.0.0.1, port 0, and reports over IPC:
// {type: "ready", port}, {type: "draining", spread}, {type: "disconnect", reason} per socket,
// and with `custom`, {type: "closed", signal, error, listeners} from its own closeOnSignals
// handler (which then exits with code 0), `listeners` being the signal's listener count then.
import { createServer } from "node:http";
import { Server } from "@switchboard/server";

const { options = {}, custom = false } = JSON.parse(process.argv[2] ?? "{}");
const http = createServer();
const io = new Server(http, { serveClient: false, ...options });
io.on("draining", (info) => process.send({ type: "draining", ...info }));
io.on("connection", (socket) => {
  socket.on("disconnect", (reason) => process.send({ type: "disconnect", reason }));
});
if (custom) {
  io.closeOnSignals(options.shutdownSignals, (signal, error) => {
    const listeners = process.listenerCount(signal);
    process.send({ type: "closed", signal, error: error?.message, listeners }, () =>
      process.exit(0),
    );
  });
}
http.listen(0, "127.0.0.1", () => process.send({ type: "ready", port: http.address().port }));

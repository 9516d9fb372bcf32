// Issue 17 (part 2): the cost of session forwarding. Two Switchboard nodes (A and B, one
// memory directory) run in a child process; this process drives raw Engine.IO/Socket.IO
// clients that open their session on A and then send every later request either to A
// ("direct") or to B, which forwards it to A ("forwarded"). Both configurations run side by
// side, alternating round by round, against the same two nodes:
//   - polling: C clients, each doing sequential ack round trips over long-polling
//     (POST `421["echo",n]`, GET `431[n]`): round trips/s;
//   - websocket: C clients upgraded (probe through the same node as the rest), each with W
//     acks in flight: acks/s.
// Reports medians (min–max) and forwarded/direct of the rates and of the two nodes' CPU time
// per operation (the child's, session set-up included; steadier than rates on a shared
// machine). Usage:
//   npm run build && node bench/forwarding-overhead.js [rounds=5] [ms=2000]
import { fork } from "node:child_process";
import { Agent, request } from "node:http";
import { createMemoryDirectory, Server } from "@switchboard/server";
import { WebSocket } from "ws";

const POLL_CLIENTS = Number(process.env.POLL_CLIENTS ?? 20);
const WS_CLIENTS = 20;
const WS_WINDOW = 10;

if (process.argv[2] === "--serve") {
  const directory = createMemoryDirectory();
  const nodes = [];
  for (let i = 0; i < 2; i++) {
    const io = new Server({ forwarding: { directory }, serveClient: false });
    io.on("connection", (socket) => socket.on("echo", (n, ack) => ack(n)));
    const http = io.listen(0).httpServer;
    await new Promise((resolve) => (http.listening ? resolve() : http.once("listening", resolve)));
    await io.engine.forwardingReady();
    nodes.push(http.address().port);
  }
  process.send({ ports: nodes });
  process.on("message", () => process.send({ cpu: process.cpuUsage() }));
  process.on("disconnect", () => process.exit(0));
} else {
  await main();
}

async function main() {
  const rounds = Number(process.argv[2] ?? 5);
  const ms = Number(process.argv[3] ?? 2000);
  const child = fork(new URL(import.meta.url).pathname, ["--serve"]);
  const [a, b] = await new Promise((resolve) => child.once("message", (m) => resolve(m.ports)));
  const agent = new Agent({ keepAlive: true, maxSockets: 4 * POLL_CLIENTS });
  const names = ["polling direct", "polling forwarded", "ws direct", "ws forwarded"];
  const results = Object.fromEntries(names.map((n) => [n, []]));
  const cpu = Object.fromEntries(names.map((n) => [n, []]));
  const serverCpu = () =>
    new Promise((resolve) => {
      child.once("message", (m) => resolve(m.cpu.user + m.cpu.system));
      child.send("cpu");
    });
  /** Runs one measurement; records the rate and the nodes' CPU time per operation (µs). */
  const run = async (name, fn) => {
    const before = await serverCpu();
    const { rate, count } = await fn();
    results[name].push(rate);
    cpu[name].push(((await serverCpu()) - before) / count);
  };
  await pollingRate(agent, a, a, 300); // warm-up, both paths
  await pollingRate(agent, a, b, 300);
  for (let r = 0; r < rounds; r++) {
    await run("polling direct", () => pollingRate(agent, a, a, ms));
    await run("polling forwarded", () => pollingRate(agent, a, b, ms));
    await run("ws direct", () => wsRate(agent, a, a, ms));
    await run("ws forwarded", () => wsRate(agent, a, b, ms));
  }
  agent.destroy();
  child.disconnect();
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const fmt = (xs) =>
    `${Math.round(median(xs))} (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})`;
  console.log(
    `node ${process.version}, ${rounds} rounds x ${ms} ms; polling: ${POLL_CLIENTS} clients, sequential round trips; websocket: ${WS_CLIENTS} clients x ${WS_WINDOW} acks in flight`,
  );
  console.log("| measurement | direct | forwarded | forwarded/direct |");
  console.log("| --- | --- | --- | --- |");
  for (const kind of ["polling", "ws"]) {
    for (const [table, unit] of [
      [results, kind === "polling" ? "polling round trips/s" : "WebSocket acks/s"],
      [cpu, kind === "polling" ? "nodes' CPU µs per round trip" : "nodes' CPU µs per ack"],
    ]) {
      const d = table[`${kind} direct`];
      const f = table[`${kind} forwarded`];
      console.log(`| ${unit} | ${fmt(d)} | ${fmt(f)} | ${(median(f) / median(d)).toFixed(2)} |`);
    }
  }
}

function http(agent, port, method, path, body) {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () =>
        res.statusCode === 200 ? resolve(text) : reject(new Error(`${res.statusCode} ${text}`)),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A session opened on `owner` and joined to "/": its query string for later requests. */
async function openSession(agent, owner) {
  const open = await http(agent, owner, "GET", "/socket.io/?EIO=4&transport=polling");
  const sid = JSON.parse(open.slice(1)).sid;
  const q = `/socket.io/?EIO=4&transport=polling&sid=${sid}`;
  await http(agent, owner, "POST", q, "40");
  await http(agent, owner, "GET", q); // 40{"sid":…}
  return { sid, q };
}

async function pollingRate(agent, owner, via, ms) {
  const sessions = await Promise.all(
    Array.from({ length: POLL_CLIENTS }, () => openSession(agent, owner)),
  );
  let count = 0;
  const until = performance.now() + ms;
  const start = performance.now();
  await Promise.all(
    sessions.map(async ({ q }) => {
      for (let n = 0; performance.now() < until; n++) {
        const answer = http(agent, via, "GET", q);
        await http(agent, via, "POST", q, `42${n}["echo",${n}]`);
        const body = await answer;
        if (!body.startsWith(`43${n}[${n}]`)) throw new Error(`unexpected answer ${body}`);
        count++;
      }
    }),
  );
  const rate = count / ((performance.now() - start) / 1000);
  await Promise.all(sessions.map(({ q }) => http(agent, via, "POST", q, "1").catch(() => {})));
  return { rate, count };
}

/** A session opened on `owner` over polling, upgraded through `via`: the open WebSocket. */
async function upgradedSession(agent, owner, via) {
  const { sid } = await openSession(agent, owner);
  const ws = new WebSocket(`ws://127.0.0.1:${via}/socket.io/?EIO=4&transport=websocket&sid=${sid}`);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  ws.send("2probe");
  await new Promise((resolve) => ws.once("message", resolve)); // 3probe
  ws.send("5");
  return ws;
}

async function wsRate(agent, owner, via, ms) {
  const sockets = await Promise.all(
    Array.from({ length: WS_CLIENTS }, () => upgradedSession(agent, owner, via)),
  );
  let count = 0;
  const until = performance.now() + ms;
  const start = performance.now();
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise((resolve) => {
          let next = 0;
          let inFlight = 0;
          const send = () => {
            ws.send(`42${next}["echo",${next}]`);
            next++;
            inFlight++;
          };
          ws.on("message", (data) => {
            const text = data.toString();
            if (text === "2") {
              ws.send("3");
              return;
            }
            if (!text.startsWith("43")) return;
            count++;
            inFlight--;
            if (performance.now() < until) send();
            else if (inFlight === 0) resolve();
          });
          for (let i = 0; i < WS_WINDOW; i++) send();
        }),
    ),
  );
  const rate = count / ((performance.now() - start) / 1000);
  for (const ws of sockets) ws.close();
  return { rate, count };
}

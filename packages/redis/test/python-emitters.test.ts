// Debian's python3-socketio 5.7 (RedisManager, write_only) and Flask-SocketIO 5.3
// (SocketIO(message_queue=...)) as the real publishers of the Python channel, to two
// Switchboard nodes (one per Redis client library) on createAdapter's `pythonChannel`, with
// connected @switchboard/client sockets. Node A has namespaces "/" and "/chat", node B only
// "/": a message for "/chat" is carried out on A and ignored on B.
import { existsSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { format } from "node:util";
import { type Socket as ClientSocket, io as connect } from "@switchboard/client";
import { Server } from "@switchboard/server";
import debugModule from "debug";
import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAdapter } from "../src/index.js";
import { pythonPublisherAvailable, runPython } from "./helpers/python.js";
import { type ClientPair, clientPair, redisPort, uniqueKey } from "./helpers/redis.js";
import { listen, received, WAIT_MS } from "./helpers/sockets.js";

interface Node {
  io: Server;
  url: string;
}

async function node(pair: ClientPair, key: string, channel: string, chat: boolean): Promise<Node> {
  const http = createServer();
  const io = new Server(http, {
    adapter: createAdapter(pair.pub, pair.sub, { key, pythonChannel: channel }),
  });
  const onConnection = (socket: {
    handshake: { auth: Record<string, unknown> };
    join(room: string): unknown;
  }) => {
    socket.join(`room-${String(socket.handshake.auth.name)}`);
    if (socket.handshake.auth.team === true) socket.join("team");
  };
  io.on("connection", onConnection);
  if (chat) io.of("/chat").on("connection", onConnection);
  return { io, url: await listen(http) };
}

function client(url: string, name: string, team = false): Promise<ClientSocket> {
  const socket = connect(url, { auth: { name, team }, transports: ["websocket"], forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

/** Records which clients get `ev` (read after the marker: nothing comes later). */
function counting(
  sockets: Record<string, ClientSocket>,
  ev: string,
): { count(): number; names: string[] } {
  const names: string[] = [];
  for (const [name, socket] of Object.entries(sockets)) socket.on(ev, () => names.push(name));
  return { count: () => names.length, names };
}

/** The codes of the Python channel messages dropped (debug-logged) while `run` runs. */
async function droppedCodes(run: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const { log } = debugModule;
  const before = debugModule.disable();
  debugModule.enable([before, "switchboard:redis:python"].filter(Boolean).join(","));
  debugModule.log = (...args: unknown[]) => lines.push(format(...args));
  try {
    await run();
  } finally {
    debugModule.log = log;
    debugModule.enable(before);
  }
  return lines.flatMap((line) => /dropped a message on \S+: (SB_ERR_\w+)/.exec(line)?.[1] ?? []);
}

describe.runIf(pythonPublisherAvailable())("Python emitters to Switchboard nodes", () => {
  let pairs: ClientPair[] = [];
  let nodes: Node[] = [];
  let channel = "";
  let url = "";
  /** a1, a2 (team), b1 (team), b2 on "/"; ac on "/chat" of node A. */
  let s: Record<"a1" | "a2" | "b1" | "b2" | "ac", ClientSocket>;

  beforeEach(async () => {
    const key = uniqueKey("py");
    channel = uniqueKey("socketio");
    url = `redis://127.0.0.1:${await redisPort()}`;
    pairs = [await clientPair("ioredis"), await clientPair("node-redis")];
    nodes = [await node(pairs[0]!, key, channel, true), await node(pairs[1]!, key, channel, false)];
    const [a, b] = nodes as [Node, Node];
    s = {
      a1: await client(a.url, "a1"),
      a2: await client(a.url, "a2", true),
      b1: await client(b.url, "b1", true),
      b2: await client(b.url, "b2"),
      ac: await client(`${a.url}/chat`, "ac"),
    };
    // Both nodes subscribed to the Python channel before anything is published.
    const pub = pairs[0]!.pub as Redis;
    await expect
      .poll(async () => (await pub.pubsub("NUMSUB", channel))[1], { timeout: WAIT_MS })
      .toBe(2);
  });

  afterEach(async () => {
    for (const socket of Object.values(s ?? {})) socket.disconnect();
    for (const n of nodes) await n.io.close();
    for (const pair of pairs) await pair.quit();
  });

  /** Publishes with python-socketio's RedisManager (`m`) and Flask-SocketIO's SocketIO (`f`). */
  const python = (script: string) =>
    runPython(
      [
        "m = socketio.RedisManager(URL, channel=CHANNEL, write_only=True)",
        "from flask_socketio import SocketIO",
        "f = SocketIO(message_queue=URL, channel=CHANNEL)",
        script,
        // The marker: every "/" client gets it after everything above.
        "m.emit('marker', None)",
      ].join("\n"),
      { url, channel },
    );

  /** Runs `script`, waits for its marker on every "/" client (or those given). */
  async function publish(
    script: string,
    waitOn: ClientSocket[] = [s.a1, s.a2, s.b1, s.b2],
  ): Promise<void> {
    const markers = waitOn.map((socket) => received(socket, "marker"));
    await python(script);
    await Promise.all(markers);
  }

  it("emit to all: every client of the namespace on both nodes, nothing to /chat", async () => {
    const hello = counting(s, "hello");
    const got = [s.a1, s.b2].map((socket) => received(socket, "hello"));
    await publish("m.emit('hello', {'a': 1, 'b': [1.5, None, True, 'é']})");
    for (const args of await Promise.all(got)) {
      expect(args).toEqual([{ a: 1, b: [1.5, null, true, "é"] }]);
    }
    expect(hello.names.sort()).toEqual(["a1", "a2", "b1", "b2"]);
  });

  it("emit to a room with skip_sid; to a socket id; to a list of rooms", async () => {
    const ev = counting(s, "ev");
    await publish(
      [
        `m.emit('ev', 'team', room='team', skip_sid=${JSON.stringify(s.b1.id)})`,
        `m.emit('ev', 'sid', room=${JSON.stringify(s.b2.id)})`,
        "m.emit('ev', 'rooms', room=['room-a1', 'room-b1'], skip_sid=['room-a1'])",
      ].join("\n"),
    );
    expect(ev.names.sort()).toEqual(["a2", "b1", "b2"]);
  });

  it("a namespace: /chat on the node that has it, ignored by the one that has not", async () => {
    const ev = counting(s, "chat");
    const got = received(s.ac, "chat");
    await publish("m.emit('chat', 'hi', namespace='/chat')");
    expect(await got).toEqual(["hi"]);
    expect(ev.names).toEqual(["ac"]);
  });

  it("several arguments (a tuple) with bytes; a list is one argument", async () => {
    const multi = received(s.b1, "multi");
    const list = received(s.a1, "list");
    await publish(
      [
        "m.emit('multi', (1, b'\\x00\\x01\\xff', 'x', [1, 2], None, {'k': b'\\x02'}))",
        "m.emit('list', [1, 2, 3])",
      ].join("\n"),
    );
    const args = await multi;
    expect(args).toHaveLength(6);
    expect(args[0]).toBe(1);
    expect(Buffer.from(args[1] as ArrayBuffer)).toEqual(Buffer.from([0, 1, 255]));
    expect(args.slice(2, 5)).toEqual(["x", [1, 2], null]);
    expect(Buffer.from((args[5] as { k: ArrayBuffer }).k)).toEqual(Buffer.from([2]));
    expect(await list).toEqual([[1, 2, 3]]);
  });

  it("enter_room and leave_room (the 5.12+ messages, pickled by python-socketio's manager)", async () => {
    // python-socketio 5.7 has no enter_room over the queue: its manager's own _publish
    // pickles and publishes the message 5.12+ sends.
    const joined = counting(s, "joined");
    const left = counting(s, "left");
    await publish(
      [
        `m._publish({'method': 'enter_room', 'sid': ${JSON.stringify(s.b2.id)}, 'namespace': '/', 'room': 'new'})`,
        `m._publish({'method': 'enter_room', 'sid': ${JSON.stringify(s.a1.id)}, 'namespace': '/', 'room': 'new'})`,
        "m.emit('joined', None, room='new')",
        `m._publish({'method': 'leave_room', 'sid': ${JSON.stringify(s.a1.id)}, 'namespace': '/', 'room': 'new'})`,
        "m.emit('left', None, room='new')",
      ].join("\n"),
    );
    expect(joined.names.sort()).toEqual(["a1", "b2"]);
    expect(left.names).toEqual(["b2"]);
    const [a, b] = nodes as [Node, Node];
    expect((await b.io.local.in("new").fetchSockets()).map((x) => x.id)).toEqual([s.b2.id]);
    expect(await a.io.local.in("new").fetchSockets()).toEqual([]);
  });

  it("close_room empties the room on every node", async () => {
    const ev = counting(s, "after-close");
    await publish(
      ["m.close_room('team', namespace='/')", "m.emit('after-close', 1, room='team')"].join("\n"),
    );
    expect(ev.count()).toBe(0);
    for (const n of nodes) expect(await n.io.local.in("team").fetchSockets()).toEqual([]);
  });

  it("disconnect: the named socket, on whichever node has it", async () => {
    const gone = new Promise((resolve) => s.b1.once("disconnect", resolve));
    await publish(`m.disconnect(${JSON.stringify(s.b1.id)}, namespace='/')`, [s.a1, s.b2]);
    expect(await gone).toBe("io server disconnect");
    expect(s.b2.connected && s.a1.connected && s.ac.connected).toBe(true);
  });

  it("Flask-SocketIO's SocketIO(message_queue=...): emit to a room, several args, close_room", async () => {
    const fl = counting(s, "fl");
    const got = received(s.b1, "fl");
    await publish(
      [
        // Flask-SocketIO 5.3 passes several arguments as one tuple (its *args form needs
        // python-socketio 5.8+).
        "f.emit('fl', ('x', {'y': 2}, b'\\x03'), to='team')",
        "f.close_room('team')",
        "f.emit('fl', 'after close', to='team')",
      ].join("\n"),
    );
    const args = await got;
    expect(args.slice(0, 2)).toEqual(["x", { y: 2 }]);
    expect(Buffer.from(args[2] as ArrayBuffer)).toEqual(Buffer.from([3]));
    expect(fl.names.sort()).toEqual(["a2", "b1"]);
  });

  it("JSON messages (python-socketio 5.14+) are carried out too", async () => {
    const got = received(s.a2, "json");
    await publish(
      [
        "r.publish(CHANNEL, json.dumps({'method': 'emit', 'event': 'json', 'data': [1, 'two'], 'namespace': '/', 'room': 'team', 'skip_sid': None, 'callback': None, 'host_id': 'x'}))",
      ].join("\n"),
    );
    expect(await got).toEqual([[1, "two"]]);
  });

  it("hostile and malformed messages are dropped, nothing runs, the node keeps serving", async () => {
    const marker = join(tmpdir(), `sb-pickle-${uniqueKey()}`);
    rmSync(marker, { force: true });
    const bad = counting(s, "bad");
    const good = received(s.b2, "good");
    const codes = await droppedCodes(() =>
      publish(
        [
          "class Evil:",
          `    def __reduce__(self): return (os.system, (${JSON.stringify(`touch ${marker}`)},))`,
          "r.publish(CHANNEL, pickle.dumps(Evil()))",
          "r.publish(CHANNEL, pickle.dumps({'method': 'emit', 'event': 'bad', 'data': Evil()}))",
          "import datetime",
          "r.publish(CHANNEL, pickle.dumps({'method': 'emit', 'event': 'bad', 'data': datetime.date(2020, 1, 1)}))",
          "r.publish(CHANNEL, pickle.dumps({'method': 'emit', 'event': 'bad', 'data': 1}, protocol=0))",
          "r.publish(CHANNEL, pickle.dumps({'method': 'emit', 'event': 'disconnect', 'data': 1}))",
          "r.publish(CHANNEL, pickle.dumps({'method': 'emit', 'event': 'bad', 'data': 1})[:-3])",
          "r.publish(CHANNEL, b'\\x80\\x04' + b'(' * 100000)",
          "r.publish(CHANNEL, pickle.dumps({'method': 'drop_table', 'event': 'bad'}))",
          "r.publish(CHANNEL, json.dumps({'method': 'emit', 'event': 'bad', 'namespace': 'no-slash'}))",
          "r.publish(CHANNEL, json.dumps([1, 2]))",
          "r.publish(CHANNEL, b'\\xff\\xfe not a message')",
          "r.publish(CHANNEL, pickle.dumps({'method': 'emit', 'event': 'bad', 'data': 'x' * (2 << 20)}))",
          "m.emit('good', 'still here')",
        ].join("\n"),
      ),
    );
    expect(await good).toEqual(["still here"]);
    // Each node drops each message, with its code: objects and calls (3), not a message
    // (protocol 0 text, a reserved event, unknown method, bad namespace, a list, garbage: 6),
    // broken pickles (truncated, 100,000 MARKs: 2), over pythonMaxBytes (1).
    const perNode = [
      ...new Array(3).fill("SB_ERR_PICKLE_FORBIDDEN_OPCODE"),
      ...new Array(2).fill("SB_ERR_PICKLE_MALFORMED"),
      ...new Array(6).fill("SB_ERR_PYTHON_INVALID_MESSAGE"),
      "SB_ERR_PYTHON_TOO_LARGE",
    ];
    expect(codes.sort()).toEqual([...perNode, ...perNode].sort());
    expect(bad.count()).toBe(0);
    expect(existsSync(marker)).toBe(false);
    // Cluster traffic of the adapter is unaffected.
    const fromNode = received(s.b1, "from-node");
    nodes[0]!.io.emit("from-node", 1);
    expect(await fromNode).toEqual([1]);
  });
});

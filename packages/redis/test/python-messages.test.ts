import { execFileSync } from "node:child_process";
import { Server } from "@switchboard/server";
import { TestClient, type TestSocket } from "@switchboard/server/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  applyPythonCommand,
  PickleError,
  type PythonCommand,
  PythonMessageError,
  parsePythonMessage,
} from "../src/python/messages.js";

// The messages are what Debian's python-socketio publishes: its own PubSubManager (the base
// of RedisManager and KombuManager, so of Flask-SocketIO's message_queue) with `_publish`
// capturing `pickle.dumps(data)`, as RedisManager writes it, or `json.dumps(data)`, as
// python-socketio 5.14+ writes it.

const PYTHON = "/usr/bin/python3";

/** Runs `calls` (Python statements using `m`, a write-only PubSubManager) → messages. */
function published(calls: string, format: "pickle" | "json" = "pickle"): Buffer[] {
  const dump = format === "pickle" ? "pickle.dumps(data)" : "json.dumps(data).encode()";
  const script = [
    "import base64, json, pickle, socketio",
    "class Capture(socketio.PubSubManager):",
    "    def _publish(self, data):",
    `        print(base64.b64encode(${dump}).decode())`,
    "m = Capture(channel='socketio', write_only=True)",
    calls,
  ].join("\n");
  return execFileSync(PYTHON, ["-c", script], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => Buffer.from(line, "base64"));
}

/** One pickled Python expression (a message dict written by hand, as newer versions do). */
function pickled(expr: string): Buffer {
  const script = `import pickle, sys\nsys.stdout.buffer.write(pickle.dumps(${expr}))`;
  return execFileSync(PYTHON, ["-c", script]);
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((io) => io.close()));
});

/** A server with three clients on `/` (a in r1, b in r1 and r2, c in none) and one on /chat. */
async function world() {
  const io = new Server();
  servers.push(io);
  io.on("connection", (socket) => {
    for (const room of (socket.handshake.auth.rooms as string[] | undefined) ?? [])
      socket.join(room);
  });
  io.of("/chat").on("connection", () => {});
  const join = (rooms: string[], nsp = "/") => new TestClient(io).connect(nsp, { auth: { rooms } });
  const [a, b, c, chat] = await Promise.all([
    join(["r1"]),
    join(["r1", "r2"]),
    join([]),
    join([], "/chat"),
  ]);
  const apply = (raw: Buffer) => {
    const command = parsePythonMessage(raw);
    if (command.method === "callback") return;
    applyPythonCommand(io.of(command.namespace).adapter, command);
  };
  return { io, a: a!, b: b!, c: c!, chat: chat!, apply };
}

/** Gives queued deliveries a turn, then returns what each socket got. */
async function got(...sockets: TestSocket[]): Promise<unknown[][][]> {
  await new Promise((r) => setTimeout(r, 20));
  return sockets.map((s) => s.received.map((r) => [...(r as unknown[])]));
}

describe("python-socketio messages carried out on this node", () => {
  it("emit: to all, to a room, to several rooms, skipping sids, arguments as Python means them", async () => {
    const w = await world();
    const msgs = published(
      [
        "m.emit('all', {'n': 1}, namespace='/')",
        "m.emit('tuple', (1, 'two', None), namespace='/', room='r1')",
        "m.emit('none', None, room='r2')",
        "m.emit('list', [1, 2], room=['r2', 'nobody'])",
        `m.emit('skip', 'x', skip_sid=${JSON.stringify(w.a.id)})`,
        `m.emit('skip2', 'y', room='r1', skip_sid=[${JSON.stringify(w.a.id)}, ${JSON.stringify(w.b.id)}])`,
        `m.emit('one', b'\\x00\\xff', room=${JSON.stringify(w.c.id)})`,
        "m.emit('chat', 'hello', namespace='/chat')",
      ].join("\n"),
    );
    expect(msgs).toHaveLength(8);
    for (const m of msgs) w.apply(m);
    const [a, b, c, chat] = await got(w.a, w.b, w.c, w.chat);
    expect(a).toEqual([
      ["all", { n: 1 }],
      ["tuple", 1, "two", null],
    ]);
    expect(b).toEqual([
      ["all", { n: 1 }],
      ["tuple", 1, "two", null],
      ["none"],
      ["list", [1, 2]],
      ["skip", "x"],
    ]);
    expect(c).toEqual([
      ["all", { n: 1 }],
      ["skip", "x"],
      ["one", Buffer.from([0, 255])],
    ]);
    expect(chat).toEqual([["chat", "hello"]]);
  });

  it("emit in the JSON form of python-socketio 5.14+ (a tuple arrives as one list)", async () => {
    const w = await world();
    const msgs = published("m.emit('j', (1, 2), room='r2')\nm.emit('k', {'x': [True]})", "json");
    expect(msgs[0]![0]).toBe("{".charCodeAt(0));
    for (const m of msgs) w.apply(m);
    const [a, b] = await got(w.a, w.b);
    expect(a).toEqual([["k", { x: [true] }]]);
    expect(b).toEqual([
      ["j", [1, 2]],
      ["k", { x: [true] }],
    ]);
  });

  it("close_room, disconnect, enter_room and leave_room", async () => {
    const w = await world();
    const [close, disconnect] = published(
      `m.close_room('r1')\nm.disconnect(${JSON.stringify(w.c.id)})`,
    );
    w.apply(close!);
    expect(w.io.of("/").adapter.rooms.has("r1")).toBe(false);
    expect(w.io.of("/").adapter.rooms.get("r2")?.size).toBe(1);
    w.apply(disconnect!);
    expect(await w.c.waitForDisconnect()).toBe("io server disconnect");
    // enter_room / leave_room as python-socketio 5.12+ publishes them
    w.apply(
      pickled(
        `{'method': 'enter_room', 'sid': ${JSON.stringify(w.a.id)}, 'room': 'r9', 'namespace': '/', 'host_id': 'h'}`,
      ),
    );
    expect([...(w.io.of("/").adapter.rooms.get("r9") ?? [])]).toEqual([w.a.id]);
    w.apply(
      pickled(
        `{'method': 'leave_room', 'sid': ${JSON.stringify(w.a.id)}, 'room': 'r9', 'namespace': '/', 'host_id': 'h'}`,
      ),
    );
    expect(w.io.of("/").adapter.rooms.has("r9")).toBe(false);
    // an ack travelling between Python server nodes is not for us
    expect(
      parsePythonMessage(
        pickled(
          "{'method': 'callback', 'host_id': 'h', 'sid': 's', 'namespace': '/', 'id': 1, 'args': (1,)}",
        ),
      ),
    ).toEqual({ method: "callback" });
  });

  const dropped: [string, Buffer | string, string][] = [
    [
      "a reserved event name",
      pickled("{'method': 'emit', 'event': 'disconnect', 'data': None}"),
      "SB_ERR_PYTHON_INVALID_MESSAGE",
    ],
    [
      "an event that is not a str",
      pickled("{'method': 'emit', 'event': 5, 'data': None}"),
      "SB_ERR_PYTHON_INVALID_MESSAGE",
    ],
    [
      "a room that is a dict",
      pickled("{'method': 'emit', 'event': 'e', 'room': {'a': 1}}"),
      "SB_ERR_PYTHON_INVALID_MESSAGE",
    ],
    [
      "a namespace without /",
      pickled("{'method': 'emit', 'event': 'e', 'namespace': 'chat'}"),
      "SB_ERR_PYTHON_INVALID_MESSAGE",
    ],
    [
      "an unknown method",
      pickled("{'method': 'eval', 'code': '1'}"),
      "SB_ERR_PYTHON_INVALID_MESSAGE",
    ],
    ["a list, not a dict", pickled("['emit']"), "SB_ERR_PYTHON_INVALID_MESSAGE"],
    ["neither pickle nor JSON", "not json", "SB_ERR_PYTHON_INVALID_MESSAGE"],
    ["JSON nested too deep", `${"[".repeat(100)}${"]".repeat(100)}`, "SB_ERR_PYTHON_TOO_DEEP"],
  ];

  it.each(dropped)(
    "drops %s with a coded error, and nothing else happens",
    async (_, raw, code) => {
      const w = await world();
      let caught: unknown;
      try {
        w.apply(typeof raw === "string" ? Buffer.from(raw) : raw);
      } catch (err) {
        caught = err;
      }
      expect(caught instanceof PythonMessageError || caught instanceof PickleError).toBe(true);
      expect((caught as { code: string }).code).toBe(code);
      const [a, b, c] = await got(w.a, w.b, w.c);
      expect([a, b, c]).toEqual([[], [], []]);
    },
  );

  it("drops a pickle that would call os.system, and runs nothing", () => {
    const marker = `/tmp/sb-python-msg-${process.pid}`;
    const script = [
      "import os, pickle, sys",
      "class Evil:",
      `    def __reduce__(self): return (os.system, ('touch ${marker}',))`,
      "sys.stdout.buffer.write(pickle.dumps({'method': 'emit', 'event': 'e', 'data': Evil()}))",
    ].join("\n");
    const evil = execFileSync(PYTHON, ["-c", script]);
    expect(() => parsePythonMessage(evil)).toThrow(PickleError);
    expect(() => execFileSync("test", ["-e", marker])).toThrow();
  });

  it("reads what it accepts into commands with the fields Python gave", () => {
    const [m] = published(
      "m.emit('e', ('a', b'\\x01'), namespace='/n', room=['x', 'y'], skip_sid='s')",
    );
    const command = parsePythonMessage(m!) as Extract<PythonCommand, { method: "emit" }>;
    expect(command).toEqual({
      method: "emit",
      namespace: "/n",
      event: "e",
      args: ["a", Buffer.from([1])],
      rooms: ["x", "y"],
      except: ["s"],
    });
  });
});

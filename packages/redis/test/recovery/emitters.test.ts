// Emits of publishers that are not nodes — the official @socket.io/redis-emitter,
// Switchboard's Emitter, Debian's python3-socketio RedisManager and Flask-SocketIO — made
// while clients are away are recovered exactly once and in the order each publisher sent
// them. Every node receives such a message over pub/sub; the log takes it once (content
// hash + occurrence count, so two identical messages are two entries). Includes emits to a
// room that only the away clients are in (no node has a socket in it while they are away)
// and to one away client's id.
import { Emitter as SocketIoEmitter } from "@socket.io/redis-emitter";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { Emitter } from "../../src/index.js";
import { pythonPublisherAvailable, runPython } from "../helpers/python.js";
import {
  type LocalNode,
  type RecordingClient,
  RoundRobinProxy,
  recordingClient,
  startLocalNode,
} from "../helpers/recovery-cluster.js";
import { redisPort, uniqueKey } from "../helpers/redis.js";

const WAIT = { timeout: 15_000, interval: 20 };
const EVENTS = ["x", "y", "z", "same", "marker"];

describe.runIf(pythonPublisherAvailable())("emitters while clients are away", () => {
  const nodes: LocalNode[] = [];
  const clients: RecordingClient[] = [];
  let proxy: RoundRobinProxy | undefined;
  let redis: Redis | undefined;

  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.disconnect();
    await proxy?.close();
    for (const n of nodes.splice(0)) await n.close();
    redis?.disconnect();
  });

  it("every emitter's messages sent while away are recovered exactly once, in order", async () => {
    const key = uniqueKey("emit");
    const channel = uniqueKey("socketio");
    const port = await redisPort();
    redis = new Redis({ port, host: "127.0.0.1" });
    const a = await startLocalNode("ioredis", key, port, { pythonChannel: channel });
    const b = await startLocalNode("node-redis", key, port, { pythonChannel: channel });
    nodes.push(a, b);
    await expect.poll(async () => (await redis!.pubsub("NUMSUB", channel))[1], WAIT).toBe(2);
    proxy = await RoundRobinProxy.start([a.port]);
    const away = [
      recordingClient("socket.io-client", proxy.url, EVENTS),
      recordingClient("switchboard", proxy.url, EVENTS),
    ];
    // Connected on b the whole time (not in the away room): sees what every node delivers live.
    const watcher = recordingClient("switchboard", b.url, EVENTS);
    clients.push(...away, watcher);
    await Promise.all([...away, watcher].map((c) => c.nextConnect()));
    for (const [i, c] of away.entries()) {
      await c.call("setup", { rooms: ["away-room"], data: { i } });
    }
    const [first] = away as [RecordingClient, RecordingClient];
    const firstId = first.socket.id!;
    // One message before: the clients have an offset.
    a.io.emit("x", 0);
    await expect.poll(() => [...away, watcher].map((c) => c.got.length), WAIT).toEqual([1, 1, 1]);

    // Away: the proxy refuses every connection, the clients keep trying.
    proxy.setTargets([]);
    proxy.cutAll();
    await expect.poll(() => a.io.of("/").sockets.size, WAIT).toBe(0);

    const official = new SocketIoEmitter(redis, { key });
    const ours = new Emitter(redis, { key });
    for (const [ev, emitter] of [
      ["x", official],
      ["y", ours],
    ] as const) {
      emitter.emit(ev, 1);
      emitter.to("away-room").emit(ev, 2);
      emitter.to(firstId).emit(ev, 3);
      emitter.emit(ev, 4);
      emitter.emit("same", ev);
      emitter.emit("same", ev);
      emitter.except("away-room").emit(ev, -1);
      emitter.emit("marker", ev);
    }
    await runPython(
      [
        "m = socketio.RedisManager(URL, channel=CHANNEL, write_only=True)",
        "from flask_socketio import SocketIO",
        "f = SocketIO(message_queue=URL, channel=CHANNEL)",
        "m.emit('z', 1, namespace='/')",
        "m.emit('z', 2, room='away-room', namespace='/')",
        `m.emit('z', 3, room=${JSON.stringify(firstId)}, namespace='/')`,
        "f.emit('z', 4, namespace='/')",
        "m.emit('same', 'z', namespace='/')",
        "f.emit('same', 'z', namespace='/')",
        "m.emit('z', -1, namespace='/', skip_sid='away-room')",
        "m.emit('marker', 'z', namespace='/')",
      ].join("\n"),
      { url: `redis://127.0.0.1:${port}`, channel },
    );
    // Every publisher's marker went through the log: what came before it did too.
    await expect.poll(() => watcher.numbers("marker").length, WAIT).toBe(3);

    proxy.setTargets([b.port]);
    await expect.poll(() => away.map((c) => c.connects.length), WAIT).toEqual([2, 2]);
    await expect.poll(() => away.map((c) => c.numbers("marker").length), WAIT).toEqual([3, 3]);
    for (const [i, c] of away.entries()) {
      expect(c.connects[1]!.recovered).toBe(true);
      expect(c.socket.id).toBe(c.connects[0]!.id);
      const own = i === 0 ? [3] : [];
      expect(c.numbers("x")).toEqual([0, 1, 2, ...own, 4]);
      expect(c.numbers("y")).toEqual([1, 2, ...own, 4]);
      expect(c.numbers("z")).toEqual([1, 2, ...own, 4]);
      // Identical messages are each delivered: twice from each publisher.
      expect(c.got.filter((r) => r.ev === "same").map((r) => r.n)).toEqual([
        "x",
        "x",
        "y",
        "y",
        "z",
        "z",
      ]);
    }
    // Live, every node got each message; each was delivered once.
    expect(watcher.numbers("x")).toEqual([0, 1, 4, -1]);
    expect(watcher.numbers("y")).toEqual([1, 4, -1]);
    expect(watcher.numbers("z")).toEqual([1, 4, -1]);
    expect(watcher.got.filter((r) => r.ev === "same")).toHaveLength(6);
    expect([a, b].map((n) => n.adapter.recovery.pendingAppends)).toEqual([0, 0]);
  });
});

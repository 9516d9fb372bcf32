import { afterEach, describe, expect, it } from "vitest";
import { frameHead, frameTail } from "../../src/engine/framing.js";
import { type EngineConnection, PreparedMessage } from "../../src/engine/index.js";
import { closeAll, listen, once, type RawWs, rawWebSocket, until } from "./helpers.js";

afterEach(closeAll);

/** Text and binary payloads at every header-size boundary of RFC 6455 section 5.2. */
function payloads(): Array<string | Buffer> {
  const out: Array<string | Buffer> = [];
  for (const n of [0, 1, 124, 125, 126, 127, 65534, 65535, 65536, 70000]) {
    out.push("é".repeat(n >> 1) + "x".repeat(n & 1));
    out.push(Buffer.alloc(n, n & 0xff));
  }
  return out;
}

/** What the client sees for a payload: text gets the "4" message prefix. */
function wire(p: string | Buffer): string | Buffer {
  return typeof p === "string" ? `4${p}` : p;
}

/** Cheap deep equality (vitest's toEqual is slow on 64 KiB Buffers). */
function same(a: string | Buffer, b: string | Buffer): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  return a.equals(b);
}

async function openSessions(n: number, options = {}) {
  const t = await listen(options);
  const conns: EngineConnection[] = [];
  t.engine.on("connection", (c: EngineConnection) => conns.push(c));
  const clients: RawWs[] = [];
  for (let i = 0; i < n; i++) {
    const ws = await rawWebSocket(t);
    expect(String(await ws.next())).toMatch(/^0\{/);
    clients.push(ws);
  }
  await until(() => conns.length === n);
  return { t, conns, clients };
}

describe("WebSocket frames written directly (no per-message deflate)", () => {
  it("builds correct frame headers at every length boundary", async () => {
    const { conns, clients } = await openSessions(1);
    const list = payloads();
    // One tick: mixed sizes, some concatenated, some header + separate payload.
    conns[0]!.send(list);
    for (const p of list) expect(same(await clients[0]!.next(), wire(p))).toBe(true);
    // One per tick, each on its own.
    for (const p of list) {
      conns[0]!.send([p]);
      expect(same(await clients[0]!.next(), wire(p))).toBe(true);
    }
  });

  it("shares one tick's prepared frames across sessions, in order, none lost", async () => {
    const { conns, clients } = await openSessions(3);
    const shared = [0, 1, 2, 3].map((i) => new PreparedMessage(`m${i}`));
    for (const c of conns) c.send(shared);
    // A session with a different sequence in the same tick must not get the shared bytes.
    conns[1]!.send(["extra"]);
    for (const c of conns) c.send([shared[0]!]);
    for (let i = 0; i < 3; i++) {
      const got: Array<string | Buffer> = [];
      const expected = i === 1 ? 6 : 5;
      for (let k = 0; k < expected; k++) got.push(await clients[i]!.next());
      const want = ["4m0", "4m1", "4m2", "4m3"];
      if (i === 1) want.push("4extra");
      want.push("4m0");
      expect(got).toEqual(want);
    }
    // Next tick, same messages again: still delivered.
    await new Promise((r) => setImmediate(r));
    for (const c of conns) c.send(shared.slice(0, 2));
    for (const ws of clients) {
      expect(await ws.next()).toBe("4m0");
      expect(await ws.next()).toBe("4m1");
    }
  });

  it("keeps order with frames ws writes itself (ping/pong) and heartbeat packets", async () => {
    const { conns, clients } = await openSessions(1, { pingInterval: 50, pingTimeout: 5000 });
    const ws = clients[0]!;
    conns[0]!.send(["a", "b"]);
    expect(await ws.next()).toBe("4a");
    expect(await ws.next()).toBe("4b");
    // An engine ping goes out as a frame too.
    expect(await ws.next()).toBe("2");
    ws.ws.send("3");
    const pong = once(ws.ws, "pong");
    ws.ws.ping();
    await pong;
    conns[0]!.send(["c"]);
    expect(await ws.next()).toBe("4c");
  });

  it("keeps using ws framing when per-message deflate is negotiated", async () => {
    const { conns, clients } = await openSessions(1, { perMessageDeflate: { threshold: 0 } });
    expect(clients[0]!.ws.extensions).toContain("permessage-deflate");
    const list = payloads().slice(0, 8);
    conns[0]!.send(list);
    for (const p of list) expect(same(await clients[0]!.next(), wire(p))).toBe(true);
  });

  it("frame heads hold the whole frame for text and small binary, header only for large binary", () => {
    const small = new PreparedMessage(Buffer.alloc(100, 1));
    expect(frameTail(small)).toBeNull();
    expect(frameHead(small).length).toBe(102);
    const large = new PreparedMessage(new Uint8Array(20000));
    expect(frameHead(large)).toEqual(Buffer.from([0x82, 126, 20000 >> 8, 20000 & 0xff]));
    expect(frameTail(large)?.length).toBe(20000);
    const text = new PreparedMessage("hé");
    expect(frameHead(text)).toEqual(Buffer.from([0x81, 4, 0x34, 0x68, 0xc3, 0xa9]));
  });
});

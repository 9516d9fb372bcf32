import { encodeV3BinaryPayload } from "@switchboard/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { EngineConnection, HandshakeError } from "../../src/engine/index.js";
import { engineStats } from "../../src/engine/internal.js";
import { closeAll, holdsGet, listen, once, type TestEngine, track, until } from "./helpers.js";

// Engine.IO v3 (allowEIO3) as its spec describes the wire: literal payloads and frames, sent
// with fetch and ws exactly as a socket.io 2.x client sends them (or as it never would).

afterEach(closeAll);

const v3 = (t: TestEngine) => `${t.url}/socket.io/?EIO=3&transport=`;

interface Reply {
  status: number;
  type: string | null;
  body: string;
  bytes: Buffer;
}

async function request(url: string, init?: RequestInit): Promise<Reply> {
  const res = await fetch(url, init);
  const bytes = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    body: bytes.toString("utf8"),
    bytes,
  };
}

/** A v3 polling handshake; returns the sid and the open packet's JSON. */
async function handshake(t: TestEngine, extra = ""): Promise<{ sid: string; open: unknown }> {
  const { status, body } = await request(`${v3(t)}polling${extra}`);
  expect(status).toBe(200);
  const colon = body.indexOf(":");
  const length = Number(body.slice(0, colon));
  const packet = body.slice(colon + 1);
  expect(packet.length).toBe(length);
  expect(packet[0]).toBe("0");
  const open = JSON.parse(packet.slice(1)) as { sid: string };
  return { sid: open.sid, open };
}

const poll = (t: TestEngine, sid: string, extra = "") =>
  request(`${v3(t)}polling&sid=${sid}${extra}`);
const push = (t: TestEngine, sid: string, body: string | Uint8Array<ArrayBuffer>) =>
  request(`${v3(t)}polling&sid=${sid}`, { method: "POST", body });

/** Collects a connection's messages; resolves `closed` with its close reason. */
function record(conn: EngineConnection) {
  const messages: unknown[] = [];
  const closed = new Promise<string>((resolve) =>
    conn.setHandler({ onMessage: (m) => messages.push(m), onClose: (reason) => resolve(reason) }),
  );
  return { messages, closed };
}

/** Whether the session's polling transport holds a GET now. */
function heldGet(conn: EngineConnection): boolean {
  return holdsGet(conn);
}

/** A raw WebSocket with every frame queued from the start. */
async function rawWs(url: string) {
  const ws = new WebSocket(url);
  track(() => ws.terminate());
  const frames: (string | Buffer)[] = [];
  const waiters: ((f: string | Buffer) => void)[] = [];
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    const f = isBinary ? data : data.toString("utf8");
    const w = waiters.shift();
    if (w) w(f);
    else frames.push(f);
  });
  const closed = new Promise<number>((r) => ws.once("close", (code: number) => r(code)));
  await once(ws, "open");
  return {
    ws,
    closed,
    next: (): Promise<string | Buffer> => {
      const f = frames.shift();
      if (f !== undefined) return Promise.resolve(f);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no frame in time")), 5000);
        waiters.push((frame) => {
          clearTimeout(timer);
          resolve(frame);
        });
      });
    },
  };
}

describe("allowEIO3: the handshake", () => {
  it.each(["polling", "websocket"])(
    "is off by default: 400, code 5, Unsupported protocol version (%s)",
    async (transport) => {
      const t = await listen();
      const errors: HandshakeError[] = [];
      t.engine.on("connection_error", (e: HandshakeError) => errors.push(e));
      if (transport === "polling") {
        const reply = await request(`${v3(t)}polling`);
        expect(reply.status).toBe(400);
        expect(JSON.parse(reply.body)).toEqual({
          code: 5,
          message: "Unsupported protocol version",
        });
      } else {
        const ws = new WebSocket(`${v3(t).replace("http", "ws")}websocket`);
        track(() => ws.terminate());
        ws.on("error", () => {});
        const [, res] = await once<[unknown, import("node:http").IncomingMessage]>(
          ws,
          "unexpected-response",
        );
        expect(res.statusCode).toBe(400);
      }
      expect(errors.map((e) => e.code)).toEqual([5]);
      expect(t.engine.clientsCount).toBe(0);
    },
  );

  it("refuses an option that is not a boolean", async () => {
    await expect(listen({ allowEIO3: "yes" as unknown as boolean })).rejects.toThrow(TypeError);
  });

  it("polling: the open packet is a payload of one, with maxPayload as engine.io sends it", async () => {
    const t = await listen({ allowEIO3: true, pingInterval: 300, pingTimeout: 200 });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid, open } = await handshake(t);
    // The v3 spec lists four fields; engine.io 6 and the official v3 suite add maxPayload.
    expect(open).toEqual({
      sid,
      upgrades: ["websocket"],
      pingInterval: 300,
      pingTimeout: 200,
      maxPayload: 1e6,
    });
    const [conn] = await connected;
    expect(conn.protocol).toBe(3);
    expect(conn.id).toBe(sid);
  });

  it("websocket: the open frame has the same keys and no upgrades", async () => {
    const t = await listen({ allowEIO3: true, pingInterval: 300, pingTimeout: 200 });
    const ws = await rawWs(`${v3(t).replace("http", "ws")}websocket`);
    const frame = (await ws.next()) as string;
    expect(frame[0]).toBe("0");
    expect(Object.keys(JSON.parse(frame.slice(1)))).toEqual([
      "sid",
      "upgrades",
      "pingInterval",
      "pingTimeout",
      "maxPayload",
    ]);
    expect(JSON.parse(frame.slice(1)).upgrades).toEqual([]);
  });

  it("refuses JSONP polling (j=): 400, code 3", async () => {
    const t = await listen({ allowEIO3: true });
    const reply = await request(`${v3(t)}polling&j=0`);
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toEqual({ code: 3, message: "Bad request" });
    expect(t.engine.clientsCount).toBe(0);
  });

  it("speaks to a session only in the version it was opened with", async () => {
    const t = await listen({ allowEIO3: true });
    const { sid } = await handshake(t);
    const v4 = await request(`${t.base}polling&sid=${sid}`);
    expect(v4.status).toBe(400);
    expect(JSON.parse(v4.body)).toEqual({ code: 3, message: "Bad request" });
    const v4open = await (await fetch(`${t.base}polling`)).text();
    const v4sid = (JSON.parse(v4open.slice(1)) as { sid: string }).sid;
    const v3get = await poll(t, v4sid);
    expect(v3get.status).toBe(400);
  });

  it("keeps v4 sessions as they were next to v3 ones", async () => {
    const t = await listen({ allowEIO3: true });
    await handshake(t);
    const body = await (await fetch(`${t.base}polling`)).text();
    expect(body.startsWith('0{"sid":')).toBe(true);
    expect(JSON.parse(body.slice(1)).maxPayload).toBe(1e6);
  });
});

describe("allowEIO3: polling payloads", () => {
  it("decodes a text payload and answers with length-prefixed packets, counted in characters", async () => {
    const t = await listen({ allowEIO3: true });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const [conn] = await connected;
    const rec = record(conn);
    expect((await push(t, sid, "6:4hello2:4€3:4😀")).body).toBe("ok");
    expect(rec.messages).toEqual(["hello", "€", "😀"]);
    conn.send(["hey", "€"]);
    const reply = await poll(t, sid);
    expect(reply.type).toBe("text/plain; charset=UTF-8");
    expect(reply.body).toBe("4:4hey2:4€");
  });

  it("b64=1: binary goes as b4<base64> in a text payload", async () => {
    const t = await listen({ allowEIO3: true });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t, "&b64=1");
    const [conn] = await connected;
    conn.send(["x", Buffer.from([1, 2, 3, 4])]);
    const reply = await poll(t, sid, "&b64=1");
    expect(reply.type).toBe("text/plain; charset=UTF-8");
    expect(reply.body).toBe("2:4x10:b4AQIDBA==");
  });

  it("an XHR2 client (no b64) gets binary payloads, text-only answers stay text", async () => {
    const t = await listen({ allowEIO3: true });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const [conn] = await connected;
    conn.send(["€", Buffer.from([1, 2, 3, 4])]);
    const reply = await poll(t, sid);
    expect(reply.type).toBe("application/octet-stream");
    expect([...reply.bytes]).toEqual([0, 4, 255, 0x34, 0xe2, 0x82, 0xac, 1, 5, 255, 4, 1, 2, 3, 4]);
    conn.send(["only text"]);
    expect((await poll(t, sid)).body).toBe("10:4only text");
  });

  it("decodes binary POST payloads (XHR2) and b4 packets of text ones, as Buffers", async () => {
    const t = await listen({ allowEIO3: true });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const [conn] = await connected;
    const rec = record(conn);
    const binary = encodeV3BinaryPayload([
      { type: "message", data: "€" },
      { type: "message", data: new Uint8Array([9, 8, 7]) },
    ]);
    expect((await push(t, sid, new Uint8Array(binary))).body).toBe("ok");
    expect((await push(t, sid, "6:b4BQY=")).body).toBe("ok");
    expect(rec.messages).toEqual(["€", Buffer.from([9, 8, 7]), Buffer.from([5, 6])]);
    expect(Buffer.isBuffer(rec.messages[1])).toBe(true);
  });

  it.each([
    ["length past the end", "7:4hello"],
    ["no length prefix", "4hello"],
    ["zero length", "0:"],
    ["v4 framing", "4a\x1e4b"],
    ["sign in the prefix", "-1:4"],
    ["17-digit prefix", `${"0".repeat(16)}1:4`],
    ["trailing bytes", "2:4ax"],
    ["binary header byte 2", "\x02\x01\xff4"],
    ["binary prefix without separator", "\x00\x01\x02"],
    ["binary ping", "\x01\x02\xff\x02\x01"],
  ])(
    "a malformed payload (%s) is answered 400 and closes only that session with parse error",
    async (_name, body) => {
      const t = await listen({ allowEIO3: true });
      const connected = once<[EngineConnection]>(t.engine, "connection");
      const { sid } = await handshake(t);
      const [conn] = await connected;
      const bystanderConnected = once<[EngineConnection]>(t.engine, "connection");
      const other = await handshake(t);
      const bystander = record((await bystanderConnected)[0]);
      const rec = record(conn);
      const raw = Uint8Array.from(Buffer.from(body, "latin1"));
      const reply = await push(t, sid, /[\x00-\x02]/.test(body[0]!) ? raw : body);
      expect(reply.status).toBe(400);
      expect(await rec.closed).toBe("parse error");
      expect(t.engine.clients.has(other.sid)).toBe(true);
      expect((await push(t, other.sid, "6:4still")).body).toBe("ok");
      expect(bystander.messages).toEqual(["still"]);
    },
  );

  it("counts packets of a v3 payload against maxPayloadPackets", async () => {
    const t = await listen({ allowEIO3: true, maxPayloadPackets: 3 });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const rec = record((await connected)[0]);
    expect((await push(t, sid, "2:4a2:4b2:4c")).body).toBe("ok");
    expect((await push(t, sid, "2:4a2:4b2:4c2:4d")).status).toBe(400);
    expect(await rec.closed).toBe("parse error");
    expect(rec.messages).toEqual(["a", "b", "c"]);
  });

  it("bounds a v3 POST body by maxHttpBufferSize (413)", async () => {
    const t = await listen({ allowEIO3: true, maxHttpBufferSize: 100 });
    const { sid } = await handshake(t);
    expect((await push(t, sid, `201:4${"x".repeat(200)}`)).status).toBe(413);
  });

  it("answers a held GET with 1:1 when the server closes, and 1:6 for the client's close", async () => {
    const t = await listen({ allowEIO3: true });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const [conn] = await connected;
    const held = poll(t, sid);
    await until(() => heldGet(conn));
    conn.close();
    expect((await held).body).toBe("1:1");

    const second = once<[EngineConnection]>(t.engine, "connection");
    const other = await handshake(t);
    const otherConn = (await second)[0];
    const rec = record(otherConn);
    const pending = poll(t, other.sid);
    await until(() => heldGet(otherConn));
    expect((await push(t, other.sid, "1:1")).body).toBe("ok");
    expect((await pending).body).toBe("1:6");
    expect(await rec.closed).toBe("transport close");
  });
});

describe("allowEIO3: heartbeat driven by the client", () => {
  it("polling: a ping gets a pong, the server never pings, silence past pingInterval + pingTimeout closes", async () => {
    const t = await listen({ allowEIO3: true, pingInterval: 200, pingTimeout: 100 });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const [conn] = await connected;
    const rec = record(conn);
    let heartbeats = 0;
    conn.on("heartbeat", () => heartbeats++);
    for (let i = 0; i < 4; i++) {
      expect((await push(t, sid, "1:2")).body).toBe("ok");
      expect((await poll(t, sid)).body).toBe("1:3");
    }
    expect(heartbeats).toBe(4);
    expect(conn.readyState).toBe("open");
    // No ping from the client: the next GET is held (no ping from the server) until the
    // session closes.
    expect((await poll(t, sid)).body).toBe("1:1");
    expect(await rec.closed).toBe("ping timeout");
  });

  it("websocket: 2 -> 3, 2probe-like data echoed, binary frames carry the type byte", async () => {
    const t = await listen({ allowEIO3: true, pingInterval: 200, pingTimeout: 100 });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const ws = await rawWs(`${v3(t).replace("http", "ws")}websocket`);
    await ws.next();
    const [conn] = await connected;
    const rec = record(conn);
    ws.ws.send("2");
    expect(await ws.next()).toBe("3");
    ws.ws.send("2hi");
    expect(await ws.next()).toBe("3hi");
    conn.send([Buffer.from([1, 2])]);
    expect(await ws.next()).toEqual(Buffer.from([4, 1, 2]));
    ws.ws.send(Buffer.from([4, 7, 7]));
    ws.ws.send("b4BQY=");
    ws.ws.send("4text");
    ws.ws.send("2");
    expect(await ws.next()).toBe("3");
    expect(rec.messages).toEqual([Buffer.from([7, 7]), Buffer.from([5, 6]), "text"]);
    expect(await rec.closed).toBe("ping timeout");
    await ws.closed;
  });

  it("websocket: a binary frame that is not a message closes with parse error", async () => {
    const t = await listen({ allowEIO3: true });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const ws = await rawWs(`${v3(t).replace("http", "ws")}websocket`);
    await ws.next();
    const rec = record((await connected)[0]);
    ws.ws.send(Buffer.from([2, 1]));
    expect(await rec.closed).toBe("parse error");
    await ws.closed;
  });
});

describe("allowEIO3: upgrade", () => {
  it("2probe / 3probe, the paused GET answered 1:6, then 5 and messages over the WebSocket", async () => {
    const t = await listen({ allowEIO3: true });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const [conn] = await connected;
    const rec = record(conn);
    const held = poll(t, sid);
    const ws = await rawWs(`${v3(t).replace("http", "ws")}websocket&sid=${sid}`);
    ws.ws.send("2probe");
    expect(await ws.next()).toBe("3probe");
    expect((await held).body).toBe("1:6");
    ws.ws.send("5");
    await once(conn, "upgrade");
    conn.send(["after", Buffer.from([3])]);
    expect(await ws.next()).toBe("4after");
    expect(await ws.next()).toEqual(Buffer.from([4, 3]));
    ws.ws.send("4up");
    await until(() => rec.messages.length > 0);
    expect(rec.messages).toEqual(["up"]);
    expect(conn.transport.name).toBe("websocket");
  });
});

describe("allowEIO3: what the official Engine.IO v3 test suite checks", () => {
  it("a second GET closes the session: the held one gets 1:1, the second 400, later ones 400", async () => {
    const t = await listen({ allowEIO3: true });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const [conn] = await connected;
    const rec = record(conn);
    const first = poll(t, sid);
    await until(() => heldGet(conn));
    const second = await poll(t, sid, "&t=burst");
    expect(second.status).toBe(400);
    expect((await first).body).toBe("1:1");
    expect(await rec.closed).toBe("transport error");
    expect((await poll(t, sid)).status).toBe(400);
  });

  it("a POST that is not a payload (abc) closes the session; its sid is then unknown", async () => {
    const t = await listen({ allowEIO3: true });
    const { sid } = await handshake(t);
    expect((await push(t, sid, "abc")).status).toBe(400);
    const after = await poll(t, sid);
    expect(after.status).toBe(400);
    expect(JSON.parse(after.body)).toEqual({ code: 1, message: "Session ID unknown" });
  });

  it("WebSocket: a text message is echoed as is, a frame that is no packet (abc) closes", async () => {
    const t = await listen({ allowEIO3: true });
    t.engine.on("connection", (conn: EngineConnection) =>
      conn.setHandler({ onMessage: (m) => conn.send([m]), onClose: () => {} }),
    );
    const ws = await rawWs(`${v3(t).replace("http", "ws")}websocket`);
    await ws.next();
    ws.ws.send("4hello");
    expect(await ws.next()).toBe("4hello");
    ws.ws.send("abc");
    await ws.closed;
  });

  it("handshakes without EIO, with EIO=abc or with a PUT are refused (400)", async () => {
    const t = await listen({ allowEIO3: true });
    expect((await request(`${t.url}/socket.io/?transport=polling`)).status).toBe(400);
    expect((await request(`${t.url}/socket.io/?EIO=abc&transport=polling`)).status).toBe(400);
    expect((await request(`${v3(t)}polling`, { method: "PUT" })).status).toBe(400);
    expect(t.engine.clientsCount).toBe(0);
  });
});

describe("allowEIO3: release", () => {
  it("every v3 session, heartbeat deadline and upgrade timer is released, however it ends", async () => {
    const t = await listen({ allowEIO3: true, pingInterval: 200, pingTimeout: 100 });
    const conns = new Map<string, EngineConnection>();
    t.engine.on("connection", (c: EngineConnection) => conns.set(c.id, c));
    const closed: Promise<string>[] = [];
    const track = (sid: string) => closed.push(record(conns.get(sid)!).closed);
    for (let i = 0; i < 20; i++) {
      const { sid } = await handshake(t, i % 2 ? "&b64=1" : "");
      track(sid);
      if (i % 4 === 0) conns.get(sid)!.close(); // forced close, then the close packet's GET
      if (i % 4 === 0) expect((await poll(t, sid)).body).toBe("1:1");
      if (i % 4 === 1) expect((await push(t, sid, "1:1")).body).toBe("ok"); // client close
      if (i % 4 === 2) expect((await push(t, sid, "1:x")).status).toBe(400); // parse error
      if (i % 4 === 3) {
        // a probe left open, then the session times out (no client ping)
        const ws = await rawWs(`${v3(t).replace("http", "ws")}websocket&sid=${sid}`);
        ws.ws.send("2probe");
        expect(await ws.next()).toBe("3probe");
      }
    }
    const ws = await rawWs(`${v3(t).replace("http", "ws")}websocket`);
    const sid = (JSON.parse(((await ws.next()) as string).slice(1)) as { sid: string }).sid;
    track(sid);
    ws.ws.close();
    const reasons = await Promise.all(closed);
    expect(new Set(reasons)).toEqual(
      new Set(["forced close", "transport close", "parse error", "ping timeout"]),
    );
    expect(t.engine.clientsCount).toBe(0);
    expect(engineStats.liveSessions).toBe(0);
    expect(engineStats.liveTimers).toBe(0);
  });
});

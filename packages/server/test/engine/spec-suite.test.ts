/**
 * What the official Engine.IO v4 test suite (socketio/socket.io,
 * docs/engine.io-protocol/v4-test-suite) checks and the other engine tests did not, in our
 * raw-protocol style: literal wire strings over fetch and ws against the suite's reference
 * setup (pingInterval 300, pingTimeout 200, maxPayload 1e6, every message echoed back).
 * Not a copy of the suite: each case states the behaviour, with exact error codes where the
 * suite only asks for a status.
 */
import type { IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { EngineConnection, EngineServerOptions } from "../../src/engine/index.js";
import {
  closeAll,
  handshake,
  holdsGet,
  listen,
  once,
  poll,
  push,
  rawWebSocket,
  record,
  type TestEngine,
  track,
  until,
} from "./helpers.js";

afterEach(closeAll);

const OPEN_KEYS = ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"];

/** The suite's reference server: its options, and every message sent straight back. */
async function echoServer(options: Partial<EngineServerOptions> = {}): Promise<TestEngine> {
  return listen(
    { pingInterval: 300, pingTimeout: 200, maxHttpBufferSize: 1e6, ...options },
    (engine) => {
      engine.on("connection", (conn: EngineConnection) => {
        conn.setHandler({ onMessage: (data) => conn.send([data]), onClose: () => {} });
      });
    },
  );
}

/** The server's side of the next session. */
function nextConnection(t: TestEngine): Promise<EngineConnection> {
  return once<[EngineConnection]>(t.engine, "connection").then(([conn]) => conn);
}

/** Resolves once the session holds a GET (a poll the server has not answered yet). */
function getHeld(conn: EngineConnection): Promise<void> {
  return until(() => holdsGet(conn));
}

/** A WebSocket handshake to `path` (query included) that must be refused: status and JSON body. */
function refusedWebSocket(t: TestEngine, path: string): Promise<{ status: number; body: unknown }> {
  const ws = new WebSocket(`${t.url.replace("http", "ws")}${path}`);
  track(() => ws.terminate());
  ws.on("error", () => {});
  return once<[unknown, IncomingMessage]>(ws, "unexpected-response").then(async ([, res]) => {
    let body = "";
    res.setEncoding("utf8");
    for await (const chunk of res) body += chunk;
    return { status: res.statusCode ?? 0, body: JSON.parse(body) };
  });
}

/** A polling session whose probe WebSocket completed the upgrade ("2probe", "3probe", "5"). */
async function upgradedSession(t: TestEngine) {
  const connected = nextConnection(t);
  const { sid } = await handshake(t);
  const conn = await connected;
  const ws = await rawWebSocket(t, `&sid=${sid}`);
  const upgraded = once(conn, "upgrade");
  ws.ws.send("2probe");
  expect(await ws.next()).toBe("3probe");
  ws.ws.send("5");
  await upgraded;
  return { sid, conn, ws };
}

describe("spec suite: handshake", () => {
  it("the polling open packet has exactly sid, upgrades, pingInterval, pingTimeout, maxPayload", async () => {
    const t = await echoServer();
    const res = await fetch(`${t.base}polling`);
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(body[0]).toBe("0");
    const open = JSON.parse(body.slice(1));
    expect(Object.keys(open).sort()).toEqual(OPEN_KEYS);
    expect(open).toMatchObject({
      upgrades: ["websocket"],
      pingInterval: 300,
      pingTimeout: 200,
      maxPayload: 1000000,
    });
    expect(typeof open.sid).toBe("string");
  });

  it("the WebSocket open packet has the same five keys, with no upgrades", async () => {
    const t = await echoServer();
    const ws = await rawWebSocket(t);
    const first = (await ws.next()) as string;
    expect(first[0]).toBe("0");
    const open = JSON.parse(first.slice(1));
    expect(Object.keys(open).sort()).toEqual(OPEN_KEYS);
    expect(open).toMatchObject({
      upgrades: [],
      pingInterval: 300,
      pingTimeout: 200,
      maxPayload: 1000000,
    });
  });

  it("a polling handshake with EIO=abc is 400 / code 5; a PUT handshake is 400 / code 2", async () => {
    const t = await echoServer();
    const bad = await fetch(`${t.url}/socket.io/?EIO=abc&transport=polling`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ code: 5, message: "Unsupported protocol version" });
    const put = await fetch(`${t.base}polling`, { method: "PUT" });
    expect(put.status).toBe(400);
    expect(await put.json()).toEqual({ code: 2, message: "Bad handshake method" });
    expect(t.engine.clientsCount).toBe(0);
  });

  it("with cors origin '*', a cross-origin PUT handshake passes its preflight and gets the engine's 400 / code 2", async () => {
    // The suite in a browser: a PUT is preflighted, and a refused preflight is a network
    // error, not the 400 the suite expects.
    const t = await echoServer({ cors: { origin: "*" } });
    const pre = await fetch(`${t.base}polling`, {
      method: "OPTIONS",
      headers: { origin: "http://suite.example", "access-control-request-method": "PUT" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-allow-methods")?.split(",")).toContain("PUT");
    const put = await fetch(`${t.base}polling`, {
      method: "PUT",
      headers: { origin: "http://suite.example" },
    });
    expect(put.status).toBe(400);
    expect(put.headers.get("access-control-allow-origin")).toBe("*");
    expect(await put.json()).toEqual({ code: 2, message: "Bad handshake method" });
  });

  it.each([
    ["without EIO", 5, "/socket.io/?transport=websocket", "Unsupported protocol version"],
    ["with EIO=abc", 5, "/socket.io/?EIO=abc&transport=websocket", "Unsupported protocol version"],
    ["without transport", 0, "/socket.io/?EIO=4", "Transport unknown"],
    ["with transport=abc", 0, "/socket.io/?EIO=4&transport=abc", "Transport unknown"],
  ])("a WebSocket handshake %s is refused: 400 / code %i", async (_name, code, path, message) => {
    const t = await echoServer();
    expect(await refusedWebSocket(t, path)).toEqual({ status: 400, body: { code, message } });
    expect(t.engine.clientsCount).toBe(0);
  });
});

describe("spec suite: messages over long-polling", () => {
  it("one POST of text and binary packets comes back as the same payload on the next GET", async () => {
    const t = await echoServer();
    const { sid } = await handshake(t);
    expect(await push(t, sid, "4hello\x1e4test2\x1ebAQIDBA==")).toEqual({
      status: 200,
      body: "ok",
    });
    expect(await poll(t, sid)).toEqual({ status: 200, body: "4hello\x1e4test2\x1ebAQIDBA==" });
  });

  it("a malformed POST ('abc') is 400 / code 3, and the session is gone: the next GET is 400 / code 1", async () => {
    const t = await echoServer();
    const { sid } = await handshake(t);
    const res = await push(t, sid, "abc");
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ code: 3, message: "Bad request" });
    const next = await poll(t, sid);
    expect(next.status).toBe(400);
    expect(JSON.parse(next.body)).toEqual({ code: 1, message: "Session ID unknown" });
  });

  it("a duplicate GET: the held one gets the close packet, the second 400 / code 3, later ones 400 / code 1", async () => {
    const t = await echoServer();
    const connected = nextConnection(t);
    const { sid } = await handshake(t);
    const conn = await connected;
    const first = poll(t, sid);
    await getHeld(conn);
    const second = await poll(t, sid);
    expect(second.status).toBe(400);
    expect(JSON.parse(second.body).code).toBe(3);
    expect(await first).toEqual({ status: 200, body: "1" });
    const later = await poll(t, sid);
    expect(later.status).toBe(400);
    expect(JSON.parse(later.body).code).toBe(1);
  });

  it("a GET the client cancels ends the session: the next GET is 400 / code 1", async () => {
    const t = await echoServer();
    const connected = nextConnection(t);
    const { sid } = await handshake(t);
    const conn = await connected;
    const rec = record(conn);
    const controller = new AbortController();
    const cancelled = poll(t, sid, { signal: controller.signal }).catch((e: unknown) => e);
    await getHeld(conn);
    controller.abort();
    await cancelled;
    expect(await rec.closed).toBe("transport error");
    const next = await poll(t, sid);
    expect(next.status).toBe(400);
    expect(JSON.parse(next.body).code).toBe(1);
  });

  it("a session nobody polls is closed after pingInterval + pingTimeout: a late GET is 400 / code 1", async () => {
    const t = await echoServer({ pingInterval: 30, pingTimeout: 20 });
    const connected = nextConnection(t);
    const { sid } = await handshake(t);
    const rec = record(await connected);
    // No GET takes the ping: the pong can never come.
    expect(await rec.closed).toBe("ping timeout");
    const late = await poll(t, sid);
    expect(late.status).toBe(400);
    expect(JSON.parse(late.body).code).toBe(1);
  });
});

describe("spec suite: messages over WebSocket", () => {
  it("a text packet and a binary frame come back as they were sent", async () => {
    const t = await echoServer();
    const ws = await rawWebSocket(t);
    await ws.next();
    ws.ws.send("4hello");
    expect(await ws.next()).toBe("4hello");
    ws.ws.send(Uint8Array.from([1, 2, 3, 4]));
    expect(await ws.next()).toEqual(Buffer.from([1, 2, 3, 4]));
  });

  it("'abc' closes the WebSocket (parse error)", async () => {
    const t = await echoServer();
    const connected = nextConnection(t);
    const ws = await rawWebSocket(t);
    await ws.next();
    const rec = record(await connected);
    ws.ws.send("abc");
    expect(await rec.closed).toBe("parse error");
    await ws.closed;
  });
});

describe("spec suite: close", () => {
  it("a client close packet answers the held GET with a noop (6), not a close packet; later GETs are 400 / code 1", async () => {
    const t = await echoServer();
    const connected = nextConnection(t);
    const { sid } = await handshake(t);
    const conn = await connected;
    const rec = record(conn);
    const held = poll(t, sid);
    await getHeld(conn);
    expect(await push(t, sid, "1")).toEqual({ status: 200, body: "ok" });
    expect(await held).toEqual({ status: 200, body: "6" });
    expect(await rec.closed).toBe("transport close");
    const later = await poll(t, sid);
    expect(later.status).toBe(400);
    expect(JSON.parse(later.body)).toEqual({ code: 1, message: "Session ID unknown" });
  });

  it("messages before the close packet in one payload are delivered; the held GET still gets the noop", async () => {
    const t = await listen();
    const connected = nextConnection(t);
    const { sid } = await handshake(t);
    const conn = await connected;
    const rec = record(conn);
    const held = poll(t, sid);
    await getHeld(conn);
    expect(await push(t, sid, "4last\x1e1\x1e4dropped")).toEqual({ status: 200, body: "ok" });
    expect(await held).toEqual({ status: 200, body: "6" });
    expect(await rec.closed).toBe("transport close");
    expect(rec.messages).toEqual(["last"]);
  });

  it("a close packet with no GET held closes the session; the next GET is 400 / code 1", async () => {
    const t = await echoServer();
    const { sid } = await handshake(t);
    expect(await push(t, sid, "1")).toEqual({ status: 200, body: "ok" });
    const next = await poll(t, sid);
    expect(next.status).toBe(400);
    expect(JSON.parse(next.body).code).toBe(1);
  });

  it("a server-side close still answers the held GET with the close packet (1)", async () => {
    const t = await echoServer();
    const connected = nextConnection(t);
    const { sid } = await handshake(t);
    const conn = await connected;
    const held = poll(t, sid);
    await getHeld(conn);
    conn.close();
    expect(await held).toEqual({ status: 200, body: "1" });
  });

  it("a close packet over WebSocket closes the WebSocket (transport close)", async () => {
    const t = await echoServer();
    const connected = nextConnection(t);
    const ws = await rawWebSocket(t);
    await ws.next();
    const rec = record(await connected);
    ws.ws.send("1");
    expect(await rec.closed).toBe("transport close");
    await ws.closed;
  });
});

describe("spec suite: upgrade", () => {
  it("'2probe' and '5' sent back to back, without waiting for '3probe', upgrade the session", async () => {
    const t = await echoServer();
    const connected = nextConnection(t);
    const { sid } = await handshake(t);
    const conn = await connected;
    const ws = await rawWebSocket(t, `&sid=${sid}`);
    const upgraded = once(conn, "upgrade");
    ws.ws.send("2probe");
    ws.ws.send("5");
    await upgraded;
    expect(await ws.next()).toBe("3probe");
    ws.ws.send("4hello");
    expect(await ws.next()).toBe("4hello");
  });

  it("after the upgrade a GET is 400 / code 3 and the WebSocket keeps working", async () => {
    const t = await echoServer();
    const { sid, conn, ws } = await upgradedSession(t);
    const res = await poll(t, sid);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ code: 3, message: "Bad request" });
    expect(conn.readyState).toBe("open");
    ws.ws.send("4hello");
    expect(await ws.next()).toBe("4hello");
  });

  it.each([
    ["without per-message deflate", false],
    ["with per-message deflate (ws)", true],
  ] as const)(
    "a second WebSocket after the upgrade gets its 101, then a 1008 close; the first keeps working (%s)",
    async (_name, perMessageDeflate) => {
      const t = await echoServer({ perMessageDeflate });
      const { sid, conn, ws } = await upgradedSession(t);
      const upgrades: number[] = [];
      const second = new WebSocket(`${t.base.replace("http", "ws")}websocket&sid=${sid}`);
      track(() => second.terminate());
      second.on("upgrade", (res: IncomingMessage) => upgrades.push(res.statusCode ?? 0));
      const [code] = await once<[number]>(second, "close");
      expect(upgrades).toEqual([101]);
      expect(code).toBe(1008);
      expect(conn.readyState).toBe("open");
      expect(t.engine.clientsCount).toBe(1);
      ws.ws.send("4hello");
      expect(await ws.next()).toBe("4hello");
    },
  );

  it("a WebSocket with an unknown sid is still refused before the handshake: 400 / code 1", async () => {
    const t = await echoServer();
    expect(await refusedWebSocket(t, "/socket.io/?EIO=4&transport=websocket&sid=nope")).toEqual({
      status: 400,
      body: { code: 1, message: "Session ID unknown" },
    });
  });
});

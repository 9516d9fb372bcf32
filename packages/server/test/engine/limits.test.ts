import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { EngineConnection } from "../../src/engine/index.js";
import {
  closeAll,
  connectClient,
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

/** Checks that a healthy polling session still round-trips a message. */
async function stillHealthy(t: TestEngine, sid: string, conn: EngineConnection): Promise<void> {
  const got: unknown[] = [];
  conn.setHandler({ onMessage: (d) => got.push(d), onClose: () => {} });
  expect(await push(t, sid, "4alive")).toEqual({ status: 200, body: "ok" });
  expect(got).toEqual(["alive"]);
  conn.send(["pong"]);
  expect(await poll(t, sid)).toEqual({ status: 200, body: "4pong" });
}

/** Opens a WebSocket by hand over TCP, then stops reading: a client that never drains. */
async function stalledWebSocket(t: TestEngine): Promise<Socket> {
  const { port } = new URL(t.url);
  const socket = connect(Number(port), "127.0.0.1");
  track(() => {
    socket.destroy();
  });
  await once(socket, "connect");
  socket.write(
    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: localhost\r\n" +
      "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
  );
  let head = "";
  while (!head.includes("\r\n\r\n")) head += (await once<[Buffer]>(socket, "data"))[0].toString();
  expect(head).toMatch(/^HTTP\/1\.1 101/);
  socket.pause();
  return socket;
}

describe("incoming size limits", () => {
  it("answers 413 to a POST declaring too large a body and closes only that session", async () => {
    const t = await listen({ maxHttpBufferSize: 1000 });
    const conns: EngineConnection[] = [];
    t.engine.on("connection", (c: EngineConnection) => conns.push(c));
    const big = await handshake(t);
    const ok = await handshake(t);
    const rec = record(conns[0]!);
    expect((await push(t, big.sid, `4${"x".repeat(2000)}`)).status).toBe(413);
    expect(await rec.closed).toBe("transport error");
    expect(rec.messages).toEqual([]);
    await stillHealthy(t, ok.sid, conns[1]!);
  });

  it("counts a chunked POST body while it streams and stops at the limit", async () => {
    const t = await listen({ maxHttpBufferSize: 1000 });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const rec = record((await connected)[0]);
    const { port } = new URL(t.url);
    const req = request({
      host: "127.0.0.1",
      port,
      method: "POST",
      path: `/socket.io/?EIO=4&transport=polling&sid=${sid}`,
      headers: { "Transfer-Encoding": "chunked" },
    });
    req.on("error", () => {});
    const response = once<[{ statusCode: number; resume(): void }]>(req, "response");
    req.write("4");
    // Keep streaming until the server answers: it must not wait for the end of the body.
    let sent = 0;
    let answered = false;
    void response.then(() => {
      answered = true;
    });
    while (!answered && sent < 200) {
      req.write("y".repeat(100));
      sent++;
      await new Promise((r) => setImmediate(r));
    }
    const [res] = await response;
    res.resume();
    expect(res.statusCode).toBe(413);
    expect(sent).toBeLessThan(200);
    expect(await rec.closed).toBe("transport error");
    req.destroy();
  });

  it("closes a WebSocket session whose message exceeds maxHttpBufferSize", async () => {
    const t = await listen({ maxHttpBufferSize: 1000 });
    const conns: EngineConnection[] = [];
    t.engine.on("connection", (c: EngineConnection) => conns.push(c));
    const ws = await rawWebSocket(t);
    await ws.next();
    const rec = record(conns[0]!);
    ws.ws.on("error", () => {});
    ws.ws.send(`4${"z".repeat(1500)}`);
    expect(await ws.closed).toBe(1009);
    expect(await rec.closed).toBe("transport error");
    expect(rec.messages).toEqual([]);
    const healthy = await handshake(t);
    await stillHealthy(t, healthy.sid, conns[1]!);
  });
});

describe("outgoing buffer bound", () => {
  it("closes a WebSocket client that stops reading with buffer overflow; others unaffected", async () => {
    const t = await listen({ maxBufferedBytes: 256 * 1024 });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const stalled = await stalledWebSocket(t);
    const [conn] = await connected;
    const rec = record(conn);
    const healthyConnected = once<[EngineConnection]>(t.engine, "connection");
    const healthy = await connectClient(t.url, { transports: ["websocket"] });
    const [healthyConn] = await healthyConnected;

    const chunk = "m".repeat(64 * 1024);
    let rounds = 0;
    let peak = 0;
    while (conn.readyState === "open" && rounds < 2000) {
      conn.send([chunk]);
      peak = Math.max(peak, conn.bufferedBytes);
      rounds++;
      await new Promise((r) => setImmediate(r));
    }
    expect(await rec.closed).toBe("buffer overflow");
    expect(peak).toBeLessThanOrEqual(256 * 1024 + 64 * 1024 + 16);
    expect(t.engine.clients.has(conn.id)).toBe(false);
    // The server dropped the connection: once the client reads again it sees the end.
    const closed = once(stalled, "close", 10_000);
    stalled.resume();
    await closed;

    const echoed = once<[string]>(healthy, "message");
    healthyConn.send(["still fine"]);
    expect((await echoed)[0]).toBe("still fine");
  });

  it("closes a polling session whose client stops polling with buffer overflow", async () => {
    const t = await listen({ maxBufferedBytes: 10_000 });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    await handshake(t);
    const [conn] = await connected;
    const rec = record(conn);
    for (let i = 0; i < 100 && conn.readyState === "open"; i++) conn.send(["x".repeat(1000)]);
    expect(await rec.closed).toBe("buffer overflow");
  });

  it("drops volatile messages when polling has no GET held, and sends them when it has", async () => {
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const [conn] = await connected;
    conn.send(["dropped"], { volatile: true });
    conn.send(["kept"]);
    expect((await poll(t, sid)).body).toBe("4kept");
    const pending = poll(t, sid);
    await until(() => holdsGet(conn));
    conn.send(["volatile ok"], { volatile: true });
    expect((await pending).body).toBe("4volatile ok");
  });

  it("drops volatile messages to a stalled WebSocket instead of buffering them", async () => {
    const t = await listen({ maxBufferedBytes: 64 * 1024 * 1024 });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    await stalledWebSocket(t);
    const [conn] = await connected;
    const chunk = "v".repeat(64 * 1024);
    // Fill the socket until it reports backpressure.
    for (let i = 0; i < 4000 && conn.bufferedBytes < 512 * 1024; i++) {
      conn.send([chunk]);
      await new Promise((r) => setImmediate(r));
    }
    const before = conn.bufferedBytes;
    expect(before).toBeGreaterThanOrEqual(512 * 1024);
    for (let i = 0; i < 100; i++) conn.send([chunk], { volatile: true });
    await new Promise((r) => setImmediate(r));
    expect(conn.bufferedBytes).toBe(before);
    expect(conn.readyState).toBe("open");
  });
});

import { request } from "node:http";
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
  record,
  type TestEngine,
  until,
} from "./helpers.js";

afterEach(closeAll);

/** A polling handshake over raw HTTP and the server's side of it. */
async function pollingSession(t: TestEngine): Promise<{ sid: string; conn: EngineConnection }> {
  const connected = once<[EngineConnection]>(t.engine, "connection");
  const { sid } = await handshake(t);
  const [conn] = await connected;
  return { sid, conn };
}

/** Resolves once the session holds a GET (a poll the server has not answered yet). */
function getHeld(conn: EngineConnection): Promise<void> {
  return until(() => holdsGet(conn));
}

describe("long-polling with engine.io-client", () => {
  it("exchanges text and binary messages both ways", async () => {
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const client = await connectClient(t.url, { transports: ["polling"] });
    const [conn] = await connected;
    const rec = record(conn);
    expect(conn.transport.name).toBe("polling");

    client.send("hello");
    client.send(new Uint8Array([1, 2, 3]));
    await until(() => rec.messages.length === 2);
    expect(rec.messages[0]).toBe("hello");
    expect(Buffer.from(rec.messages[1] as Uint8Array)).toEqual(Buffer.from([1, 2, 3]));

    const received: unknown[] = [];
    client.on("message", (data) => received.push(data));
    conn.send(["from server", Buffer.from([4, 5, 6]), "€ unicode"]);
    await until(() => received.length === 3);
    expect(received[0]).toBe("from server");
    expect(new Uint8Array(received[1] as ArrayBuffer)).toEqual(new Uint8Array([4, 5, 6]));
    expect(received[2]).toBe("€ unicode");
  });

  it("reports the client's close as transport close", async () => {
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const client = await connectClient(t.url, { transports: ["polling"] });
    const rec = record((await connected)[0]);
    client.close();
    expect(await rec.closed).toBe("transport close");
    expect(t.engine.clientsCount).toBe(0);
  });

  it("conn.close() flushes queued messages then sends the close packet", async () => {
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const client = await connectClient(t.url, { transports: ["polling"] });
    const [conn] = await connected;
    const rec = record(conn);
    const received: unknown[] = [];
    client.on("message", (data) => received.push(data));
    const clientClosed = once(client, "close");
    conn.send(["last words"]);
    conn.close();
    expect(await rec.closed).toBe("forced close");
    await clientClosed;
    expect(received).toEqual(["last words"]);
  });
});

describe("long-polling, raw", () => {
  it("answers a handshake with the open packet", async () => {
    const t = await listen({ pingInterval: 300, pingTimeout: 200, maxHttpBufferSize: 5000 });
    const open = await handshake(t);
    expect(open.sid).toMatch(/^[\w-]{20}$/);
    expect(open).toMatchObject({
      upgrades: ["websocket"],
      pingInterval: 300,
      pingTimeout: 200,
      maxPayload: 5000,
    });
    expect(t.engine.clients.has(open.sid)).toBe(true);
  });

  it("holds a GET until data arrives and batches messages sent in one tick", async () => {
    const t = await listen();
    const { sid, conn } = await pollingSession(t);
    const pending = poll(t, sid);
    await getHeld(conn);
    conn.send(["a"]);
    conn.send(["b", new Uint8Array([1, 2, 3, 4])]);
    expect(await pending).toEqual({ status: 200, body: "4a\x1e4b\x1ebAQIDBA==" });
  });

  it("send with flush: true changes nothing over polling: one answer still carries the whole tick", async () => {
    const t = await listen();
    const { sid, conn } = await pollingSession(t);
    const pending = poll(t, sid);
    await getHeld(conn);
    conn.send(["a"], { flush: true });
    conn.send(["b"]);
    expect(await pending).toEqual({ status: 200, body: "4a\x1e4b" });
  });

  it("answers POST with ok and delivers every packet of the payload in order", async () => {
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const rec = record((await connected)[0]);
    expect(await push(t, sid, "4one\x1e4two\x1ebAQID")).toEqual({ status: 200, body: "ok" });
    expect(rec.messages.slice(0, 2)).toEqual(["one", "two"]);
    expect(Buffer.from(rec.messages[2] as Uint8Array)).toEqual(Buffer.from([1, 2, 3]));
  });

  it("conn.close() answers the held GET with the messages, the next GET with the close packet", async () => {
    const t = await listen();
    const { sid, conn } = await pollingSession(t);
    const rec = record(conn);
    const pending = poll(t, sid);
    await getHeld(conn);
    conn.send(["bye", "41"]);
    conn.close();
    expect(await pending).toEqual({ status: 200, body: "4bye\x1e441" });
    expect(t.engine.clientsCount).toBe(1);
    expect(await poll(t, sid)).toEqual({ status: 200, body: "1" });
    expect(await rec.closed).toBe("forced close");
    expect(t.engine.clientsCount).toBe(0);
  });

  it("conn.close() with nothing queued answers the held GET with the close packet", async () => {
    const t = await listen();
    const { sid, conn } = await pollingSession(t);
    const rec = record(conn);
    const pending = poll(t, sid);
    await getHeld(conn);
    conn.close();
    expect(await pending).toEqual({ status: 200, body: "1" });
    expect(await rec.closed).toBe("forced close");
  });

  it("conn.close() closes a client that takes the messages but never polls again", async () => {
    const t = await listen({ pingInterval: 10_000, pingTimeout: 100 });
    const { sid, conn } = await pollingSession(t);
    const rec = record(conn);
    conn.send(["bye"]);
    conn.close();
    expect(await poll(t, sid)).toEqual({ status: 200, body: "4bye" });
    expect(await rec.closed).toBe("forced close");
    expect(t.engine.clientsCount).toBe(0);
    expect((await poll(t, sid)).status).toBe(400);
  });

  it("a client close packet ends the wait for the GET that takes the close packet", async () => {
    const t = await listen();
    const { sid, conn } = await pollingSession(t);
    const rec = record(conn);
    conn.send(["bye"]);
    conn.close();
    expect(await poll(t, sid)).toEqual({ status: 200, body: "4bye" });
    await push(t, sid, "1");
    expect(await rec.closed).toBe("forced close");
    expect(t.engine.clientsCount).toBe(0);
  });

  it("closes the session with transport close on a close packet", async () => {
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const rec = record((await connected)[0]);
    await push(t, sid, "1");
    expect(await rec.closed).toBe("transport close");
    expect((await poll(t, sid)).status).toBe(400);
  });

  it("closes with parse error on a malformed payload; another session is unaffected", async () => {
    const t = await listen();
    const conns: EngineConnection[] = [];
    t.engine.on("connection", (c: EngineConnection) => conns.push(c));
    const bad = await handshake(t);
    const good = await handshake(t);
    const badRec = record(conns[0]!);
    const goodRec = record(conns[1]!);
    const res = await push(t, bad.sid, "4ok\x1e9nope");
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ code: 3, message: "Bad request" });
    expect(await badRec.closed).toBe("parse error");
    expect(badRec.messages).toEqual([]);
    expect(await push(t, good.sid, "4still here")).toEqual({ status: 200, body: "ok" });
    expect(goodRec.messages).toEqual(["still here"]);
  });

  it("closes with parse error on invalid base64 and on too many packets", async () => {
    const t = await listen({ maxPayloadPackets: 3 });
    const conns: EngineConnection[] = [];
    t.engine.on("connection", (c: EngineConnection) => conns.push(c));
    const a = await handshake(t);
    const b = await handshake(t);
    const recA = record(conns[0]!);
    const recB = record(conns[1]!);
    expect((await push(t, a.sid, "b!!not base64")).status).toBe(400);
    expect((await push(t, b.sid, "4\x1e4\x1e4\x1e4")).status).toBe(400);
    expect(await recA.closed).toBe("parse error");
    expect(await recB.closed).toBe("parse error");
  });

  it("a second concurrent GET answers 400 (code 3) and closes the session", async () => {
    const t = await listen();
    const { sid, conn } = await pollingSession(t);
    const rec = record(conn);
    const closing = once<[string, unknown]>(conn, "close");
    const first = poll(t, sid);
    await getHeld(conn);
    const second = await poll(t, sid);
    expect(second.status).toBe(400);
    expect(JSON.parse(second.body)).toEqual({ code: 3, message: "Bad request" });
    expect(await rec.closed).toBe("transport error");
    expect((await closing)[1]).toMatchObject({ code: "SB_ERR_OVERLAPPING_REQUEST", status: 400 });
    expect((await first).body).toBe("1");
  });

  it("a second concurrent POST answers 400 (code 3) and closes the session", async () => {
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const rec = record((await connected)[0]);
    const { port } = new URL(t.url);
    const first = request({
      host: "127.0.0.1",
      port,
      method: "POST",
      path: `/socket.io/?EIO=4&transport=polling&sid=${sid}`,
      headers: { "Transfer-Encoding": "chunked" },
    });
    first.on("error", () => {});
    const seen = once(t.http, "request");
    first.write("4partial");
    await seen;
    const second = await push(t, sid, "4second");
    expect(second.status).toBe(400);
    expect(JSON.parse(second.body)).toEqual({ code: 3, message: "Bad request" });
    expect(await rec.closed).toBe("transport error");
    expect(rec.messages).toEqual([]);
    first.destroy();
  });

  it("a GET aborted by the client closes the session with transport error", async () => {
    const t = await listen();
    const { sid, conn } = await pollingSession(t);
    const rec = record(conn);
    const closing = once<[string, unknown]>(conn, "close");
    const controller = new AbortController();
    const pending = poll(t, sid, { signal: controller.signal }).catch((e: unknown) => e);
    await getHeld(conn);
    controller.abort();
    await pending;
    expect(await rec.closed).toBe("transport error");
    expect((await closing)[1]).toMatchObject({ code: "SB_ERR_POLL_ABORTED" });
  });

  it("rejects polling requests for a session that upgraded (code 3)", async () => {
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    await connectClient(t.url);
    const [conn] = await connected;
    await until(() => conn.transport.name === "websocket");
    const res = await poll(t, conn.id);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).code).toBe(3);
    expect(conn.readyState).toBe("open");
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { type EngineConnection, PreparedMessage } from "../../src/engine/index.js";
import { closeAll, connectClient, listen, once, rawWebSocket, record, until } from "./helpers.js";

afterEach(closeAll);

describe("WebSocket with engine.io-client", () => {
  it("connects directly over WebSocket and exchanges text and binary both ways", async () => {
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const client = await connectClient(t.url, { transports: ["websocket"] });
    const [conn] = await connected;
    const rec = record(conn);
    expect(conn.transport.name).toBe("websocket");
    expect(conn.upgraded).toBe(false);

    client.send("hi");
    client.send(new Uint8Array([9, 8, 7]));
    await until(() => rec.messages.length === 2);
    expect(rec.messages[0]).toBe("hi");
    expect(rec.messages[1]).toEqual(Buffer.from([9, 8, 7]));

    const received: unknown[] = [];
    client.on("message", (d) => received.push(d));
    const prepared = new PreparedMessage("shared");
    conn.send([prepared, new Uint8Array([1, 2]), "ünïcode"]);
    conn.send([prepared]);
    await until(() => received.length === 4);
    expect(received[0]).toBe("shared");
    expect(new Uint8Array(received[1] as ArrayBuffer)).toEqual(new Uint8Array([1, 2]));
    expect(received.slice(2)).toEqual(["ünïcode", "shared"]);
  });

  it("delivers one prepared message to many sessions", async () => {
    const t = await listen();
    const conns: EngineConnection[] = [];
    t.engine.on("connection", (c: EngineConnection) => conns.push(c));
    const clients = await Promise.all(
      [0, 1, 2].map(() => connectClient(t.url, { transports: ["websocket"] })),
    );
    const got = clients.map((c) => once<[unknown]>(c, "message"));
    const prepared = new PreparedMessage(Buffer.from("bin"));
    for (const c of conns) c.send([prepared]);
    for (const [data] of await Promise.all(got)) {
      expect(Buffer.from(data as ArrayBuffer).toString()).toBe("bin");
    }
  });

  it("reports the client's close as transport close", async () => {
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const client = await connectClient(t.url, { transports: ["websocket"] });
    const rec = record((await connected)[0]);
    client.close();
    expect(await rec.closed).toBe("transport close");
    expect(t.engine.clientsCount).toBe(0);
  });

  it("conn.close() flushes queued messages before closing", async () => {
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const client = await connectClient(t.url, { transports: ["websocket"] });
    const [conn] = await connected;
    const rec = record(conn);
    const received: unknown[] = [];
    client.on("message", (d) => received.push(d));
    const clientClosed = once(client, "close");
    conn.send(["one", "two"]);
    conn.close();
    expect(await rec.closed).toBe("forced close");
    await clientClosed;
    expect(received).toEqual(["one", "two"]);
  });
});

describe("WebSocket, raw", () => {
  it("sends the open packet first, without upgrades", async () => {
    const t = await listen({ pingInterval: 1234 });
    const ws = await rawWebSocket(t);
    const open = await ws.next();
    expect(typeof open).toBe("string");
    const data = JSON.parse((open as string).slice(1));
    expect((open as string)[0]).toBe("0");
    expect(data).toMatchObject({ upgrades: [], pingInterval: 1234, pingTimeout: 20000 });
    expect(t.engine.clients.has(data.sid)).toBe(true);
  });

  it("sends text messages as '4…' text frames and binary as binary frames", async () => {
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const ws = await rawWebSocket(t);
    await ws.next();
    const [conn] = await connected;
    conn.send(["text", Buffer.from([1, 2, 3])]);
    expect(await ws.next()).toBe("4text");
    expect(await ws.next()).toEqual(Buffer.from([1, 2, 3]));
  });

  it("closes with parse error on a malformed frame; another session keeps working", async () => {
    const t = await listen();
    const conns: EngineConnection[] = [];
    t.engine.on("connection", (c: EngineConnection) => conns.push(c));
    const bad = await rawWebSocket(t);
    await bad.next();
    const good = await rawWebSocket(t);
    await good.next();
    const badRec = record(conns[0]!);
    const goodRec = record(conns[1]!);
    const badClosed = bad.closed;
    bad.ws.send("x-not-a-packet");
    expect(await badRec.closed).toBe("parse error");
    await badClosed;
    good.ws.send("4fine");
    await until(() => goodRec.messages.length === 1);
    expect(goodRec.messages).toEqual(["fine"]);
  });

  it("closes with parse error on an empty text frame", async () => {
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const ws = await rawWebSocket(t);
    await ws.next();
    const rec = record((await connected)[0]);
    ws.ws.send("");
    expect(await rec.closed).toBe("parse error");
  });

  it("accepts a second WebSocket for a session already on WebSocket (101), then closes it with 1008", async () => {
    // Spec "WebSocket": a second WebSocket of a session is closed, not refused.
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const ws = await rawWebSocket(t);
    const open = JSON.parse(((await ws.next()) as string).slice(1));
    const rec = record((await connected)[0]);
    const second = await rawWebSocket(t, `&sid=${open.sid}`);
    expect(await second.closed).toBe(1008);
    // The session itself is not affected.
    ws.ws.send("4still here");
    await until(() => rec.messages.length === 1);
    expect(rec.messages).toEqual(["still here"]);
  });
});

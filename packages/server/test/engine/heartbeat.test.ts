import { afterEach, describe, expect, it } from "vitest";
import type { EngineConnection } from "../../src/engine/index.js";
import {
  closeAll,
  connectClient,
  handshake,
  listen,
  once,
  poll,
  push,
  rawWebSocket,
  record,
} from "./helpers.js";

afterEach(closeAll);

describe("heartbeat", () => {
  // pingTimeout leaves room for a loaded machine between a ping's delivery and the pong
  // (60 ms failed under CI load: the pong's POST arrived after the session had closed).
  it("polling: pings every pingInterval, a pong keeps the session, silence closes with ping timeout", async () => {
    const t = await listen({ pingInterval: 40, pingTimeout: 800 });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const [conn] = await connected;
    const rec = record(conn);
    let heartbeats = 0;
    conn.on("heartbeat", () => heartbeats++);
    for (let i = 0; i < 3; i++) {
      expect(await poll(t, sid)).toEqual({ status: 200, body: "2" });
      expect(await push(t, sid, "3")).toEqual({ status: 200, body: "ok" });
    }
    expect(heartbeats).toBe(3);
    expect(conn.readyState).toBe("open");
    // The next ping goes unanswered.
    expect((await poll(t, sid)).body).toBe("2");
    expect(await rec.closed).toBe("ping timeout");
    expect(t.engine.clientsCount).toBe(0);
  });

  it("websocket: ping frames, pong answers, then ping timeout closes the WebSocket", async () => {
    const t = await listen({ pingInterval: 40, pingTimeout: 800 });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const ws = await rawWebSocket(t);
    await ws.next();
    const rec = record((await connected)[0]);
    for (let i = 0; i < 3; i++) {
      expect(await ws.next()).toBe("2");
      ws.ws.send("3");
    }
    expect(await ws.next()).toBe("2");
    expect(await rec.closed).toBe("ping timeout");
    await ws.closed;
  });

  it("engine.io-client answers pings and stays connected across many intervals", async () => {
    const t = await listen({ pingInterval: 20, pingTimeout: 500 });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const client = await connectClient(t.url);
    const [conn] = await connected;
    for (let i = 0; i < 5; i++) await once(conn, "heartbeat");
    expect(conn.readyState).toBe("open");
    expect(client.readyState).toBe("open");
  });

  it("a pong without a ping is ignored", async () => {
    const t = await listen({ pingInterval: 10_000 });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const [conn] = await connected;
    expect(await push(t, sid, "3\x1e3\x1e2\x1e6")).toEqual({ status: 200, body: "ok" });
    expect(conn.readyState).toBe("open");
  });
});

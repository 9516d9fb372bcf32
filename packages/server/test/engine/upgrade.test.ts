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
  refusedUpgrade,
  until,
} from "./helpers.js";

afterEach(closeAll);

/** Message i of a stream: every 7th is binary (4 bytes, big-endian i), the rest text. */
function item(i: number): string | Buffer {
  if (i % 7 === 3) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(i);
    return b;
  }
  return `m${i}`;
}

function indexOf(data: unknown): number {
  if (typeof data === "string") return Number(data.slice(1));
  return Buffer.from(data as ArrayBuffer).readUInt32BE(0);
}

describe("upgrade from polling to WebSocket", () => {
  it("loses, duplicates and reorders nothing with messages flowing both ways", async () => {
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const client = await connectClient(t.url);
    const [conn] = await connected;
    const rec = record(conn);
    expect(conn.transport.name).toBe("polling");
    const serverUpgraded = once(conn, "upgrade");
    const clientUpgraded = once(client, "upgrade");

    const received: unknown[] = [];
    client.on("message", (d) => received.push(d));

    // Both sides stream at once until the upgrade is done on their side, plus 200 messages.
    let serverSent = 0;
    let serverAfter = -1;
    let serverDuringUpgrade = 0;
    let upgrading = false;
    conn.on("upgrading", () => {
      upgrading = true;
    });
    conn.on("upgrade", () => {
      upgrading = false;
      serverAfter = 0;
    });
    let clientSent = 0;
    let clientAfter = -1;
    client.on("upgrade", () => {
      clientAfter = 0;
    });
    const serverPump = new Promise<void>((resolve) => {
      const pump = () => {
        conn.send([item(serverSent++)]);
        if (upgrading) serverDuringUpgrade++;
        if (serverAfter >= 0 && ++serverAfter >= 200) resolve();
        else setImmediate(pump);
      };
      pump();
    });
    const clientPump = new Promise<void>((resolve) => {
      const pump = () => {
        const m = item(clientSent++);
        client.send(typeof m === "string" ? m : new Uint8Array(m));
        if (clientAfter >= 0 && ++clientAfter >= 200) resolve();
        else setImmediate(pump);
      };
      pump();
    });
    await Promise.all([serverPump, clientPump]);
    await serverUpgraded;
    await clientUpgraded;
    expect(conn.upgraded).toBe(true);
    expect(conn.transport.name).toBe("websocket");
    expect(serverDuringUpgrade).toBeGreaterThan(0);

    await until(() => received.length === serverSent && rec.messages.length === clientSent, 15_000);
    expect(received.map(indexOf)).toEqual([...Array(serverSent).keys()]);
    expect(rec.messages.map(indexOf)).toEqual([...Array(clientSent).keys()]);
    expect(received.filter((d) => typeof d !== "string").length).toBeGreaterThan(0);
  });

  it("keeps messages sent concurrently with the probe in order (client streaming during upgrade)", async () => {
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const client = await connectClient(t.url);
    const [conn] = await connected;
    const rec = record(conn);
    let sent = 0;
    let done = false;
    client.on("upgrade", () => {
      done = true;
    });
    await new Promise<void>((resolve) => {
      const pump = () => {
        client.send(`m${sent++}`);
        if (done) resolve();
        else setImmediate(pump);
      };
      pump();
    });
    await until(() => rec.messages.length === sent, 15_000);
    expect(rec.messages.map(indexOf)).toEqual([...Array(sent).keys()]);
  });

  it("raw probe exchange: 2probe → 3probe, pending GET gets noop, 5 switches, queue flows on ws", async () => {
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const [conn] = await connected;
    const upgrading = once(conn, "upgrading");
    const pending = poll(t, sid);
    await until(() => holdsGet(conn));
    const ws = await rawWebSocket(t, `&sid=${sid}`);
    ws.ws.send("2probe");
    expect(await ws.next()).toBe("3probe");
    await upgrading;
    expect(await pending).toEqual({ status: 200, body: "6" });
    // Messages sent after the noop wait for the switch.
    conn.send(["queued"]);
    const upgraded = once(conn, "upgrade");
    ws.ws.send("5");
    await upgraded;
    expect(await ws.next()).toBe("4queued");
    expect(conn.upgraded).toBe(true);
  });

  it("a GET arriving after 3probe is answered at once with queued data", async () => {
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const [conn] = await connected;
    const ws = await rawWebSocket(t, `&sid=${sid}`);
    ws.ws.send("2probe");
    expect(await ws.next()).toBe("3probe");
    expect(await poll(t, sid)).toEqual({ status: 200, body: "6" });
    conn.send(["x"]);
    expect(await poll(t, sid)).toEqual({ status: 200, body: "4x" });
  });

  it("upgradeTimeout closes the probe; the session keeps working over polling", async () => {
    const t = await listen({ upgradeTimeout: 100 });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const rec = record((await connected)[0]);
    const ws = await rawWebSocket(t, `&sid=${sid}`);
    await ws.closed;
    expect(await push(t, sid, "4after")).toEqual({ status: 200, body: "ok" });
    expect(rec.messages).toEqual(["after"]);
  });

  it("an unexpected packet on the probe closes the probe only", async () => {
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const [conn] = await connected;
    const ws = await rawWebSocket(t, `&sid=${sid}`);
    const closed = ws.closed;
    ws.ws.send("4too early");
    await closed;
    expect(conn.readyState).toBe("open");
    expect(conn.transport.name).toBe("polling");
    // A new probe is accepted afterwards.
    const ws2 = await rawWebSocket(t, `&sid=${sid}`);
    ws2.ws.send("2probe");
    expect(await ws2.next()).toBe("3probe");
  });

  it("closes a second probe while one is in progress (101, then 1008); the first one upgrades", async () => {
    // Spec "WebSocket": one WebSocket per session; a second one is closed, not refused.
    const t = await listen();
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const [conn] = await connected;
    const first = await rawWebSocket(t, `&sid=${sid}`);
    const second = await rawWebSocket(t, `&sid=${sid}`);
    expect(await second.closed).toBe(1008);
    first.ws.send("2probe");
    expect(await first.next()).toBe("3probe");
    const upgraded = once(conn, "upgrade");
    first.ws.send("5");
    await upgraded;
    expect(conn.transport.name).toBe("websocket");
  });

  it("refuses probes when allowUpgrades is false and advertises no upgrades", async () => {
    const t = await listen({ allowUpgrades: false });
    const open = await handshake(t);
    expect(open.upgrades).toEqual([]);
    const res = await refusedUpgrade(t, `websocket&sid=${open.sid}`);
    expect(res.status).toBe(400);
  });
});

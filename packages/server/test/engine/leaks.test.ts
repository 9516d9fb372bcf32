import { afterEach, describe, expect, it } from "vitest";
import type { EngineConnection } from "../../src/engine/index.js";
import { engineStats } from "../../src/engine/internal.js";
import {
  closeAll,
  connectClient,
  handshake,
  listen,
  poll,
  push,
  rawWebSocket,
  type TestEngine,
  until,
} from "./helpers.js";

afterEach(closeAll);

const SESSIONS = 2000;
const BATCH = 50;

function liveTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

async function inBatches(count: number, run: (i: number) => Promise<void>): Promise<void> {
  for (let start = 0; start < count; start += BATCH) {
    const jobs: Promise<void>[] = [];
    for (let i = start; i < Math.min(count, start + BATCH); i++) jobs.push(run(i));
    await Promise.all(jobs);
  }
}

function collect(t: TestEngine): Map<string, EngineConnection> {
  const conns = new Map<string, EngineConnection>();
  t.engine.on("connection", (c: EngineConnection) => {
    conns.set(c.id, c);
    c.setHandler({ onMessage: () => {}, onClose: () => {} });
  });
  return conns;
}

function expectAllReleased(t: TestEngine, timeoutsBefore: number): void {
  expect(t.engine.clientsCount).toBe(0);
  expect(t.engine.clients.size).toBe(0);
  expect(engineStats.liveSessions).toBe(0);
  expect(engineStats.liveTimers).toBe(0);
  expect(liveTimeouts()).toBeLessThanOrEqual(timeoutsBefore);
}

describe("every session, timer and listener is released on close", () => {
  it(`${SESSIONS} polling sessions closed by the client, by conn.close() and by engine.close()`, async () => {
    const t = await listen();
    const conns = collect(t);
    const timeoutsBefore = liveTimeouts();
    const closeReasons = new Map<string, number>();
    await inBatches(SESSIONS, async (i) => {
      const { sid } = await handshake(t);
      const conn = conns.get(sid)!;
      conn.on("close", (reason: string) => {
        closeReasons.set(reason, (closeReasons.get(reason) ?? 0) + 1);
      });
      await push(t, sid, "4hello");
      if (i % 3 === 0) {
        await push(t, sid, "1");
      } else if (i % 3 === 1) {
        conn.send(["bye"]);
        conn.close();
        // The messages, then the close packet in the next response (never in one payload).
        expect((await poll(t, sid)).body).toBe("4bye");
        expect((await poll(t, sid)).body).toBe("1");
      }
      // i % 3 === 2: left open for engine.close()
    });
    expect(engineStats.liveSessions).toBe(Math.floor(SESSIONS / 3));
    expect(engineStats.liveTimers).toBe(Math.floor(SESSIONS / 3));
    t.engine.close();
    expectAllReleased(t, timeoutsBefore);
    expect(closeReasons.get("transport close")).toBe(Math.ceil(SESSIONS / 3));
    expect(closeReasons.get("forced close")).toBe(Math.ceil((SESSIONS - 1) / 3));
    expect(closeReasons.get("forced server close")).toBe(Math.floor(SESSIONS / 3));
  });

  it(`${SESSIONS} WebSocket sessions closed by the client and by conn.close()`, async () => {
    const t = await listen();
    const conns = collect(t);
    const timeoutsBefore = liveTimeouts();
    await inBatches(SESSIONS, async (i) => {
      const ws = await rawWebSocket(t);
      const open = JSON.parse(((await ws.next()) as string).slice(1));
      ws.ws.send("4hi");
      if (i % 2 === 0) ws.ws.close();
      else conns.get(open.sid)!.close();
      await ws.closed;
    });
    await until(() => t.engine.clientsCount === 0);
    expectAllReleased(t, timeoutsBefore);
  });

  it("200 upgraded sessions (engine.io-client) closed by the client", async () => {
    const t = await listen();
    collect(t);
    const timeoutsBefore = liveTimeouts();
    const clients = [];
    for (let i = 0; i < 200; i += 20) {
      clients.push(...(await Promise.all(Array.from({ length: 20 }, () => connectClient(t.url)))));
    }
    await until(() => [...t.engine.clients.values()].every((c) => c.upgraded), 15_000);
    for (const c of clients) c.close();
    await until(() => t.engine.clientsCount === 0);
    expectAllReleased(t, timeoutsBefore);
  });
});

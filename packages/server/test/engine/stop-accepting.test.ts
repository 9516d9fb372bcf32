import { afterEach, describe, expect, it } from "vitest";
import {
  type EngineConnection,
  type HandshakeError,
  HandshakeRefusal,
} from "../../src/engine/index.js";
import {
  closeAll,
  handshake,
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

const DRAINING_BODY = { code: 4, message: "Server shutting down" };

describe("engine.stopAccepting()", () => {
  it("answers polling and WebSocket handshakes 503 with a JSON body, as connection_error", async () => {
    const t = await listen();
    const refusals: HandshakeError[] = [];
    t.engine.on("connection_error", (err: HandshakeError) => refusals.push(err));
    expect(t.engine.accepting).toBe(true);
    t.engine.stopAccepting();
    expect(t.engine.accepting).toBe(false);

    const res = await fetch(`${t.base}polling`);
    expect(res.status).toBe(503);
    // The client's next attempt goes over a new connection (to another node, behind a balancer).
    expect(res.headers.get("connection")).toBe("close");
    expect(await res.json()).toEqual(DRAINING_BODY);
    expect(await refusedUpgrade(t, "websocket")).toEqual({
      status: 503,
      body: DRAINING_BODY,
    });
    expect(refusals.map((e) => [e.errorCode, e.code, e.status])).toEqual([
      [HandshakeRefusal.SERVER_DRAINING, 4, 503],
      [HandshakeRefusal.SERVER_DRAINING, 4, 503],
    ]);
    expect(t.engine.clientsCount).toBe(0);
  });

  it.each(["polling", "websocket"] as const)(
    "refuses a %s handshake whose middlewares were still running",
    async (transport) => {
      let release!: () => void;
      const t = await listen({}, (engine) =>
        engine.use((_req, _res, next) => {
          release = next;
        }),
      );
      const answer =
        transport === "polling"
          ? fetch(`${t.base}polling`).then(async (r) => ({
              status: r.status,
              body: await r.json(),
            }))
          : refusedUpgrade(t, "websocket");
      await until(() => release !== undefined);
      t.engine.stopAccepting();
      release();
      expect(await answer).toEqual({ status: 503, body: DRAINING_BODY });
      expect(t.engine.clientsCount).toBe(0);
    },
  );

  it("keeps serving live sessions: polling requests, WebSocket frames, an upgrade", async () => {
    const t = await listen();
    const conns: EngineConnection[] = [];
    t.engine.on("connection", (conn: EngineConnection) => conns.push(conn));
    const polling = await handshake(t);
    const toUpgrade = await handshake(t);
    const ws = await rawWebSocket(t);
    expect(String(await ws.next())).toMatch(/^0\{/);
    await until(() => conns.length === 3);
    const [pollingConn, upgradeConn, wsConn] = conns as [
      EngineConnection,
      EngineConnection,
      EngineConnection,
    ];
    const pollingSeen = record(pollingConn);
    const wsSeen = record(wsConn);

    t.engine.stopAccepting();

    expect(await push(t, polling.sid, "4hello")).toEqual({ status: 200, body: "ok" });
    pollingConn.send(["hi"]);
    expect(await poll(t, polling.sid)).toEqual({ status: 200, body: "4hi" });
    ws.ws.send("4over ws");
    wsConn.send(["back"]);
    expect(await ws.next()).toBe("4back");
    await until(() => pollingSeen.messages.length === 1 && wsSeen.messages.length === 1);
    expect(pollingSeen.messages).toEqual(["hello"]);
    expect(wsSeen.messages).toEqual(["over ws"]);

    // An upgrade is a live session's request, not a new session.
    const probe = await rawWebSocket(t, `&sid=${toUpgrade.sid}`);
    probe.ws.send("2probe");
    expect(await probe.next()).toBe("3probe");
    const upgraded = once(upgradeConn, "upgrade");
    probe.ws.send("5");
    await upgraded;
    expect(upgradeConn.transport.name).toBe("websocket");
    expect(t.engine.clientsCount).toBe(3);
  });
});

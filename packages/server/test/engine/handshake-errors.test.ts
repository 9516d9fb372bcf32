import { request as httpRequest, type IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import {
  type EngineServer,
  HandshakeError,
  HandshakeErrorCode,
  HandshakeRefusal,
  type HandshakeRefusalValue,
} from "../../src/engine/index.js";
import {
  closeAll,
  handshake,
  holdsGet,
  listen,
  once,
  poll,
  push,
  rawWebSocket,
  type TestEngine,
  until,
} from "./helpers.js";

// Issue 15: every refused request carries a stable SB_ERR_* code (`errorCode`) next to the
// numeric Engine.IO wire code (`code`, unchanged) and the HTTP status. Asserted on codes,
// never on message text.

afterEach(closeAll);

/** The errorCode, code and status of every `connection_error` of `t`. */
function refusals(
  t: TestEngine,
): { errorCode: HandshakeRefusalValue; code: number; status: number }[] {
  const out: { errorCode: HandshakeRefusalValue; code: number; status: number }[] = [];
  t.engine.on("connection_error", (e: HandshakeError) => {
    expect(e).toBeInstanceOf(HandshakeError);
    out.push({ errorCode: e.errorCode, code: e.code, status: e.status });
  });
  return out;
}

/** A raw HTTP request with any method (fetch refuses some). */
function rawRequest(url: string, method: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("HandshakeError codes", () => {
  it("maps every SB_ERR_* refusal to one wire code and its status (503 while draining, 429 over the handshake limit)", () => {
    const req = {} as ConstructorParameters<typeof HandshakeError>[1];
    const wire = new Set<number>(Object.values(HandshakeErrorCode));
    for (const refusal of Object.values(HandshakeRefusal)) {
      expect(refusal).toMatch(/^SB_ERR_[A-Z0-9_]+$/);
      const error = new HandshakeError(refusal, req);
      expect(error.errorCode).toBe(refusal);
      expect(wire.has(error.code)).toBe(true);
      if (refusal === HandshakeRefusal.SERVER_DRAINING) {
        expect([error.code, error.status, error.message]).toEqual([4, 503, "Server shutting down"]);
      } else if (refusal === HandshakeRefusal.HANDSHAKE_RATE_LIMITED) {
        expect([error.code, error.status, error.message]).toEqual([4, 429, "Too many handshakes"]);
      } else {
        expect(error.status).toBe(error.code === 4 ? 403 : 400);
      }
    }
  });

  it("gives a bare wire code its generic refusal (the constructor taking numbers still works)", () => {
    const req = {} as ConstructorParameters<typeof HandshakeError>[1];
    expect(new HandshakeError(HandshakeErrorCode.BAD_REQUEST, req)).toMatchObject({
      code: 3,
      errorCode: HandshakeRefusal.BAD_REQUEST,
      status: 400,
    });
    expect(new HandshakeError(4, req)).toMatchObject({
      code: 4,
      errorCode: HandshakeRefusal.REQUEST_REFUSED,
      status: 403,
    });
  });
});

describe("handshake refusals over HTTP", () => {
  it.each([
    ["?EIO=4&transport=carrier-pigeon", HandshakeRefusal.UNKNOWN_TRANSPORT, 0],
    ["?EIO=4&transport=polling&sid=nope", HandshakeRefusal.UNKNOWN_SID, 1],
    ["?EIO=5&transport=polling", HandshakeRefusal.UNSUPPORTED_PROTOCOL_VERSION, 5],
    ["?EIO=4&transport=websocket", HandshakeRefusal.BAD_REQUEST, 3],
  ] as const)("%s → %s", async (query, errorCode, code) => {
    const t = await listen();
    const errors = refusals(t);
    expect((await fetch(`${t.url}/socket.io/${query}`)).status).toBe(400);
    expect(errors).toEqual([{ errorCode, code, status: 400 }]);
  });

  it("a handshake that is not a GET: SB_ERR_BAD_HANDSHAKE_METHOD", async () => {
    const t = await listen();
    const errors = refusals(t);
    await fetch(`${t.base}polling`, { method: "POST", body: "x" });
    expect(errors.map((e) => e.errorCode)).toEqual([HandshakeRefusal.BAD_HANDSHAKE_METHOD]);
  });

  it("a second concurrent GET: SB_ERR_OVERLAPPING_REQUEST, then SB_ERR_UNKNOWN_SID", async () => {
    const t = await listen();
    const errors = refusals(t);
    const [conn] = await Promise.all([once(t.engine, "connection"), handshake(t)]);
    const sid = (conn[0] as { id: string }).id;
    const held = poll(t, sid);
    await until(() => holdsGet(t.engine.clients.get(sid)!));
    expect((await poll(t, sid)).status).toBe(400);
    await held;
    expect((await poll(t, sid)).status).toBe(400);
    expect(errors.map((e) => e.errorCode)).toEqual([
      HandshakeRefusal.OVERLAPPING_REQUEST,
      HandshakeRefusal.UNKNOWN_SID,
    ]);
  });

  it("a POST that does not decode: SB_ERR_BAD_PAYLOAD", async () => {
    const t = await listen();
    const errors = refusals(t);
    const { sid } = await handshake(t);
    expect((await push(t, sid, "9nonsense")).status).toBe(400);
    expect(errors.map((e) => e.errorCode)).toEqual([HandshakeRefusal.BAD_PAYLOAD]);
  });

  it("a polling request with another method: SB_ERR_BAD_POLLING_METHOD", async () => {
    const t = await listen();
    const errors = refusals(t);
    const { sid } = await handshake(t);
    expect(await rawRequest(`${t.base}polling&sid=${sid}`, "PUT")).toBe(400);
    expect(errors.map((e) => e.errorCode)).toEqual([HandshakeRefusal.BAD_POLLING_METHOD]);
  });

  it("polling after the upgrade: SB_ERR_TRANSPORT_MISMATCH", async () => {
    const t = await listen();
    const errors = refusals(t);
    const { sid } = await handshake(t);
    const probe = await rawWebSocket(t, `&sid=${sid}`);
    probe.ws.send("2probe");
    expect(await probe.next()).toBe("3probe");
    probe.ws.send("5");
    await until(() => t.engine.clients.get(sid)?.upgraded === true);
    expect((await poll(t, sid)).status).toBe(400);
    expect(errors.map((e) => e.errorCode)).toEqual([HandshakeRefusal.TRANSPORT_MISMATCH]);
  });

  it("an upgrade with allowUpgrades off: SB_ERR_UPGRADES_DISABLED", async () => {
    const t = await listen({ allowUpgrades: false });
    const errors = refusals(t);
    const { sid } = await handshake(t);
    const ws = new WebSocket(`${t.base.replace("http", "ws")}websocket&sid=${sid}`);
    ws.on("error", () => {});
    const [, res] = await once<[unknown, IncomingMessage]>(ws, "unexpected-response");
    expect(res.statusCode).toBe(400);
    res.destroy();
    expect(errors.map((e) => e.errorCode)).toEqual([HandshakeRefusal.UPGRADES_DISABLED]);
  });

  it("allowRequest, a middleware, an origin: SB_ERR_REQUEST_REFUSED, _MIDDLEWARE_FAILURE, _ORIGIN_NOT_ALLOWED (403)", async () => {
    const refused = await listen({ allowRequest: (_req, cb) => cb("no", false) });
    const middleware = await listen({}, (engine: EngineServer) => {
      engine.use((_req, _res, next) => next(new Error("no")));
    });
    const origin = await listen({ allowedOrigins: "https://app.example" });
    const errors = [refusals(refused), refusals(middleware), refusals(origin)];
    await fetch(`${refused.base}polling`);
    await fetch(`${middleware.base}polling`);
    await fetch(`${origin.base}polling`, { headers: { origin: "https://evil.example" } });
    expect(errors).toEqual([
      [{ errorCode: HandshakeRefusal.REQUEST_REFUSED, code: 4, status: 403 }],
      [{ errorCode: HandshakeRefusal.MIDDLEWARE_FAILURE, code: 4, status: 403 }],
      [{ errorCode: HandshakeRefusal.ORIGIN_NOT_ALLOWED, code: 4, status: 403 }],
    ]);
  });

  it("generateId: SB_ERR_DUPLICATE_SID, SB_ERR_ID_GENERATION", async () => {
    const same = await listen({}, (engine) => {
      engine.generateId = () => "same";
    });
    const failing = await listen({}, (engine) => {
      engine.generateId = () => Promise.reject(new Error("no id"));
    });
    const errors = [refusals(same), refusals(failing)];
    await handshake(same);
    await fetch(`${same.base}polling`);
    await fetch(`${failing.base}polling`);
    expect(errors.map((list) => list.map((e) => e.errorCode))).toEqual([
      [HandshakeRefusal.DUPLICATE_SID],
      [HandshakeRefusal.ID_GENERATION],
    ]);
  });

  it("allowEIO3: SB_ERR_JSONP_UNSUPPORTED, SB_ERR_PROTOCOL_MISMATCH", async () => {
    const t = await listen({ allowEIO3: true });
    const errors = refusals(t);
    await fetch(`${t.url}/socket.io/?EIO=3&transport=polling&j=0`);
    const { sid } = await handshake(t);
    await fetch(`${t.url}/socket.io/?EIO=3&transport=polling&sid=${sid}`);
    expect(errors.map((e) => e.errorCode)).toEqual([
      HandshakeRefusal.JSONP_UNSUPPORTED,
      HandshakeRefusal.PROTOCOL_MISMATCH,
    ]);
  });
});

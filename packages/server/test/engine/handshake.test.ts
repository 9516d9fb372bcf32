import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import session from "express-session";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import {
  type EngineConnection,
  EngineServer,
  type HandshakeError,
} from "../../src/engine/index.js";
import {
  closeAll,
  connectClient,
  handshake,
  listen,
  once,
  rawWebSocket,
  refusedUpgrade,
} from "./helpers.js";

afterEach(closeAll);

async function get(url: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text.startsWith("{") ? JSON.parse(text) : text };
}

describe("handshake error answers", () => {
  it.each([
    [
      "unknown transport",
      "?EIO=4&transport=carrier-pigeon",
      400,
      0,
      "Transport unknown",
      "SB_ERR_UNKNOWN_TRANSPORT",
    ],
    ["missing transport", "?EIO=4", 400, 0, "Transport unknown", "SB_ERR_UNKNOWN_TRANSPORT"],
    [
      "unknown sid",
      "?EIO=4&transport=polling&sid=nope",
      400,
      1,
      "Session ID unknown",
      "SB_ERR_UNKNOWN_SID",
    ],
    [
      "EIO 3",
      "?EIO=3&transport=polling",
      400,
      5,
      "Unsupported protocol version",
      "SB_ERR_UNSUPPORTED_PROTOCOL_VERSION",
    ],
    [
      "missing EIO",
      "?transport=polling",
      400,
      5,
      "Unsupported protocol version",
      "SB_ERR_UNSUPPORTED_PROTOCOL_VERSION",
    ],
    [
      "websocket without upgrade",
      "?EIO=4&transport=websocket",
      400,
      3,
      "Bad request",
      "SB_ERR_BAD_REQUEST",
    ],
  ])("%s", async (_name, query, status, code, message, errorCode) => {
    const t = await listen();
    const errors: HandshakeError[] = [];
    t.engine.on("connection_error", (e: HandshakeError) => errors.push(e));
    // The wire answer is engine.io's, message included; the error is checked by its codes.
    expect(await get(`${t.url}/socket.io/${query}`)).toEqual({ status, body: { code, message } });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code, errorCode, status });
    expect(errors[0]!.req.url).toBe(`/socket.io/${query}`);
  });

  it.each([
    ["percent-encoded values", "?EIO=%34&transport=pol%6Cing", 200],
    ["percent-encoded key", "?%45IO=4&transport=polling", 200],
    ["first occurrence wins", "?EIO=4&EIO=3&transport=polling&transport=x", 200],
    ["first occurrence wins (refused)", "?EIO=3&EIO=4&transport=polling", 400],
    ["one leading ? dropped, as URLSearchParams does", "??EIO=4&transport=polling", 200],
    ["plus decodes to a space", "?EIO=4&transport=polling+", 400],
    ["empty pairs and a bare key", "?&&EIO=4&&x&transport=polling&", 200],
    ["key prefix is not the key", "?EIOx=4&transport=polling", 400],
  ])("reads the query as URLSearchParams would: %s", async (_name, query, status) => {
    const t = await listen();
    expect((await get(`${t.url}/socket.io/${query}`)).status).toBe(status);
  });

  it("answers 400 code 2 to a handshake that is not a GET", async () => {
    const t = await listen();
    expect(await get(`${t.base}polling`, { method: "POST", body: "40" })).toEqual({
      status: 400,
      body: { code: 2, message: "Bad handshake method" },
    });
    expect(t.engine.clientsCount).toBe(0);
  });

  it("refuses a transport that is not enabled (code 0)", async () => {
    const t = await listen({ transports: ["websocket"] });
    expect((await get(`${t.base}polling`)).body).toEqual({ code: 0, message: "Transport unknown" });
  });

  it("answers 403 code 4 when allowRequest refuses, with its message", async () => {
    const t = await listen({
      allowRequest: (req, callback) =>
        callback(
          req.headers["x-token"] === "ok" ? null : "no token",
          req.headers["x-token"] === "ok",
        ),
    });
    const errors: HandshakeError[] = [];
    t.engine.on("connection_error", (e: HandshakeError) => errors.push(e));
    expect(await get(`${t.base}polling`)).toEqual({
      status: 403,
      body: { code: 4, message: "no token" },
    });
    expect(errors[0]).toMatchObject({
      code: 4,
      errorCode: "SB_ERR_REQUEST_REFUSED",
      context: { name: "FORBIDDEN" },
    });
    expect((await fetch(`${t.base}polling`, { headers: { "x-token": "ok" } })).status).toBe(200);
  });

  it("applies allowRequest to WebSocket handshakes (403) and answers ws errors as JSON", async () => {
    const t = await listen({ allowRequest: (_req, cb) => setImmediate(() => cb("nope", false)) });
    expect(await refusedUpgrade(t, "websocket")).toEqual({
      status: 403,
      body: { code: 4, message: "nope" },
    });
    const t2 = await listen();
    expect(await refusedUpgrade(t2, "websocket&sid=unknown")).toEqual({
      status: 400,
      body: { code: 1, message: "Session ID unknown" },
    });
    const ws = new WebSocket(
      `${t2.url.replace("http", "ws")}/socket.io/?EIO=3&transport=websocket`,
    );
    const [, res] = await once<[unknown, IncomingMessage]>(ws, "unexpected-response");
    expect(res.statusCode).toBe(400);
    res.destroy();
  });

  it("throws TypeError on invalid or contradictory options", () => {
    expect(() => new EngineServer({ transports: [] })).toThrow(TypeError);
    expect(() => new EngineServer({ pingInterval: -1 })).toThrow(TypeError);
    expect(() => new EngineServer({ maxHttpBufferSize: Number.NaN })).toThrow(TypeError);
    expect(() => new EngineServer({ cors: { origin: "*", credentials: true } })).toThrow(TypeError);
    expect(() => new EngineServer({ cookie: { sameSite: "none" } })).toThrow(TypeError);
    expect(() => new EngineServer({ path: "no-slash" })).toThrow(TypeError);
    expect(() => new EngineServer({ transports: ["carrier" as "polling"] })).toThrow(TypeError);
    expect(() => new EngineServer({ httpCompression: { threshold: -5 } })).toThrow(TypeError);
  });
});

describe("handshake hooks", () => {
  it("runs use() middlewares on handshakes only, in order; a failing one answers 403", async () => {
    const seen: string[] = [];
    const t = await listen({}, (engine) => {
      engine.use((req, res, next) => {
        seen.push(`a ${req.url}`);
        res.setHeader("X-Middleware", "yes");
        next();
      });
      engine.use((req, _res, next) => {
        seen.push("b");
        next(req.headers["x-deny"] ? new Error("denied") : undefined);
      });
    });
    const res = await fetch(`${t.base}polling`);
    expect(res.headers.get("x-middleware")).toBe("yes");
    const { sid } = JSON.parse((await res.text()).slice(1));
    expect(seen).toEqual(["a /socket.io/?EIO=4&transport=polling", "b"]);
    await fetch(`${t.base}polling&sid=${sid}`, { method: "POST", body: "4x" });
    expect(seen).toHaveLength(2);
    const denied = await get(`${t.base}polling`, { headers: { "x-deny": "1" } });
    expect(denied).toEqual({ status: 403, body: { code: 4, message: "Forbidden" } });
    await rawWebSocket(t);
    expect(seen.slice(-2)).toEqual(["a /socket.io/?EIO=4&transport=websocket", "b"]);
  });

  it("works with express-session as a middleware", async () => {
    const t = await listen({}, (engine) => {
      engine.use(session({ secret: "test secret", resave: false, saveUninitialized: true }));
    });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const res = await fetch(`${t.base}polling`);
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toMatch(/^connect\.sid=/);
    const [conn] = await connected;
    expect((conn.request as IncomingMessage & { session?: unknown }).session).toBeDefined();
  });

  it("uses an overridden generateId, sync or async", async () => {
    let n = 0;
    const t = await listen({}, (engine) => {
      engine.generateId = () => (n++ === 0 ? "custom-id" : Promise.resolve("async-id"));
    });
    expect((await handshake(t)).sid).toBe("custom-id");
    expect((await handshake(t)).sid).toBe("async-id");
    expect([...t.engine.clients.keys()]).toEqual(["custom-id", "async-id"]);
  });

  it("refuses a generated id that is already in use (code 3)", async () => {
    const t = await listen({}, (engine) => {
      engine.generateId = () => "same";
    });
    expect((await handshake(t)).sid).toBe("same");
    const errors: HandshakeError[] = [];
    t.engine.on("connection_error", (e: HandshakeError) => errors.push(e));
    expect(await get(`${t.base}polling`)).toEqual({
      status: 400,
      body: { code: 3, message: "Bad request" },
    });
    expect(errors[0]?.context).toEqual({ name: "DUPLICATE_SID" });
    expect(t.engine.clientsCount).toBe(1);
  });

  it("emits initial_headers on handshakes and headers on every answer, for both transports", async () => {
    const t = await listen({}, (engine) => {
      engine.on("initial_headers", (headers: Record<string, string>) => {
        headers["X-Initial"] = "1";
      });
      engine.on("headers", (headers: Record<string, string>) => {
        headers["X-Every"] = "1";
      });
    });
    const first = await fetch(`${t.base}polling`);
    expect(first.headers.get("x-initial")).toBe("1");
    expect(first.headers.get("x-every")).toBe("1");
    const { sid } = JSON.parse((await first.text()).slice(1));
    const post = await fetch(`${t.base}polling&sid=${sid}`, { method: "POST", body: "4x" });
    expect(post.headers.get("x-initial")).toBeNull();
    expect(post.headers.get("x-every")).toBe("1");
    const ws = new WebSocket(`${t.base.replace("http", "ws")}websocket`);
    ws.on("error", () => {});
    const [res] = await once<[IncomingMessage]>(ws, "upgrade");
    expect(res.headers["x-initial"]).toBe("1");
    expect(res.headers["x-every"]).toBe("1");
    ws.terminate();
  });
});

describe("attaching", () => {
  it("leaves other routes and other upgrade paths working", async () => {
    const other = new WebSocketServer({ noServer: true });
    const t = await listen({}, (_engine, http) => {
      http.on("upgrade", (req, socket, head) => {
        if (req.url === "/other")
          other.handleUpgrade(req, socket, head, (ws) => ws.send("other ws"));
      });
    });
    expect(await (await fetch(`${t.url}/elsewhere`)).text()).toBe("other route");
    const ws = new WebSocket(`${t.url.replace("http", "ws")}/other`);
    ws.on("error", () => {});
    const [data] = await once<[Buffer]>(ws, "message");
    expect(data.toString()).toBe("other ws");
    ws.terminate();
    other.close();
    await connectClient(t.url, { transports: ["websocket"] });
    expect(t.engine.clientsCount).toBe(1);
  });

  it("honours a custom path and listens on its own server", async () => {
    const engine = new EngineServer({ path: "/rt" });
    const http = engine.listen(0, "127.0.0.1");
    await once(http, "listening");
    const { port } = http.address() as AddressInfo;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/rt/?EIO=4&transport=polling`);
      expect((await res.text())[0]).toBe("0");
      expect(
        (await fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`)).status,
      ).toBe(404);
    } finally {
      engine.close();
      http.closeAllConnections();
    }
  });

  it("handleRequest and handleUpgrade can be wired by hand", async () => {
    const engine = new EngineServer();
    const http = createServer((req, res) => engine.handleRequest(req, res));
    http.on("upgrade", (req, socket, head) => engine.handleUpgrade(req, socket, head));
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    const { port } = http.address() as AddressInfo;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/anything?EIO=4&transport=polling`);
      expect((await res.text())[0]).toBe("0");
    } finally {
      engine.close();
      http.closeAllConnections();
      http.close();
    }
  });
});

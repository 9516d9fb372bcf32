import { get as httpGet, type IncomingMessage } from "node:http";
import { gunzipSync, inflateSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { EngineConnection } from "../../src/engine/index.js";
import { closeAll, handshake, listen, once, type TestEngine, until } from "./helpers.js";

afterEach(closeAll);

function preflight(t: TestEngine, origin: string, requestHeaders?: string): Promise<Response> {
  const headers: Record<string, string> = {
    Origin: origin,
    "Access-Control-Request-Method": "POST",
  };
  if (requestHeaders !== undefined) headers["Access-Control-Request-Headers"] = requestHeaders;
  return fetch(`${t.base}polling`, { method: "OPTIONS", headers });
}

/** Raw GET (no automatic decompression); resolves with the response and its raw body bytes. */
function rawGet(
  url: string,
  headers: Record<string, string | string[]>,
): Promise<[IncomingMessage, Buffer]> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve([res, Buffer.concat(chunks)]));
    }).on("error", reject);
  });
}

describe("CORS", () => {
  it("sends no CORS headers without the option; OPTIONS is then a bad handshake method", async () => {
    const t = await listen();
    const res = await fetch(`${t.base}polling`, { headers: { Origin: "https://a.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await preflight(t, "https://a.example");
    expect(pre.status).toBe(400);
    expect(await pre.json()).toEqual({ code: 2, message: "Bad handshake method" });
  });

  it("answers preflight with 204, methods and echoed request headers", async () => {
    const t = await listen({ cors: { origin: "https://a.example", maxAge: 600 } });
    const pre = await preflight(t, "https://a.example", "x-custom, content-type");
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://a.example");
    // The cors package's default, so that an app moving from socket.io answers the same.
    expect(pre.headers.get("access-control-allow-methods")).toBe("GET,HEAD,PUT,PATCH,POST,DELETE");
    expect(pre.headers.get("access-control-allow-headers")).toBe("x-custom, content-type");
    expect(pre.headers.get("access-control-max-age")).toBe("600");
    expect(t.engine.clientsCount).toBe(0);
  });

  it("uses configured methods and allowedHeaders, and credentials", async () => {
    const t = await listen({
      cors: {
        origin: ["https://a.example", /\.b\.example$/],
        credentials: true,
        methods: ["GET", "POST", "OPTIONS"],
        allowedHeaders: ["authorization"],
      },
    });
    const pre = await preflight(t, "https://x.b.example", "x-other");
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://x.b.example");
    expect(pre.headers.get("access-control-allow-credentials")).toBe("true");
    expect(pre.headers.get("access-control-allow-methods")).toBe("GET,POST,OPTIONS");
    expect(pre.headers.get("access-control-allow-headers")).toBe("authorization");
    expect(pre.headers.get("vary")).toContain("Origin");
    const res = await fetch(`${t.base}polling`, { headers: { Origin: "https://a.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("https://a.example");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect((await res.text())[0]).toBe("0");
  });

  it("leaves out Allow-Origin for an origin that does not match", async () => {
    const t = await listen({ cors: { origin: /^https:\/\/good\./ } });
    const res = await fetch(`${t.base}polling`, { headers: { Origin: "https://evil.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await preflight(t, "https://evil.example");
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-methods")).toBeNull();
  });

  it("asks an origin function (async) and applies CORS to every polling answer", async () => {
    const asked: Array<string | undefined> = [];
    const t = await listen({
      cors: {
        origin: (origin, cb) => {
          asked.push(origin);
          setImmediate(() => cb(null, origin === "https://fn.example"));
        },
      },
    });
    const headers = { Origin: "https://fn.example" };
    const res = await fetch(`${t.base}polling`, { headers });
    expect(res.headers.get("access-control-allow-origin")).toBe("https://fn.example");
    const { sid } = JSON.parse((await res.text()).slice(1));
    const post = await fetch(`${t.base}polling&sid=${sid}`, {
      method: "POST",
      body: "4x",
      headers,
    });
    expect(post.headers.get("access-control-allow-origin")).toBe("https://fn.example");
    expect(asked).toEqual(["https://fn.example", "https://fn.example"]);
  });

  it('origin "*" answers with a wildcard', async () => {
    const t = await listen({ cors: { origin: "*" } });
    const res = await fetch(`${t.base}polling`, { headers: { Origin: "https://any.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("cookie", () => {
  it("is off by default", async () => {
    const t = await listen();
    expect((await fetch(`${t.base}polling`)).headers.get("set-cookie")).toBeNull();
  });

  it("cookie: true sets io=<sid> on the polling handshake only", async () => {
    const t = await listen({ cookie: true });
    const res = await fetch(`${t.base}polling`);
    const { sid } = JSON.parse((await res.text()).slice(1));
    expect(res.headers.get("set-cookie")).toBe(`io=${sid}; Path=/; HttpOnly; SameSite=Lax`);
    const post = await fetch(`${t.base}polling&sid=${sid}`, { method: "POST", body: "4x" });
    expect(post.headers.get("set-cookie")).toBeNull();
  });

  it("takes cookie options and sets the cookie on WebSocket handshakes too", async () => {
    const t = await listen({
      cookie: { name: "sb", path: "/app", httpOnly: false, sameSite: "strict", maxAge: 60 },
    });
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const ws = new WebSocket(`${t.base.replace("http", "ws")}websocket`);
    ws.on("error", () => {});
    const [res] = await once<[IncomingMessage]>(ws, "upgrade");
    const [conn] = await connected;
    expect(res.headers["set-cookie"]).toEqual([
      `sb=${conn.id}; Max-Age=60; Path=/app; SameSite=Strict`,
    ]);
    ws.terminate();
  });
});

describe("httpCompression of polling answers", () => {
  /** A polling session with `messages` queued for its next GET. */
  async function sessionWith(
    t: TestEngine,
    messages: (string | Buffer)[],
  ): Promise<{ sid: string; conn: EngineConnection }> {
    const connected = once<[EngineConnection]>(t.engine, "connection");
    const { sid } = await handshake(t);
    const [conn] = await connected;
    conn.send(messages);
    await until(() => conn.bufferedBytes > 0);
    return { sid, conn };
  }

  async function bigPoll(t: TestEngine, encoding: string): Promise<[IncomingMessage, Buffer]> {
    const { sid } = await sessionWith(t, ["y".repeat(5000)]);
    return rawGet(`${t.base}polling&sid=${sid}`, { "Accept-Encoding": encoding });
  }

  it("gzips answers above the threshold when accepted", async () => {
    const t = await listen();
    const [res, body] = await bigPoll(t, "gzip, deflate");
    expect(res.headers["content-encoding"]).toBe("gzip");
    expect(res.headers.vary).toBe("Accept-Encoding");
    expect(body.length).toBeLessThan(5000);
    expect(gunzipSync(body).toString()).toBe(`4${"y".repeat(5000)}`);
  });

  it("a compressed answer leaves the next plain answers' headers alone; multi-byte lengths", async () => {
    const t = await listen();
    const { sid, conn } = await sessionWith(t, ["y".repeat(5000)]);
    const [gz] = await rawGet(`${t.base}polling&sid=${sid}`, { "Accept-Encoding": "gzip" });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    for (const text of ["small", "€".repeat(400), "€".repeat(300)]) {
      conn.send([text]);
      await until(() => conn.bufferedBytes > 0);
      const [res, body] = await rawGet(`${t.base}polling&sid=${sid}`, {
        "Accept-Encoding": "gzip",
      });
      const compressed = res.headers["content-encoding"] === "gzip";
      // 400 euro signs are 1201 bytes (over the 1024 threshold), 300 are 901 (under it).
      expect(compressed).toBe(text.length === 400);
      if (!compressed) expect(res.headers.vary).toBeUndefined();
      expect((compressed ? gunzipSync(body) : body).toString()).toBe(`4${text}`);
      expect(res.headers["content-length"]).toBe(String(body.length));
    }
  });

  it("Content-Length of a many-message answer: multi-byte text, lone surrogates, binary", async () => {
    for (const options of [{ httpCompression: false as const }, {}]) {
      const t = await listen(options);
      const texts = ["plain", "€uro", "😀 astral", "lone \ud800 high", "\udc00 lone low", ""];
      const binaries = [0, 1, 2, 3, 4, 5, 3000].map((n) => Buffer.alloc(n, n));
      const { sid } = await sessionWith(t, [...texts, ...binaries, "x".repeat(2000)]);
      // "identity": over the threshold, but not compressed; the length is still exact.
      const [res, body] = await rawGet(`${t.base}polling&sid=${sid}`, {
        "Accept-Encoding": "identity",
      });
      expect(res.headers["content-encoding"]).toBeUndefined();
      expect(res.headers["content-length"]).toBe(String(body.length));
      const expected = [
        ...texts.map((text) => `4${text}`),
        ...binaries.map((b) => `b${b.toString("base64")}`),
        `4${"x".repeat(2000)}`,
      ].join("\x1e");
      expect(body).toEqual(Buffer.from(expected, "utf8"));
    }
  });

  it("reads repeated Accept-Encoding fields together, as one list", async () => {
    const t = await listen();
    const { sid } = await sessionWith(t, ["y".repeat(5000)]);
    const [res, body] = await rawGet(`${t.base}polling&sid=${sid}`, {
      "Accept-Encoding": ["identity", "gzip;q=0.5"],
    });
    expect(res.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(body).toString()).toBe(`4${"y".repeat(5000)}`);
  });

  it("uses deflate when only deflate is accepted", async () => {
    const t = await listen();
    const [res, body] = await bigPoll(t, "deflate");
    expect(res.headers["content-encoding"]).toBe("deflate");
    expect(inflateSync(body).toString()).toBe(`4${"y".repeat(5000)}`);
  });

  it("leaves small answers, unaccepting clients and disabled compression alone", async () => {
    const t = await listen({ httpCompression: { threshold: 10_000 } });
    const [res] = await bigPoll(t, "gzip");
    expect(res.headers["content-encoding"]).toBeUndefined();
    const t2 = await listen();
    const [res2, body2] = await bigPoll(t2, "identity");
    expect(res2.headers["content-encoding"]).toBeUndefined();
    expect(body2.length).toBe(5001);
    const t3 = await listen({ httpCompression: false });
    const [res3] = await bigPoll(t3, "gzip");
    expect(res3.headers["content-encoding"]).toBeUndefined();
  });
});

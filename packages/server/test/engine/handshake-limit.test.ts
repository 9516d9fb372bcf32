import { request } from "node:http";
import { io as sbio } from "@switchboard/client";
import { HandshakeRefusal, Server } from "@switchboard/server";
import { io as ioc } from "socket.io-client";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { listen, onCleanup } from "../socket/helpers.js";

/**
 * Issue 18 part 3: handshakes per client (IP) are limited with a token bucket; a refused
 * one gets 429 with the engine error JSON and Retry-After, live sessions are not counted,
 * other clients are not affected, and the bucket table is bounded.
 */
function handshake(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; retry: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/socket.io/?EIO=4&transport=polling`, { headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          retry: res.headers["retry-after"] as string | undefined,
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

describe("handshakeRateLimit", () => {
  it("refuses handshakes over the limit with 429, per key, polling and websocket", async () => {
    const { io, url } = await listen({
      handshakeRateLimit: {
        points: 3,
        duration: 60_000,
        key: (req) => String(req.headers["x-client"] ?? "none"),
      },
    });
    const errors: string[] = [];
    io.engine.on("connection_error", (err: { errorCode: string }) => errors.push(err.errorCode));
    for (let i = 0; i < 3; i++)
      expect((await handshake(url, { "x-client": "a" })).status).toBe(200);
    const refused = await handshake(url, { "x-client": "a" });
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toEqual({ code: 4, message: "Too many handshakes" });
    expect(Number(refused.retry)).toBeGreaterThanOrEqual(1);
    expect(errors).toEqual([HandshakeRefusal.HANDSHAKE_RATE_LIMITED]);
    // Another client is not affected.
    expect((await handshake(url, { "x-client": "b" })).status).toBe(200);
    // A WebSocket handshake of the limited client is refused too.
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(
        `${url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`,
        {
          headers: { "x-client": "a" },
        },
      );
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => resolve(101));
      ws.on("error", () => {});
    });
    expect(status).toBe(429);
    expect(io.engine.handshakeRateLimitKeys).toBe(2);
  });

  it("counts only new sessions: a connected client's traffic and upgrade are not limited (both clients)", async () => {
    const { io, url } = await listen({ handshakeRateLimit: { points: 2, duration: 60_000 } });
    io.on("connection", (socket) =>
      socket.on("echo", (v: unknown, cb: (v: unknown) => void) => cb(v)),
    );
    const a = ioc(url, { forceNew: true, reconnection: false });
    const b = sbio(url, { forceNew: true, reconnection: false });
    onCleanup(() => {
      a.disconnect();
      b.disconnect();
    });
    for (const socket of [a, b] as { emitWithAck(ev: string, v: unknown): Promise<unknown> }[]) {
      for (let i = 0; i < 20; i++) expect(await socket.emitWithAck("echo", i)).toBe(i);
    }
    const third = ioc(url, { forceNew: true, reconnection: false });
    onCleanup(() => third.disconnect());
    const err = await new Promise<Error>((resolve) => third.once("connect_error", resolve));
    expect(err.message).toMatch(/xhr poll error|429|websocket error/i);
    expect(a.connected && b.connected).toBe(true);
  });

  it("refills over time, and the table of keys stays bounded (maxKeys, fail open)", async () => {
    const { io, url } = await listen({
      handshakeRateLimit: {
        points: 1,
        duration: 300,
        maxKeys: 5,
        key: (req) => String(req.headers["x-client"]),
      },
    });
    expect((await handshake(url, { "x-client": "a" })).status).toBe(200);
    expect((await handshake(url, { "x-client": "a" })).status).toBe(429);
    await new Promise((r) => setTimeout(r, 350));
    expect((await handshake(url, { "x-client": "a" })).status).toBe(200);
    for (let i = 0; i < 20; i++) {
      expect((await handshake(url, { "x-client": `k${i}` })).status).toBe(200);
    }
    expect(io.engine.handshakeRateLimitKeys).toBeLessThanOrEqual(5);
  });

  it("rejects invalid options", () => {
    expect(() => new Server({ handshakeRateLimit: { points: 0, duration: 1000 } })).toThrow(
      TypeError,
    );
    expect(() => new Server({ handshakeRateLimit: { points: 1, duration: -1 } })).toThrow(
      TypeError,
    );
  });
});

import { SocketErrorCode } from "@switchboard/server";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { listen } from "../socket/helpers.js";
import { CLIENTS, ready } from "./clients.js";

/**
 * Issue 18: schema tables and rate limits set on a parent namespace (`io.of(/regex/)`)
 * apply to its dynamic children — set before or after a child exists — until a child sets
 * its own; `io.validate` / `io.rateLimit` act on the main namespace.
 */
describe.each(CLIENTS)("inherited guards with $name", (client) => {
  it("a dynamic child namespace uses its parent's schemas, also ones added after it was created", async () => {
    const { io, url } = await listen();
    const rooms = io.of(/^\/room-\d+$/);
    rooms.validate({ say: z.string().max(5) });
    rooms.on("connection", (socket) => {
      socket.on("say", (text: string, ack: (v: unknown) => void) => ack(`ok:${text}`));
      socket.on("shout", (text: unknown, ack: (v: unknown) => void) => ack(`ok:${String(text)}`));
    });
    const socket = await ready(client.connect(`${url}/room-1`));
    expect(await socket.timeout(4000).emitWithAck("say", "hi")).toBe("ok:hi");
    const refused = (await socket.timeout(4000).emitWithAck("say", "far too long")) as {
      error: { code: string };
    };
    expect(refused.error.code).toBe(SocketErrorCode.VALIDATION);
    // Added on the parent after the child exists: the child follows.
    expect(await socket.timeout(4000).emitWithAck("shout", 42)).toBe("ok:42");
    rooms.validate({ shout: z.string() });
    const late = (await socket.timeout(4000).emitWithAck("shout", 42)) as {
      error: { code: string };
    };
    expect(late.error.code).toBe(SocketErrorCode.VALIDATION);
  });

  it("a dynamic child namespace uses its parent's rate limit until it sets its own", async () => {
    const { io, url } = await listen();
    const rooms = io.of(/^\/limited-\d+$/);
    rooms.rateLimit({ points: 2, duration: 60_000 });
    rooms.on("connection", (socket) => {
      socket.on("ping", (ack: (v: unknown) => void) => ack("pong"));
    });
    const socket = await ready(client.connect(`${url}/limited-1`));
    expect(await socket.timeout(4000).emitWithAck("ping")).toBe("pong");
    expect(await socket.timeout(4000).emitWithAck("ping")).toBe("pong");
    const limited = (await socket.timeout(4000).emitWithAck("ping")) as { error: { code: string } };
    expect(limited.error.code).toBe(SocketErrorCode.RATE_LIMITED);
    // The child turns limiting off for itself; the parent keeps its limit.
    const child = [...rooms.children][0];
    child?.rateLimit(false);
    expect(await socket.timeout(4000).emitWithAck("ping")).toBe("pong");
    const other = await ready(client.connect(`${url}/limited-2`));
    expect(await other.timeout(4000).emitWithAck("ping")).toBe("pong");
    expect(await other.timeout(4000).emitWithAck("ping")).toBe("pong");
    const second = (await other.timeout(4000).emitWithAck("ping")) as { error: { code: string } };
    expect(second.error.code).toBe(SocketErrorCode.RATE_LIMITED);
  });

  it("io.validate and io.rateLimit act on the main namespace, with inferred types", async () => {
    const { io, url } = await listen();
    const server = io
      .validate({ note: z.object({ text: z.string() }) })
      .rateLimit({ points: 100, duration: 1000 });
    server.on("connection", (socket) => {
      socket.on("note", (value, ack) => {
        expectTypeOf(value).toEqualTypeOf<{ text: string }>();
        (ack as (v: unknown) => void)(value.text);
      });
    });
    const socket = await ready(client.connect(url));
    expect(await socket.timeout(4000).emitWithAck("note", { text: "x" })).toBe("x");
    const refused = (await socket.timeout(4000).emitWithAck("note", { text: 1 })) as {
      error: { code: string };
    };
    expect(refused.error.code).toBe(SocketErrorCode.VALIDATION);
  });
});

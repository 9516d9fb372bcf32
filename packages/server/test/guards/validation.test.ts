import { io as sbio } from "@switchboard/client";
import type { StandardSchemaV1 } from "@switchboard/server";
import { SocketErrorCode } from "@switchboard/server";
import { type } from "arktype";
import * as v from "valibot";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { listen, onCleanup } from "../socket/helpers.js";
import { CLIENTS, nextError, ready } from "./clients.js";

/**
 * Validated events (issue 18 part 2) with the three Standard Schema libraries, over real
 * sockets, with both clients. Each schema trims its string: the handler seeing the trimmed
 * value proves it gets the schema's output, not the raw payload.
 */
const LIBRARIES: { name: string; message: StandardSchemaV1; text: StandardSchemaV1 }[] = [
  {
    name: "zod",
    message: z.object({ text: z.string().trim().min(1), room: z.number().int() }),
    text: z.string().trim(),
  },
  {
    name: "valibot",
    message: v.object({
      text: v.pipe(v.string(), v.trim(), v.minLength(1)),
      room: v.pipe(v.number(), v.integer()),
    }),
    text: v.pipe(v.string(), v.trim()),
  },
  {
    name: "arktype",
    message: type({
      text: type("string")
        .pipe((s) => s.trim())
        .to("string > 0"),
      room: "number.integer",
    }),
    text: type("string").pipe((s) => s.trim()),
  },
];

interface Refusal {
  code: string;
  event: string;
  issues?: { message: string; path?: (string | number)[] }[];
}

describe.each(CLIENTS)("validated events with $name", (client) => {
  describe.each(LIBRARIES)("$name schemas", (lib) => {
    it("hands the parsed value to the handler and refuses invalid payloads with SB_ERR_VALIDATION", async () => {
      const { io, url } = await listen();
      const seen: unknown[] = [];
      io.of("/")
        .validate({ message: lib.message })
        .on("connection", (socket) => {
          socket.on("message", (value, ack) => {
            seen.push(value);
            ack?.("stored");
          });
        });
      const socket = await ready(client.connect(url));
      expect(await socket.timeout(4000).emitWithAck("message", { text: "  hi  ", room: 2 })).toBe(
        "stored",
      );
      const refused = (await socket
        .timeout(4000)
        .emitWithAck("message", { text: "x", room: 1.5 })) as { error: Refusal };
      expect(refused.error.code).toBe(SocketErrorCode.VALIDATION);
      expect(refused.error.event).toBe("message");
      expect(refused.error.issues?.[0]?.path).toEqual(["room"]);
      expect(typeof refused.error.issues?.[0]?.message).toBe("string");
      // no ack: an `error` event with the same object
      const error = nextError(socket);
      socket.emit("message", "not an object");
      expect(((await error) as Refusal).code).toBe(SocketErrorCode.VALIDATION);
      expect(seen).toEqual([{ text: "hi", room: 2 }]);
    });

    it("validates a listener's payload with socket.on(event, schema, handler)", async () => {
      const { io, url } = await listen();
      const seen: unknown[] = [];
      io.on("connection", (socket) => {
        socket.on("say", lib.text, (text, ack) => {
          seen.push(text);
          ack(`got ${String(text)}`);
        });
      });
      const socket = await ready(client.connect(url));
      expect(await socket.timeout(4000).emitWithAck("say", "  yo ")).toBe("got yo");
      const refused = (await socket.timeout(4000).emitWithAck("say", 42)) as { error: Refusal };
      expect(refused.error.code).toBe(SocketErrorCode.VALIDATION);
      expect(seen).toEqual(["yo"]);
    });
  });
});

describe("validated events: details", () => {
  const connectSb = CLIENTS[0].connect;

  it("removes a validated listener with off(event, handler)", async () => {
    const { io, url } = await listen();
    const calls: unknown[] = [];
    const handler = (text: string) => calls.push(text);
    const removed = new Promise<void>((resolve) => {
      io.on("connection", (socket) => {
        socket.on("say", z.string(), handler);
        socket.on("stop", (ack: () => void) => {
          socket.off("say", handler);
          expect(socket.listenerCount("say")).toBe(0);
          ack();
          resolve();
        });
        socket.on("probe", (ack: (n: number) => void) => ack(calls.length));
      });
    });
    const socket = await ready(connectSb(url));
    socket.emit("say", "one");
    await socket.timeout(4000).emitWithAck("stop");
    await removed;
    socket.emit("say", "two");
    expect(await socket.timeout(4000).emitWithAck("probe")).toBe(1);
  });

  it("runs async schemas, and refuses with SB_ERR_VALIDATION_TIMEOUT past validationTimeout", async () => {
    const { io, url } = await listen({ validationTimeout: 100 });
    const never: StandardSchemaV1<string> = {
      "~standard": { version: 1, vendor: "test", validate: () => new Promise(() => {}) },
    };
    const seen: unknown[] = [];
    io.of("/")
      .validate({
        name: z.string().refine(async (s) => s !== "taken", "name taken"),
        stuck: never,
      })
      .on("connection", (socket) => {
        socket.on("name", (name, ack) => {
          seen.push(name);
          ack("ok");
        });
        socket.on("stuck", () => seen.push("stuck"));
      });
    const socket = await ready(connectSb(url));
    expect(await socket.timeout(4000).emitWithAck("name", "free")).toBe("ok");
    const taken = (await socket.timeout(4000).emitWithAck("name", "taken")) as { error: Refusal };
    expect(taken.error.code).toBe(SocketErrorCode.VALIDATION);
    expect(taken.error.issues?.[0]?.message).toBe("name taken");
    const stuck = (await socket.timeout(4000).emitWithAck("stuck", "x")) as { error: Refusal };
    expect(stuck.error.code).toBe(SocketErrorCode.VALIDATION_TIMEOUT);
    expect(seen).toEqual(["free"]);
  });

  it("checks ack answers with an `ack` schema: an invalid answer becomes SB_ERR_ACK_VALIDATION", async () => {
    const { io, url } = await listen();
    const serverErrors: unknown[] = [];
    io.of("/")
      .validate({ lookup: { payload: z.string(), ack: z.object({ id: z.number() }) } })
      .on("connection", (socket) => {
        socket.on("error", (err) => serverErrors.push((err as { code?: string }).code));
        socket.on("lookup", (key, ack) => {
          // typed from the ack schema: { id: number }
          ack(key === "bad" ? ({ id: "nope" } as unknown as { id: number }) : { id: key.length });
        });
      });
    const socket = await ready(connectSb(url));
    expect(await socket.timeout(4000).emitWithAck("lookup", "abc")).toEqual({ id: 3 });
    const bad = (await socket.timeout(4000).emitWithAck("lookup", "bad")) as { error: Refusal };
    expect(bad.error).toEqual({ code: SocketErrorCode.ACK_VALIDATION, event: "lookup" });
    expect(serverErrors).toEqual([SocketErrorCode.ACK_VALIDATION]);
  });

  it("refuses before socket.use middlewares and onAny listeners see the event", async () => {
    const { io, url } = await listen();
    const seen: string[] = [];
    io.of("/")
      .validate({ n: z.number() })
      .on("connection", (socket) => {
        socket.onAny((event) => seen.push(`any:${event}`));
        socket.use(([event], next) => {
          seen.push(`use:${event}`);
          next();
        });
        socket.on("n", (_n, ack) => ack(seen.length));
      });
    const socket = await ready(connectSb(url));
    await socket.timeout(4000).emitWithAck("n", "not a number");
    expect(await socket.timeout(4000).emitWithAck("n", 1)).toBe(2);
    expect(seen).toEqual(["any:n", "use:n"]);
  });

  it("reports a schema that throws to the client (SB_ERR_VALIDATION) and to the socket's error listener", async () => {
    const { io, url } = await listen();
    const throwing: StandardSchemaV1 = {
      "~standard": {
        version: 1,
        vendor: "test",
        validate: () => {
          throw new Error("boom");
        },
      },
    };
    const serverError = new Promise<unknown>((resolve) => {
      io.of("/")
        .validate({ x: throwing })
        .on("connection", (socket) => socket.on("error", resolve));
    });
    const socket = await ready(connectSb(url));
    const answer = (await socket.timeout(4000).emitWithAck("x", 1)) as { error: Refusal };
    expect(answer.error.code).toBe(SocketErrorCode.VALIDATION);
    expect((await serverError) as { code: string }).toMatchObject({
      code: SocketErrorCode.VALIDATION,
    });
  });

  it("throws SB_ERR_INVALID_OPTION for a table entry or listener schema that is not a Standard Schema", async () => {
    const { io } = await listen();
    expect(() => io.of("/").validate({ x: {} as StandardSchemaV1 })).toThrow(
      expect.objectContaining({ code: SocketErrorCode.INVALID_OPTION }),
    );
    expect(() => io.of("/").validate({ x: { payload: 1 } as never })).toThrow(
      expect.objectContaining({ code: SocketErrorCode.INVALID_OPTION }),
    );
  });

  it("validates server events on @switchboard/client with socket.on(event, schema, handler)", async () => {
    const { io, url } = await listen();
    const answers = new Promise<unknown[]>((resolve) => {
      io.on("connection", async (socket) => {
        const good = await socket.timeout(4000).emitWithAck("price", { symbol: "X", value: 1 });
        const bad = await socket.timeout(4000).emitWithAck("price", { symbol: "X", value: "1" });
        resolve([good, bad]);
      });
    });
    const socket = sbio(url, { transports: ["websocket"], forceNew: true, reconnection: false });
    onCleanup(() => socket.disconnect());
    const seen: { symbol: string; value: number }[] = [];
    socket.on("price", z.object({ symbol: z.string(), value: z.number() }), (price, ack) => {
      expectTypeOf(price).toEqualTypeOf<{ symbol: string; value: number }>();
      seen.push(price);
      ack("ok");
    });
    const [good, bad] = await answers;
    expect(good).toBe("ok");
    expect((bad as { error: Refusal }).error).toMatchObject({
      code: "SB_ERR_VALIDATION",
      event: "price",
      issues: [{ path: ["value"] }],
    });
    expect(seen).toEqual([{ symbol: "X", value: 1 }]);
  });

  it("works over polling with the official client", async () => {
    const { io, url } = await listen();
    io.of("/")
      .validate({ n: v.number() })
      .on("connection", (socket) => socket.on("n", (n, ack) => ack(n + 1)));
    const socket = await ready(CLIENTS[1].connect(url, { transports: ["polling"] }));
    expect(await socket.timeout(4000).emitWithAck("n", 1)).toBe(2);
    const error = nextError(socket);
    socket.emit("n", "1");
    expect(((await error) as Refusal).code).toBe(SocketErrorCode.VALIDATION);
  });
});

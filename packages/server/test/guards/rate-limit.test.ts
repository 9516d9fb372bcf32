import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Server, type Socket, SocketErrorCode } from "@switchboard/server";
import { TestClient } from "@switchboard/server/testing";
import { describe, expect, it } from "vitest";
import { listen, onCleanup, once } from "../socket/helpers.js";
import { CLIENTS, nextError, ready } from "./clients.js";

/**
 * Rate limits (issue 18 part 3) over real sockets. Buckets refill over a minute, so a
 * test's burst never sees a refill: outcomes depend on counts, not on timing.
 */
const MINUTE = 60_000;

interface Refusal {
  code: string;
  event: string;
  retryAfter: number;
}

describe.each(CLIENTS)("rate limits with $name", (client) => {
  it("lets `points` events through, then refuses with SB_ERR_RATE_LIMITED in the ack or an error event", async () => {
    const { io, url } = await listen({ rateLimit: { points: 3, duration: MINUTE } });
    let handled = 0;
    io.on("connection", (socket) =>
      socket.on("hit", (ack?: (n: number) => void) => ack?.(++handled)),
    );
    const socket = await ready(client.connect(url));
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await socket.timeout(4000).emitWithAck("hit"));
    expect(answers.slice(0, 3)).toEqual([1, 2, 3]);
    const refused = answers[3] as { error: Refusal };
    expect(refused.error.code).toBe(SocketErrorCode.RATE_LIMITED);
    expect(refused.error.event).toBe("hit");
    expect(refused.error.retryAfter).toBeGreaterThan(0);
    const error = nextError(socket);
    socket.emit("hit");
    expect(((await error) as Refusal).code).toBe(SocketErrorCode.RATE_LIMITED);
    expect(handled).toBe(3);
  });

  it('disconnects a socket that keeps flooding, with reason "rate limited"', async () => {
    const { io, url } = await listen({
      rateLimit: { points: 2, duration: MINUTE, maxViolations: 5, notify: false },
    });
    const reason = new Promise<string>((resolve) => {
      io.on("connection", (socket) => {
        socket.on("flood", () => {});
        socket.on("disconnect", resolve);
      });
    });
    const socket = await ready(client.connect(url));
    const clientSide = once<[string]>(socket as never, "disconnect");
    for (let i = 0; i < 20; i++) socket.emit("flood", i);
    expect(await reason).toBe("rate limited");
    expect((await clientSide)[0]).toBe("io server disconnect");
  });
});

describe("rate limits: details", () => {
  const connect = CLIENTS[0].connect;

  it("gives perEvent buckets their own allowance, on top of the socket's", async () => {
    const { io, url } = await listen({
      rateLimit: {
        points: 5,
        duration: MINUTE,
        perEvent: { chat: { points: 1, duration: MINUTE } },
      },
    });
    io.on("connection", (socket) => {
      socket.on("chat", (ack: (x: string) => void) => ack("sent"));
      socket.on("ping", (ack: (x: string) => void) => ack("pong"));
    });
    const socket = await ready(connect(url));
    const ask = (ev: string) => socket.timeout(4000).emitWithAck(ev);
    expect(await ask("chat")).toBe("sent");
    expect(((await ask("chat")) as { error: Refusal }).error.code).toBe(
      SocketErrorCode.RATE_LIMITED,
    );
    // the refused chat took no token from the socket's bucket: 4 left
    expect([await ask("ping"), await ask("ping"), await ask("ping"), await ask("ping")]).toEqual([
      "pong",
      "pong",
      "pong",
      "pong",
    ]);
    expect(((await ask("ping")) as { error: Refusal }).error.code).toBe(
      SocketErrorCode.RATE_LIMITED,
    );
  });

  it("nsp.rateLimit overrides the server option; rateLimit(false) turns it off", async () => {
    const { io, url } = await listen({ rateLimit: { points: 1, duration: MINUTE } });
    io.of("/free").rateLimit(false);
    io.of("/tight").rateLimit({ points: 2, duration: MINUTE });
    for (const name of ["/free", "/tight"]) {
      io.of(name).on("connection", (socket) =>
        socket.on("x", (ack: (n: string) => void) => ack("ok")),
      );
    }
    const free = await ready(connect(`${url}/free`));
    const tight = await ready(connect(`${url}/tight`));
    const answers = async (s: typeof free) => {
      const out = [];
      for (let i = 0; i < 3; i++) {
        const a = await s.timeout(4000).emitWithAck("x");
        out.push(typeof a === "string" ? a : (a as { error: Refusal }).error.code);
      }
      return out;
    };
    expect(await answers(free)).toEqual(["ok", "ok", "ok"]);
    expect(await answers(tight)).toEqual(["ok", "ok", SocketErrorCode.RATE_LIMITED]);
  });

  it("with notify false, drops refused events without telling a client that asked no ack", async () => {
    const { io, url } = await listen({
      rateLimit: {
        points: 10,
        duration: MINUTE,
        perEvent: { spam: { points: 1, duration: MINUTE } },
        notify: false,
      },
    });
    let spam = 0;
    io.on("connection", (socket) => {
      socket.on("spam", () => spam++);
      socket.on("sync", (ack: () => void) => ack());
    });
    const socket = await ready(connect(url));
    const errors: unknown[] = [];
    socket.on("error", (e: never) => errors.push(e));
    for (let i = 0; i < 3; i++) socket.emit("spam");
    // the server answers in order: once "sync" is acked, any error event would have arrived
    await socket.timeout(4000).emitWithAck("sync");
    expect(spam).toBe(1);
    expect(errors).toEqual([]);
  });

  it("rejects an invalid rateLimit option with SB_ERR_INVALID_OPTION", () => {
    expect(() => new Server({ rateLimit: { points: 0, duration: 1000 } })).toThrow(
      expect.objectContaining({ code: SocketErrorCode.INVALID_OPTION }),
    );
  });

  it("keeps no bucket after its socket is gone (hundreds of limited connections, then GC)", async () => {
    const io = new Server({
      rateLimit: { points: 2, duration: MINUTE, perEvent: { a: { points: 1, duration: MINUTE } } },
    });
    onCleanup(() => io.close());
    const refs: WeakRef<Socket>[] = [];
    io.on("connection", (socket) => {
      refs.push(new WeakRef(socket));
      socket.on("a", () => {});
      socket.on("b", (ack: () => void) => ack());
    });
    // In a function of its own, so that no frame of the test keeps the last round's clients.
    const round = async () => {
      const clients = await Promise.all(
        Array.from({ length: 100 }, async () => {
          const c = new TestClient(io);
          const s = await c.connect("/");
          s.emit("a");
          s.emit("a"); // refused: its own bucket is empty
          await s.emitWithAck("b");
          await s.emitWithAck("b"); // refused (socket bucket), answered with an error
          return c;
        }),
      );
      for (const c of clients) c.close();
      await Promise.all(clients.map((c) => c.waitForClose()));
    };
    for (let i = 0; i < 4; i++) await round();
    expect(refs).toHaveLength(400);
    expect(io.sockets.sockets.size).toBe(0);
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    for (let i = 0; i < 10 && refs.some((r) => r.deref() !== undefined); i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Sockets own their buckets: a collected socket means collected buckets. The server's
    // first socket stays reachable after GC with or without rateLimit (seen on main too,
    // not growth: one object whatever the number of connections), hence "at most one".
    expect(refs.filter((r) => r.deref() !== undefined).length).toBeLessThanOrEqual(1);
  });
});

import { createServer } from "node:http";
import { io as sbio } from "@switchboard/client";
import {
  type HandshakeError,
  HandshakeRefusal,
  Server,
  type ServerOptions,
  type Session,
  SessionAwareAdapter,
  type Socket,
} from "@switchboard/server";
import { connectTestClient } from "@switchboard/server/testing";
import { io as ioc } from "socket.io-client";
import { describe, expect, it } from "vitest";
import { RECOVERABLE_REASONS } from "../../src/socket/reasons.js";
import { client, connected, listen, onCleanup, once, TRANSPORTS } from "./helpers.js";
import { sharedStore } from "./shared-store.js";

/** Reconnect fast: the tests wait for the reconnection, not for the backoff. */
const RECONNECT = { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 100 };

/** The part of a client socket these tests use (both clients have it). */
interface ReconnectingClient {
  readonly id: string | undefined;
  readonly recovered: boolean;
  readonly active: boolean;
  readonly io: { once(ev: string, fn: (...args: never[]) => void): unknown };
  on(ev: string, fn: (...args: never[]) => void): unknown;
  once(ev: string, fn: (...args: never[]) => void): unknown;
  disconnect(): unknown;
}

const CLIENTS: { name: string; io: ClientFactory }[] = [
  { name: "socket.io-client", io: ioc as ClientFactory },
  { name: "@switchboard/client", io: sbio as ClientFactory },
];

/** A client factory as both packages have it (their option types differ in detail). */
type ClientFactory = (url: string, opts: Record<string, unknown>) => { disconnect(): unknown };

function connectWith(
  factory: ClientFactory,
  url: string,
  transports: readonly string[],
): ReconnectingClient {
  const socket = factory(url, { forceNew: true, transports: [...transports], ...RECONNECT });
  onCleanup(() => socket.disconnect());
  // Both clients have every member used here; their generic types differ.
  return socket as unknown as ReconnectingClient;
}

/** A server on `port` (the port a drained server let go of), closed after the test. */
async function listenOn(port: number, options: Partial<ServerOptions>): Promise<Server> {
  const http = createServer();
  const io = new Server(http, options);
  onCleanup(() => io.close());
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, "127.0.0.1", resolve);
  });
  return io;
}

describe("io.drain()", () => {
  it("closes the connections at moments spread over the window, persisting every session first", async () => {
    const CLIENT_COUNT = 50;
    const SPREAD = 1000;
    const persisted: Session[] = [];
    const closedWith: number[] = [];
    // Sessions are written asynchronously (as over a network): the adapters may only close
    // once every write is done.
    class SlowStore extends SessionAwareAdapter {
      override async persistSession(session: Session): Promise<void> {
        await new Promise((resolve) => setTimeout(resolve, 20));
        persisted.push(session);
      }
      override close(): void {
        closedWith.push(persisted.length);
        super.close();
      }
    }
    const { io, url } = await listen({
      connectionStateRecovery: {},
      adapter: SlowStore,
      drainSpread: SPREAD,
    });
    const closes: { id: string; reason: string; at: number }[] = [];
    io.on("connection", (socket) => {
      const n = socket.handshake.auth.n as number;
      socket.data = { n };
      socket.join(`room-${n}`);
      socket.on("disconnect", (reason) => closes.push({ id: socket.id, reason, at: Date.now() }));
    });
    const clients = await Promise.all(
      Array.from({ length: CLIENT_COUNT }, (_, n) =>
        connected(client(url, TRANSPORTS[0], { ...RECONNECT, auth: { n } })),
      ),
    );
    const clientReasons = clients.map((c) => once<[string]>(c, "disconnect", 10_000));
    const attempts = clients.map((c) => once(c.io, "reconnect_attempt", 10_000));
    const draining: unknown[] = [];
    io.on("draining", (info) => draining.push(info));

    const start = Date.now();
    const drained = io.drain();
    expect(io.draining).toBe(true);
    expect(draining).toEqual([{ spread: SPREAD }]);
    expect(io.httpServer?.listening).toBe(false);
    await drained;

    // Every socket closed with a reason that keeps its session, at moments spread over the
    // window (generous bounds: this checks the behaviour, it measures nothing).
    expect(closes).toHaveLength(CLIENT_COUNT);
    for (const { reason } of closes) {
      expect(reason).toBe("server shutting down");
      expect(RECOVERABLE_REASONS.has(reason)).toBe(true);
    }
    const moments = closes.map((c) => c.at - start);
    expect(Math.max(...moments) - Math.min(...moments)).toBeGreaterThan(SPREAD / 2);
    expect(Math.max(...moments)).toBeLessThan(SPREAD + 2000);
    expect(new Set(moments).size).toBeGreaterThan(10);
    // Each client saw its transport close and started to reconnect (not "io server disconnect").
    const seen = await Promise.all(clientReasons);
    expect(seen.map(([reason]) => reason)).toEqual(clients.map(() => "transport close"));
    await Promise.all(attempts);
    for (const c of clients) expect(c.active).toBe(true);
    // Every session was written, with its rooms and data, before the adapter closed.
    expect(closedWith).toEqual([CLIENT_COUNT]);
    const bySid = new Map(persisted.map((s) => [s.sid, s]));
    for (const { id } of closes) {
      const session = bySid.get(id)!;
      const n = (session.data as { n: number }).n;
      expect(new Set(session.rooms)).toEqual(new Set([id, `room-${n}`]));
    }
    expect(new Set(persisted.map((s) => (s.data as { n: number }).n)).size).toBe(CLIENT_COUNT);
    expect(io.clientsCount).toBe(0);
    expect(io.engine.clientsCount).toBe(0);
  });

  it("answers new handshakes 503 and keeps serving a polling session until its moment", async () => {
    const { io, port } = await listen();
    // Runs before the helper's close(), which would wait for the 60 s spread.
    onCleanup(() => io.drain({ spread: 0 }));
    const refusals: HandshakeError[] = [];
    io.engine.on("connection_error", (err: HandshakeError) => refusals.push(err));
    const events: string[] = [];
    let serverSocket: Socket | undefined;
    io.on("connection", (socket) => {
      serverSocket = socket;
      socket.on("hello", (ack: (answer: string) => void) => {
        events.push("hello");
        ack("pong");
      });
    });
    // One keep-alive connection carries every request of the session, as a browser's pool
    // would: it is busy (a GET held) when the listener closes, so Node keeps it open.
    const conn = await rawPollingClient(port);
    const sid = await conn.handshake();
    await conn.post(sid, "40");
    expect(await conn.get(sid)).toMatch(/^40\{"sid":/);
    const held = conn.get(sid);
    // The GET must be held when the listener closes (Node closes idle connections then).
    await expect.poll(() => serverSocket !== undefined && holdsGet(serverSocket.conn)).toBe(true);

    const drained = io.drain({ spread: 60_000 });
    serverSocket!.emit("during", "drain");
    expect(await held).toBe('42["during","drain"]');
    // The session's requests are served: a POST with an event, a GET with its ack.
    expect(await conn.post(sid, '421["hello"]')).toBe("ok");
    expect(await conn.get(sid)).toBe('431["pong"]');
    expect(events).toEqual(["hello"]);
    // A handshake is refused, on the same connection, which the answer then closes.
    const refused = await conn.request("GET", "/socket.io/?EIO=4&transport=polling");
    expect(refused.status).toBe(503);
    expect(refused.headers.connection).toBe("close");
    expect(JSON.parse(refused.body)).toEqual({ code: 4, message: "Server shutting down" });
    expect(refusals.map((e) => e.errorCode)).toEqual([HandshakeRefusal.SERVER_DRAINING]);

    // A second drain brings the moments forward: the session closes now.
    const reason = once<[string]>(serverSocket!, "disconnect");
    await io.drain({ spread: 0 });
    await drained;
    expect((await reason)[0]).toBe("server shutting down");
  });

  it("with connection state recovery, io.close() is the drain; without, it closes at once", async () => {
    const spread = async (options: Partial<ServerOptions>) => {
      const { io } = await listen({ drainSpread: 400, ...options });
      const moments: number[] = [];
      io.on("connection", (s) => s.on("disconnect", () => moments.push(Date.now())));
      await Promise.all(Array.from({ length: 20 }, () => connectTestClient(io)));
      const closing = io.close();
      // Closes that happened in the very call of close().
      const atOnce = moments.length;
      await closing;
      expect(moments).toHaveLength(20);
      return atOnce;
    };
    expect(await spread({})).toBe(20);
    expect(await spread({ connectionStateRecovery: {} })).toBeLessThan(20);
  });

  it("reports a failed persistSession to the socket and still closes", async () => {
    const failure = new Error("store unreachable");
    class FailingStore extends SessionAwareAdapter {
      override persistSession(): Promise<void> {
        return Promise.reject(failure);
      }
    }
    const { io } = await listen({ connectionStateRecovery: {}, adapter: FailingStore });
    const errors: unknown[] = [];
    io.on("connection", (s) => s.on("error", (err) => errors.push(err)));
    await connectTestClient(io);
    await io.drain({ spread: 0 });
    expect(errors).toEqual([failure]);
  });

  it("leaves no timer, signal listener or session behind", async () => {
    const before = process.listenerCount("SIGUSR2");
    const timersBefore = activeTimers();
    const { io } = await listen({ connectionStateRecovery: {}, drainSpread: 200 });
    io.closeOnSignals(["SIGUSR2"]);
    expect(process.listenerCount("SIGUSR2")).toBe(before + 1);
    await Promise.all(Array.from({ length: 10 }, () => connectTestClient(io)));
    await io.drain();
    expect(process.listenerCount("SIGUSR2")).toBe(before);
    expect(io.clientsCount).toBe(0);
    expect((io.of("/").adapter as SessionAwareAdapter).sessionCount).toBe(0);
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
  });
});

describe.each(TRANSPORTS)("a drained node's clients over $name", (transport) => {
  describe.each(CLIENTS)("$name", ({ io: factory }) => {
    it("reconnect to the next node and recover their session", async () => {
      const store = sharedStore();
      const options: Partial<ServerOptions> = {
        adapter: store.Adapter,
        connectionStateRecovery: { maxDisconnectionDuration: 10_000 },
        drainSpread: 100,
      };
      const onConnection = (socket: Socket) => {
        if (!socket.recovered) {
          socket.join("r");
          socket.data = { user: "ann" };
        }
        socket.emit("welcome", socket.recovered);
      };
      const a = await listen(options);
      a.io.on("connection", onConnection);
      const c = connectWith(factory, a.url, transport.transports);
      await once(c, "welcome");
      const firstId = c.id;
      const news: unknown[] = [];
      c.on("news", (n: unknown) => news.push(n));
      a.io.to("r").emit("news", 0);
      await expect.poll(() => news).toEqual([0]);
      const [serverSocket] = await a.io.fetchSockets();
      expect(serverSocket).toBeDefined();
      const reason = once<[string]>(c, "disconnect");

      await a.io.drain();
      expect((await reason)[0]).toBe("transport close");
      expect(store.persisted.map((s) => s.sid)).toEqual([firstId]);
      expect(store.closes).toEqual([1]);

      // The next node, on the port the drained one let go of, with the same store: what it
      // broadcasts before the client is back is delivered on recovery.
      const b = await listenOn(a.port, options);
      b.on("connection", onConnection);
      b.to("r").emit("news", 1);
      b.emit("news", 2);
      b.to("other").emit("news", "not for us");
      const [recovered] = await once<[boolean]>(c, "welcome", 10_000);
      expect(recovered).toBe(true);
      expect(c.recovered).toBe(true);
      expect(c.id).toBe(firstId);
      await expect.poll(() => news).toEqual([0, 1, 2]);
      const [restored] = await b.fetchSockets();
      expect(restored?.id).toBe(firstId);
      expect(restored?.rooms.has("r")).toBe(true);
      expect(restored?.data).toEqual({ user: "ann" });
      // Gone before the next node closes: over polling, that drain would otherwise wait for
      // a GET the client can no longer send (the listener is closed) until its grace ran out.
      c.disconnect();
      await expect.poll(() => b.engine.clientsCount).toBe(0);
    });
  });
});

describe.each(TRANSPORTS.slice(0, 2))(
  "a client refused by a draining node over $name",
  (transport) => {
    describe.each(CLIENTS)("$name", ({ io: factory }) => {
      it("keeps retrying after the 503 and connects once a node accepts it", async () => {
        const a = await listen();
        a.io.engine.stopAccepting();
        const refusals: HandshakeError[] = [];
        a.io.engine.on("connection_error", (err: HandshakeError) => refusals.push(err));
        const c = connectWith(factory, a.url, transport.transports);
        await once(c, "connect_error");
        await once(c.io, "reconnect_attempt");
        await once(c, "connect_error");
        expect(refusals.length).toBeGreaterThanOrEqual(2);
        for (const err of refusals) expect(err.errorCode).toBe(HandshakeRefusal.SERVER_DRAINING);
        await a.io.close();
        const b = await listenOn(a.port, {});
        await once(b, "connection");
      });
    });
  },
);

/** The session's polling transport holds a GET (what it writes now leaves at once). */
function holdsGet(conn: Socket["conn"]): boolean {
  const t = conn.transport;
  return t.name === "polling" && "writable" in t && t.writable === true;
}

/** Live ref'd timers of this process (what keeps it running). */
function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Polling requests over one keep-alive connection (an agent with a single socket). */
async function rawPollingClient(port: number) {
  const { Agent, request: httpRequest } = await import("node:http");
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  onCleanup(() => agent.destroy());
  const request = (method: string, path: string, body?: string) =>
    new Promise<RawAnswer>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, method, path, agent }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
      });
      req.on("error", reject);
      req.end(body);
    });
  const expectOk = async (method: string, path: string, body?: string) => {
    const answer = await request(method, path, body);
    if (answer.status !== 200)
      throw new Error(`${method} ${path}: ${answer.status} ${answer.body}`);
    return answer.body;
  };
  const base = "/socket.io/?EIO=4&transport=polling";
  return {
    request,
    async handshake(): Promise<string> {
      const body = await expectOk("GET", base);
      return (JSON.parse(body.slice(1)) as { sid: string }).sid;
    },
    get: (sid: string) => expectOk("GET", `${base}&sid=${sid}`),
    post: (sid: string, payload: string) => expectOk("POST", `${base}&sid=${sid}`, payload),
  };
}

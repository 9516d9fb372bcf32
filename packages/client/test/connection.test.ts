// biome-ignore-all lint/suspicious/noExplicitAny: server-side sockets are driven through the socket.io API untyped
import { ClientErrorCode, io, type Socket, SocketError } from "@switchboard/client";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, startServer, track, transportModes, until, waitFor } from "./helpers.js";
import { serverKinds } from "./servers.js";

afterEach(closeAll);

describe.each(serverKinds)("client against $name server", ({ factory }) => {
  describe.each(transportModes)("over $name", ({ name: mode, options }) => {
    const connect = (url: string, extra: Record<string, unknown> = {}): Socket =>
      track(io(url, { forceNew: true, reconnection: false, ...options, ...extra }));

    it("connects with the server's socket id and exchanges events", async () => {
      const server = await startServer(factory, (srv) => {
        srv.on("connection", (s: any) => {
          s.emit("welcome", s.id);
          s.on("echo", (...args: unknown[]) => s.emit("echo", ...args));
        });
      });
      const socket = connect(server.url);
      const [sid] = await waitFor<[string]>(socket, "welcome");
      expect(socket.connected).toBe(true);
      expect(socket.disconnected).toBe(false);
      expect(socket.active).toBe(true);
      expect(socket.id).toBe(sid);
      socket.emit("echo", "text", 42, { nested: [true, null] });
      expect(await waitFor(socket, "echo")).toEqual(["text", 42, { nested: [true, null] }]);
    });

    it("uses the expected transport (upgrades when allowed)", async () => {
      const server = await startServer(factory);
      const socket = connect(server.url);
      await waitFor(socket, "connect");
      const engine = socket.io.engine!;
      if (mode === "polling+upgrade") {
        if (engine.transport.name !== "websocket") await waitFor(engine, "upgrade");
        expect(engine.transport.name).toBe("websocket");
        expect(engine.upgraded).toBe(true);
      } else {
        expect(engine.transport.name).toBe(mode);
      }
    });

    it("runs acknowledgements both ways", async () => {
      const server = await startServer(factory, (srv) => {
        srv.on("connection", (s: any) => {
          s.on("add", (a: number, b: number, ack: (sum: number) => void) => ack(a + b));
          s.on("ask-client", async () => {
            const answer = await s.emitWithAck("question", "ping?");
            s.emit("answer", answer);
          });
        });
      });
      const socket = connect(server.url);
      socket.on("question", (text: string, ack: (reply: string) => void) => ack(`${text} pong`));
      const sum = await new Promise((resolve) => socket.emit("add", 2, 3, resolve));
      expect(sum).toBe(5);
      expect(await socket.emitWithAck("add", 10, 20)).toBe(30);
      expect(await socket.timeout(5000).emitWithAck("add", 1, 1)).toBe(2);
      socket.emit("ask-client");
      expect(await waitFor(socket, "answer")).toEqual(["ping? pong"]);
    });

    it("sends and receives binary data, nested in objects and arrays", async () => {
      const server = await startServer(factory, (srv) => {
        srv.on("connection", (s: any) => {
          s.on("upload", (payload: unknown, ack: (r: unknown) => void) => ack(payload));
          s.emit("download", { file: Buffer.from([1, 2, 3]), list: [Buffer.from([4]), "x"] });
        });
      });
      const socket = connect(server.url);
      const [download] = await waitFor<[any]>(socket, "download");
      expect(Buffer.isBuffer(download.file)).toBe(true);
      expect([...download.file]).toEqual([1, 2, 3]);
      expect([...download.list[0]]).toEqual([4]);
      expect(download.list[1]).toBe("x");
      const payload = {
        u8: new Uint8Array([9, 8, 7]),
        ab: new Uint8Array([6, 5]).buffer,
        buf: Buffer.from("hi"),
        arr: [new Uint16Array([0x0102]), { deep: new Uint8Array(0) }],
      };
      const echoed: any = await socket.emitWithAck("upload", payload);
      expect([...echoed.u8]).toEqual([9, 8, 7]);
      expect([...echoed.ab]).toEqual([6, 5]);
      expect(echoed.buf.toString()).toBe("hi");
      expect([...echoed.arr[0]]).toEqual([2, 1]);
      expect(echoed.arr[1].deep.length).toBe(0);
    });

    it("multiplexes namespaces over one connection, and forceNew opens another", async () => {
      const server = await startServer(factory, (srv) => {
        srv.of("/admin").on("connection", (s: any) => s.emit("hello", "admin"));
        srv.on("connection", (s: any) => s.emit("hello", "main"));
      });
      const main = track(io(server.url, { reconnection: false, ...options }));
      const admin = track(io(`${server.url}/admin`, { reconnection: false, ...options }));
      expect(admin.io).toBe(main.io);
      const hellos = Promise.all([waitFor(main, "hello"), waitFor(admin, "hello")]);
      expect(await hellos).toEqual([["main"], ["admin"]]);
      expect(admin.nsp).toBe("/admin");
      const again = track(io(server.url, { reconnection: false, ...options }));
      expect(again.io).not.toBe(main.io); // "/" is already open on the cached manager
      const separate = track(io(`${server.url}/admin`, { forceNew: true, ...options }));
      expect(separate.io).not.toBe(main.io);
      const noMultiplex = track(io(`${server.url}/other`, { multiplex: false, ...options }));
      expect(noMultiplex.io).not.toBe(main.io);
      await waitFor(separate, "hello");
      // Disconnecting one namespace keeps the shared connection for the other.
      admin.disconnect();
      main.emit("still-here");
      expect(main.connected).toBe(true);
      expect(main.io.engine!.readyState).toBe("open");
    });

    it("sends auth (object or function) and surfaces connect_error with err.data", async () => {
      const server = await startServer(factory, (srv) => {
        srv.use((s: any, next: (err?: Error) => void) => {
          if (s.handshake.auth.token === "good") return next();
          const err = new Error("not authorized") as Error & { data?: unknown };
          err.data = { reason: "bad token", got: s.handshake.auth.token ?? null };
          next(err);
        });
        srv.on("connection", (s: any) => s.emit("auth", s.handshake.auth));
      });
      const good = connect(server.url, { auth: { token: "good", extra: 1 } });
      expect(await waitFor(good, "auth")).toEqual([{ token: "good", extra: 1 }]);
      const viaFunction = connect(server.url, {
        auth: (cb: (data: object) => void) => cb({ token: "good" }),
      });
      expect(await waitFor(viaFunction, "auth")).toEqual([{ token: "good" }]);
      const bad = connect(server.url, { auth: { token: "bad" } });
      const [err] = await waitFor<[SocketError]>(bad, "connect_error");
      expect(err).toBeInstanceOf(SocketError);
      expect(err.code).toBe(ClientErrorCode.CONNECT_REFUSED);
      expect(err.message).toBe("not authorized"); // the server's
      expect(err.data).toEqual({ reason: "bad token", got: "bad" });
      expect(bad.active).toBe(false);
      expect(bad.connected).toBe(false);
    });

    it("reports socket.io's disconnect reasons", async () => {
      const server = await startServer(factory, (srv) => {
        srv.on("connection", (s: any) => s.on("kick", () => s.disconnect()));
      });
      const kicked = connect(server.url, { reconnection: true });
      await waitFor(kicked, "connect");
      kicked.emit("kick");
      const [reason] = await waitFor(kicked, "disconnect");
      expect(reason).toBe("io server disconnect");
      expect(kicked.active).toBe(false);

      const leaving = connect(server.url);
      await waitFor(leaving, "connect");
      const left = waitFor(leaving, "disconnect");
      leaving.disconnect();
      expect((await left)[0]).toBe("io client disconnect");
      expect(leaving.id).toBeUndefined();

      const dropped = connect(server.url);
      await waitFor(dropped, "connect");
      const drop = waitFor(dropped, "disconnect");
      await server.stop();
      // A WebSocket sees the server close it; a pending poll may instead see its request fail.
      const expected =
        mode === "websocket" ? ["transport close"] : ["transport close", "transport error"];
      expect(expected).toContain((await drop)[0]);
    });

    it("closes its engine connection cleanly: the server sees the close packet, not a torn request", async () => {
      const reasons: string[] = [];
      const server = await startServer(factory, (srv) => {
        srv.on("connection", (s: any) => s.conn.on("close", (r: string) => reasons.push(r)));
      });
      // Several clients, so a race between the close packet and a torn pending GET shows.
      const sockets = Array.from({ length: 8 }, () => connect(server.url));
      await Promise.all(sockets.map((s) => waitFor(s, "connect")));
      for (const s of sockets) s.disconnect();
      await until(() => reasons.length === sockets.length);
      expect(reasons).toEqual(sockets.map(() => "transport close"));
    });

    it("buffers emits while disconnected and sends them in order on connect", async () => {
      const received: unknown[] = [];
      const server = await startServer(factory, (srv) => {
        srv.on("connection", (s: any) => {
          s.on("n", (n: number) => {
            received.push(n);
            if (n === 4) s.emit("done");
          });
        });
      });
      const socket = connect(server.url, { autoConnect: false });
      for (let n = 0; n < 5; n++) socket.emit("n", n);
      expect(socket.sendBuffer.length).toBe(5);
      socket.connect();
      await waitFor(socket, "done");
      expect(received).toEqual([0, 1, 2, 3, 4]);
      expect(socket.sendBuffer.length).toBe(0);
    });

    it("times out acknowledgements and drops volatile emits while offline", async () => {
      const seen: string[] = [];
      const server = await startServer(factory, (srv) => {
        srv.on("connection", (s: any) => s.onAny((ev: string) => seen.push(ev)));
      });
      const socket = connect(server.url, { autoConnect: false });
      socket.volatile.emit("dropped");
      expect(socket.sendBuffer.length).toBe(0);
      socket.connect();
      await waitFor(socket, "connect");
      const err = await new Promise<SocketError>((resolve) =>
        socket.timeout(50).emit("never-acked", (e: SocketError) => resolve(e)),
      );
      // the code is the contract; the message is socket.io-client's, for apps written against it
      const timedOut = { code: ClientErrorCode.ACK_TIMEOUT, message: "operation has timed out" };
      expect(err).toMatchObject(timedOut);
      await expect(socket.timeout(50).emitWithAck("never-acked")).rejects.toMatchObject(timedOut);
      await until(() => seen.filter((e) => e === "never-acked").length === 2);
      expect(seen).not.toContain("dropped");
    });

    it("calls catch-all listeners for incoming and outgoing events", async () => {
      const server = await startServer(factory, (srv) => {
        srv.on("connection", (s: any) => s.on("ping-me", () => s.emit("pong", 1, "two")));
      });
      const socket = connect(server.url);
      const incoming: unknown[][] = [];
      const outgoing: unknown[][] = [];
      const first: string[] = [];
      socket.onAny((...args: unknown[]) => incoming.push(args));
      socket.prependAny(() => first.push("prepended"));
      socket.onAnyOutgoing((...args: unknown[]) => outgoing.push(args));
      await waitFor(socket, "connect");
      socket.emit("ping-me", { a: 1 });
      await waitFor(socket, "pong");
      expect(outgoing).toEqual([["ping-me", { a: 1 }]]);
      expect(incoming).toEqual([["pong", 1, "two"]]);
      expect(first).toEqual(["prepended"]);
      expect(socket.listenersAny().length).toBe(2);
      socket.offAny();
      socket.offAnyOutgoing();
      expect(socket.listenersAny()).toEqual([]);
      expect(socket.listenersAnyOutgoing()).toEqual([]);
      expect(() => socket.emit("connect" as never)).toThrow(
        expect.objectContaining({ code: ClientErrorCode.RESERVED_EVENT }),
      );
    });

    it("sends query parameters and the `send` shorthand", async () => {
      const server = await startServer(factory, (srv) => {
        srv.on("connection", (s: any) => {
          s.emit("query", s.handshake.query.room, s.handshake.query.fromUrl);
          s.on("message", (text: string) => s.send(`got ${text}`));
        });
      });
      const socket = connect(`${server.url}?fromUrl=yes`, { query: { room: "lobby" } });
      expect(await waitFor(socket, "query")).toEqual(["lobby", "yes"]);
      socket.send("hi");
      expect(await waitFor(socket, "message")).toEqual(["got hi"]);
    });
  });
});

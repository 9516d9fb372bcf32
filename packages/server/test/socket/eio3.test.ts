import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { listen, onCleanup, once } from "./helpers.js";

// The Socket.IO v4 protocol of socket.io 2.x clients (over Engine.IO v3, allowEIO3), as
// literal frames: the implicit CONNECT to "/", `0/nsp?query,`, bare CONNECT answers,
// CONNECT_ERROR as a string or the error's data.

/** A raw Engine.IO v3 WebSocket peer: frames queued from the start. */
class V3Peer {
  readonly ws: WebSocket;
  readonly frames: string[] = [];
  readonly #waiters: ((f: string) => void)[] = [];
  readonly closed: Promise<unknown>;

  constructor(port: number, query = "") {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=3&transport=websocket${query}`);
    this.closed = once(this.ws, "close", 10_000);
    this.ws.on("message", (data: Buffer, isBinary: boolean) => {
      const f = isBinary ? `<binary ${[...data].join(",")}>` : data.toString();
      const w = this.#waiters.shift();
      if (w) w(f);
      else this.frames.push(f);
    });
    onCleanup(() => this.ws.terminate());
  }

  next(ms = 5000): Promise<string> {
    const f = this.frames.shift();
    if (f !== undefined) return Promise.resolve(f);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no frame in time")), ms);
      this.#waiters.push((frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
  }

  /** Waits for the open packet; returns the engine session id. */
  async open(): Promise<string> {
    const frame = await this.next();
    expect(frame[0]).toBe("0");
    return (JSON.parse(frame.slice(1)) as { sid: string }).sid;
  }

  send(data: string | Buffer): void {
    this.ws.send(data);
  }
}

describe("socket.io 2.x clients (allowEIO3): namespaces", () => {
  it("every client is connected to / at once: a bare CONNECT, the engine id as socket id", async () => {
    const { io, port } = await listen({ allowEIO3: true });
    const seen: { id: string; auth: unknown; eio: unknown }[] = [];
    io.use((socket, next) => {
      seen.push({ id: socket.id, auth: socket.handshake.auth, eio: socket.handshake.query.EIO });
      next();
    });
    const connection = once<[{ id: string }]>(io, "connection");
    const peer = new V3Peer(port, "&token=t1");
    const sid = await peer.open();
    expect(await peer.next()).toBe("40");
    const [socket] = await connection;
    expect(socket.id).toBe(sid);
    expect(seen).toEqual([{ id: sid, auth: {}, eio: "3" }]);
  });

  it("0/nsp?query, joins /nsp with the query as handshake.auth; the answer has no sid", async () => {
    const { io, port } = await listen({ allowEIO3: true });
    const auths: unknown[] = [];
    io.of("/chat").use((socket, next) => {
      auths.push(socket.handshake.auth);
      next();
    });
    const connection = once<[{ id: string }]>(io.of("/chat"), "connection");
    const peer = new V3Peer(port);
    const sid = await peer.open();
    expect(await peer.next()).toBe("40");
    peer.send("40/chat?token=abc&room=1,");
    expect(await peer.next()).toBe("40/chat,");
    const [socket] = await connection;
    expect(socket.id).toBe(`/chat#${sid}`);
    expect(auths).toEqual([{ token: "abc", room: "1" }]);
    peer.send('42/chat,["ping",1]');
    peer.send("40/chat,"); // a duplicate CONNECT is ignored, as for v4 clients
    expect(io.of("/chat").sockets.size).toBe(1);
  });

  it("refusals: the error's data, else its message, as the CONNECT_ERROR payload", async () => {
    const { io, port } = await listen({ allowEIO3: true });
    io.of("/data").use((_socket, next) => {
      next(Object.assign(new Error("refused"), { data: { code: 7 } }));
    });
    io.of("/plain").use((_socket, next) => next(new Error("not today")));
    io.of("/array").use((_socket, next) => {
      next(Object.assign(new Error("as message"), { data: [1, 2] }));
    });
    const peer = new V3Peer(port);
    await peer.open();
    expect(await peer.next()).toBe("40");
    peer.send("40/data,");
    expect(await peer.next()).toBe('44/data,{"code":7}');
    peer.send("40/plain,");
    expect(await peer.next()).toBe('44/plain,"not today"');
    peer.send("40/array,");
    expect(await peer.next()).toBe('44/array,"as message"');
    peer.send("40/nowhere?x=1,");
    expect(await peer.next()).toBe('44/nowhere,"Invalid namespace"');
    expect(io.of("/data").sockets.size).toBe(0);
  });

  it("a middleware of / refusing: 4<message> for /, other namespaces still reachable", async () => {
    const { io, port } = await listen({ allowEIO3: true });
    io.use((_socket, next) => next(new Error("not you")));
    let mainConnections = 0;
    io.on("connection", () => mainConnections++);
    io.of("/open");
    const peer = new V3Peer(port);
    await peer.open();
    expect(await peer.next()).toBe('44"not you"');
    peer.send("40/open,");
    expect(await peer.next()).toBe("40/open,");
    expect(mainConnections).toBe(0);
  });

  it("with connection state recovery on, the CONNECT answer stays bare (no pid)", async () => {
    const { port } = await listen({ allowEIO3: true, connectionStateRecovery: {} });
    const peer = new V3Peer(port);
    await peer.open();
    expect(await peer.next()).toBe("40");
    peer.send("40/x,");
    expect(await peer.next()).toBe('44/x,"Invalid namespace"');
  });

  it("events, acks and binary both ways; everything is released on close", async () => {
    const { io, port } = await listen({ allowEIO3: true });
    const connection = once<[import("@switchboard/server").Socket]>(io, "connection");
    const peer = new V3Peer(port);
    await peer.open();
    expect(await peer.next()).toBe("40");
    const [socket] = await connection;
    const got = once<unknown[]>(socket, "up");
    peer.send('451-3["up",{"_placeholder":true,"num":0},"x"]');
    peer.send(Buffer.from([4, 1, 2]));
    const [bytes, x, ack] = await got;
    expect(bytes).toEqual(Buffer.from([1, 2]));
    expect(x).toBe("x");
    (ack as (...a: unknown[]) => void)(Buffer.from([9]));
    expect(await peer.next()).toBe('461-3[{"_placeholder":true,"num":0}]');
    expect(await peer.next()).toBe("<binary 4,9>");
    const answer = socket.timeout(5000).emitWithAck("q", 1);
    expect(await peer.next()).toBe('420["q",1]');
    peer.send("430[42]");
    expect(await answer).toBe(42);
    const disconnected = once<[string]>(socket, "disconnect");
    peer.ws.close();
    expect((await disconnected)[0]).toBe("transport close");
    expect(io.engine.clientsCount).toBe(0);
    expect(io.of("/").sockets.size).toBe(0);
    expect(io.of("/").adapter.rooms.size).toBe(0);
  });
});

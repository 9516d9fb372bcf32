import { describe, expect, it } from "vitest";
import { client, connected, listen, once, TRANSPORTS } from "./helpers.js";

describe.each(TRANSPORTS)("events and acks over $name", (transport) => {
  it("delivers events both ways on the main namespace", async () => {
    const { io, url } = await listen();
    io.on("connection", (socket) => {
      socket.on("hello", (a: number, b: { x: string }) => socket.emit("world", a + 1, b.x));
    });
    const socket = await connected(client(url, transport));
    socket.emit("hello", 1, { x: "y" });
    expect(await once(socket, "world")).toEqual([2, "y"]);
  });

  it("acknowledges client → server and server → client", async () => {
    const { io, url } = await listen();
    const serverGot = new Promise<unknown>((resolve) => {
      io.on("connection", async (socket) => {
        socket.on("add", (a: number, b: number, cb: (n: number) => void) => cb(a + b));
        resolve(await socket.timeout(4000).emitWithAck("ask", "q"));
      });
    });
    const socket = client(url, transport);
    socket.on("ask", (q: string, cb: (a: string) => void) => cb(`${q}!`));
    await connected(socket);
    expect(await socket.timeout(4000).emitWithAck("add", 2, 3)).toBe(5);
    expect(await serverGot).toBe("q!");
  });

  it("times out an unanswered server ack with an error", async () => {
    const { io, url } = await listen();
    const result = new Promise<unknown>((resolve) => {
      io.on("connection", (socket) => {
        socket.timeout(50).emit("ignored", (err: Error | null) => resolve(err));
      });
    });
    const socket = client(url, transport);
    socket.on("ignored", () => {});
    await connected(socket);
    expect(await result).toBeInstanceOf(Error);
  });

  it("sends Buffers nested in objects and arrays, both ways", async () => {
    const { io, url } = await listen();
    io.on("connection", (socket) => {
      socket.on(
        "bin",
        (payload: { a: Buffer; list: [Buffer, number] }, cb: (x: unknown) => void) => {
          cb({ echoed: [payload.a, payload.list[0]], n: payload.list[1] });
          socket.emit("server-bin", { deep: { buf: Buffer.from([9, 8, 7]) } }, [Buffer.from("hi")]);
        },
      );
    });
    const socket = await connected(client(url, transport));
    const serverBin = once<[{ deep: { buf: ArrayBuffer } }, [ArrayBuffer]]>(socket, "server-bin");
    const answer = (await socket.timeout(4000).emitWithAck("bin", {
      a: Buffer.from([1, 2, 3]),
      list: [Buffer.from([4, 5]), 6],
    })) as { echoed: ArrayBuffer[]; n: number };
    expect(answer.n).toBe(6);
    expect(answer.echoed.map((b) => [...new Uint8Array(b)])).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    const [obj, arr] = await serverBin;
    expect([...new Uint8Array(obj.deep.buf)]).toEqual([9, 8, 7]);
    expect(Buffer.from(arr[0]).toString()).toBe("hi");
  });

  it("uses default and custom namespaces on one connection", async () => {
    const { io, url } = await listen();
    io.on("connection", (s) => s.emit("where", s.nsp.name));
    io.of("/chat").on("connection", (s) => s.emit("where", s.nsp.name));
    const main = client(url, transport);
    const chat = main.io.socket("/chat");
    const mainWhere = once(main, "where");
    const chatWhere = once(chat, "where");
    chat.connect();
    expect(await mainWhere).toEqual(["/"]);
    expect(await chatWhere).toEqual(["/chat"]);
    expect(io.engine.clientsCount).toBe(1);
    chat.disconnect();
  });

  it("supports send/message, onAny and onAnyOutgoing", async () => {
    const { io, url } = await listen();
    const incoming: unknown[] = [];
    const outgoing: unknown[] = [];
    io.on("connection", (socket) => {
      socket.onAny((...args) => incoming.push(args));
      socket.onAnyOutgoing((...args) => outgoing.push(args));
      socket.on("message", (text: string) => socket.send(`re: ${text}`));
    });
    const socket = await connected(client(url, transport));
    socket.send("hi");
    expect(await once(socket, "message")).toEqual(["re: hi"]);
    expect(incoming).toEqual([["message", "hi"]]);
    expect(outgoing).toEqual([["message", "re: hi"]]);
  });

  it("runs per-packet middlewares and reports rejections as error events", async () => {
    const { io, url } = await listen();
    const errors: string[] = [];
    io.on("connection", (socket) => {
      socket.use(([event], next) => (event === "forbidden" ? next(new Error("nope")) : next()));
      socket.on("error", (err) => {
        errors.push(err.message);
        socket.emit("rejected");
      });
      socket.on("allowed", () => socket.emit("ok"));
      socket.on("forbidden", () => socket.emit("should-not-happen"));
    });
    const socket = await connected(client(url, transport));
    socket.emit("forbidden");
    await once(socket, "rejected");
    socket.emit("allowed");
    await once(socket, "ok");
    expect(errors).toEqual(["nope"]);
  });

  it("refuses to emit reserved event names", async () => {
    const { io, url } = await listen();
    const thrown = new Promise<unknown>((resolve) => {
      io.on("connection", (socket) => {
        try {
          socket.emit("disconnect" as never);
        } catch (err) {
          resolve(err);
        }
      });
    });
    await connected(client(url, transport));
    expect(await thrown).toBeInstanceOf(Error);
  });
});

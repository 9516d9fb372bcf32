import {
  type NamespaceHandler,
  type Socket,
  SocketError,
  SocketErrorCode,
  SocketTypeError,
} from "@switchboard/server";
import { connectTestClient, TestClient } from "@switchboard/server/testing";
import { describe, expect, it } from "vitest";
import { inProcessServer } from "./helpers.js";

const server = inProcessServer;

class Chat implements NamespaceHandler {
  static events = { "typing-start": "onTyping" };
  readonly log: string[] = [];

  onConnect(socket: Socket): void {
    this.log.push(`connect ${socket.nsp.name}`);
    socket.join("lobby");
  }

  onSay(socket: Socket, text: string, ack: (ok: string) => void): void {
    socket.to("lobby").emit("said", text);
    ack(`got ${text}`);
  }

  onTyping(socket: Socket): void {
    socket.broadcast.emit("typing", socket.id);
  }

  onBoom(): void {
    throw new Error("handler bug");
  }

  async onLater(socket: Socket): Promise<void> {
    await Promise.resolve();
    socket.emit("later-done");
  }

  onDisconnect(_socket: Socket, reason: string): void {
    this.log.push(`disconnect ${reason}`);
  }

  onError(_socket: Socket, err: Error): void {
    this.log.push(`error ${err.message}`);
  }

  helper(): string {
    return "not an event";
  }
}

describe("class-based namespace handlers", () => {
  it("maps onX methods to events and passes the socket first, ack last", async () => {
    const io = server();
    const chat = new Chat();
    io.of("/chat").register(chat);
    const a = await connectTestClient(io, "/chat");
    const b = await connectTestClient(io, "/chat");
    expect(await a.emitWithAck("say", "hi")).toEqual(["got hi"]);
    expect(await b.waitFor("said")).toEqual(["hi"]);
    expect(chat.log).toEqual(["connect /chat", "connect /chat"]);
  });

  it("maps dashed event names through the static events table", async () => {
    const io = server();
    io.of("/chat").register(new Chat());
    const a = await connectTestClient(io, "/chat");
    const b = await connectTestClient(io, "/chat");
    a.emit("typing-start");
    expect(await b.waitFor("typing")).toEqual([a.id]);
  });

  it("hands a method's error to onError, keeps the connection, and awaits async methods", async () => {
    const io = server();
    const chat = new Chat();
    io.of("/chat").register(chat);
    const a = await connectTestClient(io, "/chat");
    a.emit("boom");
    a.emit("later");
    await a.waitFor("later-done");
    expect(a.connected).toBe(true);
    expect(chat.log).toContain("error handler bug");
  });

  it("does not treat non-on methods as events, calls onDisconnect with the reason", async () => {
    const io = server();
    const chat = new Chat();
    io.of("/chat").register(chat);
    const client = new TestClient(io);
    const a = await client.connect("/chat");
    a.emit("helper");
    a.disconnect();
    await expect.poll(() => chat.log.at(-1)).toBe("disconnect client namespace disconnect");
  });

  it("rejects an events table naming a missing method", () => {
    const io = server();
    class Broken {
      static events = { "x-y": "missing" };
      onOther(): void {}
    }
    let thrown: unknown;
    try {
      io.of("/b").register(new Broken() as NamespaceHandler);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect(thrown).toBeInstanceOf(SocketTypeError);
    expect((thrown as SocketTypeError).code).toBe(SocketErrorCode.INVALID_HANDLER);
  });

  it("applies to the children of a dynamic namespace", async () => {
    const io = server();
    const chat = new Chat();
    io.of(/^\/room-\d+$/).register(chat);
    const a = await connectTestClient(io, "/room-1");
    expect(await a.emitWithAck("say", "x")).toEqual(["got x"]);
    expect(chat.log).toEqual(["connect /room-1"]);
  });
});

describe("class handler errors", () => {
  class Failing implements NamespaceHandler {
    onConnect(): void {}
    onSync(): void {
      throw new Error("sync bug");
    }
    async onAsync(): Promise<void> {
      await Promise.resolve();
      throw new Error("async bug");
    }
    onNotAnError(): void {
      throw "a string";
    }
  }

  async function serverSocket(handler: NamespaceHandler) {
    const io = server();
    io.of("/f").register(handler);
    const client = await connectTestClient(io, "/f");
    const socket = [...io.of("/f").sockets.values()][0]!;
    return { client, socket };
  }

  it("reach the socket's error listeners when the handler has no onError", async () => {
    const { client, socket } = await serverSocket(new Failing());
    const errors: Error[] = [];
    socket.on("error", (err) => errors.push(err));
    client.emit("sync");
    client.emit("async");
    client.emit("notAnError");
    await expect.poll(() => errors.length).toBe(3);
    // the app's own errors as thrown; a thrown non-Error wrapped, with a code
    const own = errors.filter((e) => !(e instanceof SocketError)).map((e) => e.message);
    expect(own.sort()).toEqual(["async bug", "sync bug"]);
    const wrapped = errors.find((e) => e instanceof SocketError);
    expect((wrapped as SocketError).code).toBe(SocketErrorCode.HANDLER_FAILED);
    expect(wrapped?.cause).toBe("a string");
    expect(client.connected).toBe(true);
  });

  it("are thrown as from a plain listener when nobody listens for errors", async () => {
    const { socket } = await serverSocket(new Failing());
    // the listeners bindHandler registered, called as the socket's dispatch calls them
    const [sync] = socket.listeners("sync");
    const [async] = socket.listeners("async");
    expect(() => sync!()).toThrow("sync bug");
    await expect((async as () => Promise<void>)()).rejects.toThrow("async bug");
  });

  it("of onError itself are thrown on", async () => {
    class BadOnError extends Failing {
      onError(): void {
        throw new Error("onError bug");
      }
    }
    const { socket } = await serverSocket(new BadOnError());
    const [sync] = socket.listeners("sync");
    expect(() => sync!()).toThrow("onError bug");
  });
});

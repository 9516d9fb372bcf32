import type { NamespaceHandler, Socket } from "@switchboard/server";
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

  it("keeps the connection when a method throws, and awaits async methods", async () => {
    const io = server();
    io.of("/chat").register(new Chat());
    const a = await connectTestClient(io, "/chat");
    a.emit("boom");
    a.emit("later");
    await a.waitFor("later-done");
    expect(a.connected).toBe(true);
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
    expect(() => io.of("/b").register(new Broken() as NamespaceHandler)).toThrow(TypeError);
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

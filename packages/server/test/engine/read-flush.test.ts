import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { resolveOptions } from "../../src/engine/options.js";
import { Session } from "../../src/engine/session.js";
import { DirectWebSocketTransport } from "../../src/engine/transports/direct-websocket.js";
import { maskedFrame, RecordingSocket } from "./helpers.js";

/** An open session over the direct WebSocket transport whose handler echoes every message. */
function echoSession() {
  const socket = new RecordingSocket();
  const transport = new DirectWebSocketTransport(socket, Buffer.alloc(0), 1 << 20);
  const host = { options: resolveOptions({}), onSessionClosed: () => {} };
  const session = new Session(host, "sid", {} as IncomingMessage, transport);
  session.setHandler({ onMessage: (data) => session.send([data]), onClose: () => {} });
  session.start();
  return { socket, transport, session };
}

/** Unmasked server text frames of short ASCII payloads. */
const serverFrames = (...texts: string[]) =>
  Buffer.concat(texts.map((t) => Buffer.from([0x81, t.length, ...Buffer.from(t)])));

describe("replies written while a read is handled", () => {
  it("leave in one write as soon as the read is done, not at the end of the tick", async () => {
    const { socket, transport, session } = echoSession();
    const frames = ["4a", "4b", "4c"].map((t) => maskedFrame(1, Buffer.from(t)));
    transport.receive(Buffer.concat(frames));
    // Synchronously: the three replies, in order, in one write.
    expect(socket.written).toEqual([serverFrames("4a", "4b", "4c")]);
    await Promise.resolve();
    expect(socket.written).toHaveLength(1);
    session.destroy("test over");
  });

  it("a send outside a read still waits for the end-of-tick flush, and joins it", async () => {
    const { socket, transport, session } = echoSession();
    session.send(["x"]);
    session.send(["y"]);
    expect(socket.written).toEqual([]);
    await Promise.resolve();
    expect(socket.written).toEqual([serverFrames("4x", "4y")]);
    // A read after that flushes on its own.
    transport.receive(maskedFrame(1, Buffer.from("4z")));
    expect(socket.written).toEqual([serverFrames("4x", "4y"), serverFrames("4z")]);
    session.destroy("test over");
  });

  it("a send queued before a read in the same tick goes with the end-of-tick flush, in order", async () => {
    const { socket, transport, session } = echoSession();
    session.send(["first"]);
    transport.receive(maskedFrame(1, Buffer.from("4second")));
    await Promise.resolve();
    expect(Buffer.concat(socket.written)).toEqual(serverFrames("4first", "4second"));
    session.destroy("test over");
  });
});

import { execFileSync } from "node:child_process";
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { DEFAULT_ENGINE_OPTIONS, resolveOptions } from "../../src/engine/options.js";
import { Session } from "../../src/engine/session.js";
import { DirectWebSocketTransport } from "../../src/engine/transports/direct-websocket.js";
import { maskedFrame, RecordingSocket } from "./helpers.js";

/** An open session over the direct WebSocket transport whose handler echoes every message. */
function echoSession() {
  const socket = new RecordingSocket();
  const transport = new DirectWebSocketTransport(socket, Buffer.alloc(0), DEFAULT_ENGINE_OPTIONS);
  const host = { options: resolveOptions({}), onSessionClosed: () => {} };
  const session = new Session(host, "sid", {} as IncomingMessage, transport);
  session.setHandler({ onMessage: (data) => session.send([data]), onClose: () => {} });
  session.start();
  return { socket, transport, session };
}

/** Unmasked server text frames of short ASCII payloads. */
const serverFrames = (...texts: string[]) =>
  Buffer.concat(texts.map((t) => Buffer.from([0x81, t.length, ...Buffer.from(t)])));

const afterReads = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("replies written while a read is handled", () => {
  it("leave in one write once the iteration's reads are done, not per read or per microtask", async () => {
    const { socket, transport, session } = echoSession();
    const frames = ["4a", "4b", "4c"].map((t) => maskedFrame(1, Buffer.from(t)));
    transport.receive(Buffer.concat(frames));
    expect(socket.written).toEqual([]);
    await Promise.resolve();
    expect(socket.written).toEqual([]);
    await afterReads();
    // The three replies, in order, in one write.
    expect(socket.written).toEqual([serverFrames("4a", "4b", "4c")]);
    session.destroy("test over");
  });

  it("reads of several sessions in one iteration: every session's replies in one burst", async () => {
    const a = echoSession();
    const b = echoSession();
    a.transport.receive(maskedFrame(1, Buffer.from("4a1")));
    b.transport.receive(maskedFrame(1, Buffer.from("4b1")));
    a.transport.receive(maskedFrame(1, Buffer.from("4a2")));
    await Promise.resolve();
    expect(a.socket.written).toEqual([]);
    expect(b.socket.written).toEqual([]);
    await afterReads();
    expect(a.socket.written).toEqual([serverFrames("4a1", "4a2")]);
    expect(b.socket.written).toEqual([serverFrames("4b1")]);
    a.session.destroy("test over");
    b.session.destroy("test over");
  });

  it("a send after the read, before the burst, joins the same write in order", async () => {
    const { socket, transport, session } = echoSession();
    transport.receive(maskedFrame(1, Buffer.from("4reply")));
    session.send(["later"]);
    await Promise.resolve();
    session.send(["later still"]);
    await afterReads();
    expect(socket.written).toEqual([serverFrames("4reply", "4later", "4later still")]);
    session.destroy("test over");
  });

  it("a session closed before the burst writes nothing more and is not kept", async () => {
    const { socket, transport, session } = echoSession();
    transport.receive(maskedFrame(1, Buffer.from("4reply")));
    session.destroy("test over");
    const before = socket.written.length;
    await afterReads();
    expect(socket.written).toHaveLength(before);
  });

  it("a send outside a read still waits for the end-of-tick flush, and joins it", async () => {
    const { socket, transport, session } = echoSession();
    session.send(["x"]);
    session.send(["y"]);
    expect(socket.written).toEqual([]);
    await Promise.resolve();
    expect(socket.written).toEqual([serverFrames("4x", "4y")]);
    // A read after that is flushed on its own, after the reads.
    transport.receive(maskedFrame(1, Buffer.from("4z")));
    await afterReads();
    expect(socket.written).toEqual([serverFrames("4x", "4y"), serverFrames("4z")]);
    session.destroy("test over");
  });

  it("a send queued before a read in the same tick goes with the end-of-tick flush, in order", async () => {
    const { socket, transport, session } = echoSession();
    session.send(["first"]);
    transport.receive(maskedFrame(1, Buffer.from("4second")));
    await afterReads();
    expect(Buffer.concat(socket.written)).toEqual(serverFrames("4first", "4second"));
    session.destroy("test over");
  });
});

describe("send with flush: true (WebSocket)", () => {
  it("during a read: the queue, these messages last, leaves now in a write of its own; later sends go with the burst", async () => {
    const { socket, transport, session } = echoSession();
    // The handler answers the read with a flushed message, then sends more.
    session.setHandler({
      onMessage: () => {
        session.send(["before"]);
        session.send(["answer"], { flush: true });
        session.send(["after"]);
      },
      onClose: () => {},
    });
    transport.receive(maskedFrame(1, Buffer.from("4x")));
    expect(socket.written).toEqual([serverFrames("4before", "4answer")]);
    await afterReads();
    expect(socket.written).toEqual([serverFrames("4before", "4answer"), serverFrames("4after")]);
    session.destroy("test over");
  });

  it("outside a read: written at once; the end-of-tick flush then has nothing left to write", async () => {
    const { socket, session } = echoSession();
    session.send(["now"], { flush: true });
    expect(socket.written).toEqual([serverFrames("4now")]);
    await Promise.resolve();
    await afterReads();
    expect(socket.written).toEqual([serverFrames("4now")]);
    session.destroy("test over");
  });
});

describe("a throwing 'drain' listener", () => {
  // An uncaught exception would fail the test runner itself, so the sessions run in a child
  // process (on the built code) that records what reaches process "uncaughtException".
  const dist = (file: string) => new URL(`../../dist/engine/${file}`, import.meta.url).href;
  const script = `
    import { Duplex } from "node:stream";
    import { Session } from "${dist("session.js")}";
    import { DirectWebSocketTransport } from "${dist("transports/direct-websocket.js")}";
    import { resolveOptions } from "${dist("options.js")}";
    class Recording extends Duplex {
      written = [];
      setNoDelay() { return this; }
      setTimeout() { return this; }
      _read() {}
      _write(chunk, _enc, cb) { this.written.push(chunk.toString("latin1")); cb(); }
    }
    const host = { options: resolveOptions({}), onSessionClosed: () => {} };
    function open(id) {
      const socket = new Recording();
      const transport = new DirectWebSocketTransport(socket, Buffer.alloc(0), host.options);
      const session = new Session(host, id, {}, transport);
      session.setHandler({ onMessage: (data) => session.send([data]), onClose: () => {} });
      session.start();
      return { socket, transport, session };
    }
    const frame = (text) => {
      const payload = Buffer.from(text);
      return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
    };
    const caught = [];
    process.on("uncaughtException", (err) => caught.push(err.message));
    const a = open("a");
    const b = open("b");
    a.session.on("drain", () => { throw new Error("drain listener failed"); });
    // End-of-tick flush (microtask), then the after-reads flush (setImmediate).
    a.session.send(["tick"]);
    b.session.send(["tick"]);
    setTimeout(() => {
      a.transport.receive(frame("4read"));
      b.transport.receive(frame("4read"));
      setTimeout(() => {
        process.stdout.write(JSON.stringify({ caught, a: a.socket.written, b: b.socket.written }));
        process.exit(0);
      }, 20);
    }, 20);
  `;

  it("does not keep the other sessions of the flush from writing; the error is uncaught, once per flush", () => {
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 10_000,
    });
    const result = JSON.parse(out) as { caught: string[]; a: string[]; b: string[] };
    expect(result.caught).toEqual(["drain listener failed", "drain listener failed"]);
    const frames = (...texts: string[]) => texts.map((t) => serverFrames(t).toString("latin1"));
    expect(result.a).toEqual(frames("4tick", "4read"));
    expect(result.b).toEqual(frames("4tick", "4read"));
  });
});

import { Duplex } from "node:stream";
import { describe, expect, it } from "vitest";
import { TransportError } from "../../src/engine/errors.js";
import { DEFAULT_ENGINE_OPTIONS } from "../../src/engine/options.js";
import { DirectWebSocketTransport } from "../../src/engine/transports/direct-websocket.js";
import type { WebSocketLimits } from "../../src/engine/transports/frame-receiver.js";
import { maskedFrame as frame, frameOwner, RecordingSocket } from "./helpers.js";

// The direct transport's limits fed in process (issue 12): the exact frame at which each
// one trips, the close code written, and the TransportError code reported to the session.

interface Got {
  messages: Buffer[];
  closed: Error | undefined | null;
}

function open(
  limits: Partial<WebSocketLimits> = {},
  socket: Duplex = new RecordingSocket(),
): { t: DirectWebSocketTransport; got: Got; socket: Duplex } {
  const got: Got = { messages: [], closed: null };
  const t = new DirectWebSocketTransport(socket, Buffer.alloc(0), {
    ...DEFAULT_ENGINE_OPTIONS,
    ...limits,
  });
  t.owner = frameOwner(
    (data) => got.messages.push(Buffer.from(data)),
    (error) => {
      got.closed = error as Error | undefined;
    },
  );
  return { t, got, socket };
}

/** The close code of the last close frame written (server frames are unmasked). */
function closeCodeWritten(socket: RecordingSocket): number | undefined {
  for (let i = socket.written.length - 1; i >= 0; i--) {
    const w = socket.written[i]!;
    if (w[0] === 0x88 && w.length >= 4) return w.readUInt16BE(2);
  }
  return undefined;
}

const EMPTY = Buffer.alloc(0);
const start = () => frame(1, Buffer.from("4"), false);
const cont = (payload = EMPTY, fin = false) => frame(0, payload, fin);

describe("direct WebSocket limits", () => {
  it("closes with 1008 on the fragment past maxMessageFragments (the first frame counts)", () => {
    const { t, got, socket } = open({ maxMessageFragments: 10 });
    t.receive(Buffer.concat([start(), ...Array.from({ length: 9 }, () => cont())]));
    expect(got.closed).toBeNull();
    t.receive(cont());
    expect(got.closed).toBeInstanceOf(TransportError);
    expect(got.closed).toMatchObject({ code: "SB_ERR_WS_TOO_MANY_FRAGMENTS", closeCode: 1008 });
    expect(closeCodeWritten(socket as RecordingSocket)).toBe(1008);
  });

  it("delivers a message of exactly maxMessageFragments frames", () => {
    const { t, got } = open({ maxMessageFragments: 4 });
    t.receive(
      Buffer.concat([start(), cont(Buffer.from("a")), cont(), cont(Buffer.from("b"), true)]),
    );
    expect(got.closed).toBeNull();
    expect(got.messages.map((m) => m.toString())).toEqual(["4ab"]);
  });

  it("charges every continuation frame its header: empty fragments reach the byte limit (1009)", () => {
    // 1 payload byte, then 6-byte empty continuation frames: 1 + 6k > 100 at k = 17.
    const { t, got, socket } = open({ maxHttpBufferSize: 100 });
    t.receive(Buffer.concat([start(), ...Array.from({ length: 16 }, () => cont())]));
    expect(got.closed).toBeNull();
    t.receive(cont());
    expect(got.closed).toMatchObject({ code: "SB_ERR_WS_MESSAGE_TOO_BIG", closeCode: 1009 });
    expect(closeCodeWritten(socket as RecordingSocket)).toBe(1009);
  });

  it("accepts an unfragmented message of exactly maxHttpBufferSize bytes, refuses one more", () => {
    const ok = open({ maxHttpBufferSize: 300 });
    ok.t.receive(frame(2, Buffer.alloc(300, 7)));
    expect(ok.got.closed).toBeNull();
    expect(ok.got.messages[0]!.length).toBe(300);
    const over = open({ maxHttpBufferSize: 300 });
    over.t.receive(frame(2, Buffer.alloc(301, 7)));
    expect(over.got.closed).toMatchObject({ code: "SB_ERR_WS_MESSAGE_TOO_BIG" });
  });

  it("gathers many small fragments into one buffer whose size follows the payload", () => {
    const { t, got } = open();
    const parts: Buffer[] = [start()];
    for (let i = 0; i < 5000; i++) parts.push(cont(Buffer.from([0x61 + (i % 26)])));
    parts.push(cont(EMPTY, true));
    t.receive(Buffer.concat(parts));
    expect(got.closed).toBeNull();
    expect(got.messages).toHaveLength(1);
    const text = got.messages[0]!.toString();
    expect(text.length).toBe(5001);
    expect(text.slice(0, 4)).toBe("4abc");
  });

  it("closes with 1008 past maxControlFrames pings and pongs in one second", () => {
    const { t, got, socket } = open({ maxControlFrames: 5 });
    const ping = frame(9, Buffer.from("x"));
    const pong = frame(10, EMPTY);
    t.receive(Buffer.concat([ping, pong, ping, pong, ping]));
    expect(got.closed).toBeNull();
    // Five control frames so far, at the limit: each of the three pings was answered.
    const pongs = (socket as RecordingSocket).written.filter((w) => w[0] === 0x8a);
    expect(pongs).toHaveLength(3);
    t.receive(pong);
    expect(got.closed).toMatchObject({ code: "SB_ERR_WS_CONTROL_FLOOD", closeCode: 1008 });
    expect(closeCodeWritten(socket as RecordingSocket)).toBe(1008);
  });

  it("stops reading while pongs cannot be written, and reads again once the socket drains", async () => {
    // A socket whose writes never complete until released: writableNeedDrain after 16 KiB.
    const held: (() => void)[] = [];
    let flowing = false;
    class Stalled extends Duplex {
      setNoDelay(): this {
        return this;
      }
      setTimeout(): this {
        return this;
      }
      override _read(): void {}
      override _write(_c: Buffer, _e: string, cb: () => void): void {
        if (flowing) cb();
        else held.push(cb);
      }
    }
    const socket = new Stalled({ highWaterMark: 1024 });
    const { t, got } = open({ maxControlFrames: 1000 }, socket);
    const ping = frame(9, Buffer.alloc(125, 1));
    for (let i = 0; i < 20 && !socket.isPaused(); i++) t.receive(ping);
    expect(socket.writableNeedDrain).toBe(true);
    expect(socket.isPaused()).toBe(true);
    expect(got.closed).toBeNull();
    const drained = new Promise<void>((resolve) => {
      socket.once("drain", () => {
        setImmediate(() => {
          expect(socket.isPaused()).toBe(false);
          resolve();
        });
      });
    });
    // The peer reads again: every held write completes, and the socket emits "drain".
    flowing = true;
    for (const cb of held.splice(0)) cb();
    await drained;
  });
});

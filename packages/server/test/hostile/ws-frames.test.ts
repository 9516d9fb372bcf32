import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeAll } from "../engine/helpers.js";
import {
  closeFrame,
  frame,
  openWebSocket,
  PATHS,
  type RawPeer,
  repeat,
  startTarget,
  type Target,
  type TargetOptions,
  withRsv,
} from "./frames-kit.js";
import { until, watchProcess } from "./harness.js";

// Issue 12: every RFC 6455 error case and every frame-level limit gives the same close code
// on both WebSocket paths (the codes `ws` uses), closes only the offending connection, and
// leaves a healthy client on the same server untouched.

let watch: ReturnType<typeof watchProcess>;
beforeEach(() => {
  watch = watchProcess();
});
afterEach(async () => {
  await closeAll();
  expect(watch.stop()).toEqual([]);
});

const b = (bytes: string | number[]) => Buffer.from(bytes as string);
const cat = (...frames: Buffer[]) => Buffer.concat(frames);

/** `text` split into `n` non-empty pieces, as frames of one message (text, continuations). */
function fragments(text: string | Buffer, n: number): Buffer {
  const bytes = typeof text === "string" ? Buffer.from(text) : text;
  const size = Math.ceil(bytes.length / n);
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const piece = bytes.subarray(i * size, Math.min((i + 1) * size, bytes.length));
    out.push(frame(i === 0 ? 1 : 0, piece, i === n - 1));
  }
  expect(out.length).toBe(n);
  return Buffer.concat(out);
}

/** `421["echo","a…a"]`: an event with ack id 1, exactly `size` bytes. */
function echoOf(size: number): string {
  const text = `421["echo","${"a".repeat(size - 14)}"]`;
  expect(Buffer.byteLength(text)).toBe(size);
  return text;
}

const RESERVED_OPCODES = [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf];
const BAD_CLOSE_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000];

/** [case, bytes the client sends after the open packet, close code expected]. */
const PROTOCOL_ERRORS: Array<[string, Buffer, number]> = [
  ["RSV1 without an extension", withRsv(frame(1, b("4a")), 0x40), 1002],
  ["RSV2", withRsv(frame(1, b("4a")), 0x20), 1002],
  ["RSV3", withRsv(frame(1, b("4a")), 0x10), 1002],
  ["RSV1 on a ping", withRsv(frame(9, b("p")), 0x40), 1002],
  ...RESERVED_OPCODES.map((op): [string, Buffer, number] => [
    `reserved opcode 0x${op.toString(16)}`,
    frame(op, b("x")),
    1002,
  ]),
  ["a fragmented ping (FIN=0)", frame(9, b("p"), false), 1002],
  ["a fragmented close (FIN=0)", frame(8, b([0x03, 0xe8]), false), 1002],
  ["a ping with a 126-byte payload", frame(9, Buffer.alloc(126, 0x70)), 1002],
  ["a pong with a 126-byte payload", frame(0xa, Buffer.alloc(126, 0x70)), 1002],
  [
    "a close with a 126-byte payload",
    frame(8, cat(b([0x03, 0xe8]), Buffer.alloc(124, 0x61))),
    1002,
  ],
  ["an unmasked text frame", b([0x81, 0x02, 0x34, 0x61]), 1002],
  ["an unmasked ping", b([0x89, 0x00]), 1002],
  ["a continuation without a start", frame(0, b("x")), 1002],
  ["an unfinished continuation without a start", frame(0, b("x"), false), 1002],
  [
    "a text frame inside a fragmented message",
    cat(frame(1, b("4a"), false), frame(1, b("4b"))),
    1002,
  ],
  [
    "a binary frame inside a fragmented message",
    cat(frame(1, b("4a"), false), frame(2, b([1]))),
    1002,
  ],
  ["invalid UTF-8 in a text frame", frame(1, b([0x34, 0xff])), 1007],
  ["an overlong UTF-8 encoding", frame(1, b([0x34, 0xc0, 0xaf])), 1007],
  ["a UTF-16 surrogate in UTF-8", frame(1, b([0x34, 0xed, 0xa0, 0x80])), 1007],
  [
    "invalid UTF-8 split across text fragments",
    cat(frame(1, b([0x34, 0xe2, 0x82]), false), frame(0, b([0x28]))),
    1007,
  ],
  ["invalid UTF-8 in a close reason", closeFrame(1000, b([0xff])), 1007],
  ["a close frame with a 1-byte payload", frame(8, b([0x03])), 1002],
  ...BAD_CLOSE_CODES.map((code): [string, Buffer, number] => [
    `close code ${code}`,
    closeFrame(code),
    1002,
  ]),
];

describe.each(PATHS)("hostile frames on the $path path", ({ path, perMessageDeflate }) => {
  async function attacked(options: TargetOptions = {}): Promise<{ t: Target; peer: RawPeer }> {
    const t = await startTarget({ perMessageDeflate, ...options });
    const peer = await openWebSocket(t.port);
    return { t, peer };
  }

  /** The server sent close `code`, closed the connection itself, and nothing else was hurt. */
  async function expectClosed(t: Target, peer: RawPeer, code: number, reason: string) {
    expect(await peer.waitClose()).toBe(code);
    await peer.waitEnd();
    await until(() => t.reasons.length > 0, 3000, "engine close reason");
    expect(t.reasons).toEqual([reason]);
    expect(t.io.engine.clientsCount).toBe(1);
    await t.check(1);
  }

  const cases = PROTOCOL_ERRORS.map(([name, bytes, code]) => [name, code, bytes] as const);
  it.each(cases)("%s → close %i", async (_name, code, bytes) => {
    const { t, peer } = await attacked();
    peer.write(bytes);
    await expectClosed(t, peer, code, "transport error");
  });

  it.each([1000, 3000, 4999])("close code %i is echoed; transport close", async (code) => {
    const { t, peer } = await attacked();
    peer.write(closeFrame(code));
    await expectClosed(t, peer, code, "transport close");
  });

  it("an empty close frame is answered with an empty close frame", async () => {
    const { t, peer } = await attacked();
    peer.write(frame(8, Buffer.alloc(0)));
    await expectClosed(t, peer, 1005, "transport close");
    expect(peer.closeFrame()!.payload.length).toBe(0);
  });

  it("a ping and a pong between two text fragments: pong sent, message delivered", async () => {
    const { t, peer } = await attacked();
    await peer.joinMain();
    peer.write(
      cat(
        frame(1, b('421["echo",'), false),
        frame(9, b("p!")),
        frame(0xa, b("unsolicited")),
        frame(0, b('"hi"]'), true),
      ),
    );
    expect(await peer.waitText((s) => s.startsWith("431"))).toBe('431["hi"]');
    expect(peer.pongs().map(String)).toEqual(["p!"]);
    expect(peer.closeFrame()).toBeUndefined();
    expect(t.reasons).toEqual([]);
    await t.check(1);
  });

  it("a UTF-8 character split across text fragments is delivered", async () => {
    const { peer } = await attacked();
    await peer.joinMain();
    const bytes = b('421["echo","€"]');
    const at = bytes.indexOf(0xe2) + 1;
    peer.write(cat(frame(1, bytes.subarray(0, at), false), frame(0, bytes.subarray(at))));
    expect(await peer.waitText((s) => s.startsWith("431"))).toBe('431["€"]');
  });

  describe("maxHttpBufferSize (1000): the largest message", () => {
    it("a message of exactly 1000 bytes is delivered", async () => {
      const { peer } = await attacked({ maxHttpBufferSize: 1000 });
      await peer.joinMain();
      peer.write(frame(1, b(echoOf(1000))));
      expect(await peer.waitText((s) => s.startsWith("431"))).toBe(`431["${"a".repeat(986)}"]`);
    });

    it("one frame of 1001 bytes → close 1009, transport error", async () => {
      const { t, peer } = await attacked({ maxHttpBufferSize: 1000 });
      await peer.joinMain();
      peer.write(frame(1, b(echoOf(1001))));
      await expectClosed(t, peer, 1009, "transport error");
    });

    it("two fragments of 600 bytes → close 1009", async () => {
      const { t, peer } = await attacked({ maxHttpBufferSize: 1000 });
      peer.write(frame(1, Buffer.alloc(600, 0x34), false));
      peer.write(frame(0, Buffer.alloc(600, 0x61), true));
      await expectClosed(t, peer, 1009, "transport error");
    });

    it("a frame header claiming 2^40 bytes → close 1009 before any payload", async () => {
      const { t, peer } = await attacked({ maxHttpBufferSize: 1000 });
      const head = b([0x82, 0xff, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
      peer.write(head);
      await expectClosed(t, peer, 1009, "transport error");
    });
  });

  // The direct path charges each frame after the first its header bytes (6 for a small
  // masked frame), so a stream of empty continuations cannot go on for free; `ws` counts
  // payload only (its maxFragments ends such a stream), as docs/engine.md says.
  describe("empty continuations are charged 6 header bytes (direct path only)", () => {
    const first = '421["echo",7]'; // 13 bytes
    const message = cat(
      frame(1, b(first), false),
      repeat(frame(0, Buffer.alloc(0), false), 9),
      frame(0, Buffer.alloc(0), true),
    );

    it("13 + 10 × 6 = 73 bytes fit maxHttpBufferSize 73", async () => {
      const { peer } = await attacked({ maxHttpBufferSize: 73, maxMessageFragments: 1000 });
      await peer.joinMain();
      peer.write(message);
      expect(await peer.waitText((s) => s.startsWith("431"))).toBe("431[7]");
    });

    it("and are over maxHttpBufferSize 72 → close 1009 (ws: payload only, 13 bytes, delivered)", async () => {
      const { t, peer } = await attacked({ maxHttpBufferSize: 72, maxMessageFragments: 1000 });
      await peer.joinMain();
      peer.write(message);
      if (path === "direct") await expectClosed(t, peer, 1009, "transport error");
      else expect(await peer.waitText((s) => s.startsWith("431"))).toBe("431[7]");
    });
  });

  describe("maxMessageFragments (8)", () => {
    const text = '421["echo","abcdefgh"]';

    it("a message in 8 frames is delivered", async () => {
      const { peer } = await attacked({ maxMessageFragments: 8 });
      await peer.joinMain();
      peer.write(fragments(text, 8));
      expect(await peer.waitText((s) => s.startsWith("431"))).toBe('431["abcdefgh"]');
    });

    it("a message in 9 frames → close 1008", async () => {
      const { t, peer } = await attacked({ maxMessageFragments: 8 });
      await peer.joinMain();
      peer.write(fragments(text, 9));
      await expectClosed(t, peer, 1008, "transport error");
    });

    it("the count starts again with each message", async () => {
      const { peer } = await attacked({ maxMessageFragments: 8 });
      await peer.joinMain();
      for (let i = 0; i < 3; i++) peer.write(fragments(text, 8));
      await until(() => peer.texts().filter((s) => s.startsWith("431")).length === 3);
      expect(peer.closeFrame()).toBeUndefined();
    });
  });

  // Many frames in one write, so that even if the fixed 1-second window turns over while
  // they are read, one of the two windows holds far more than the limit.
  describe("maxControlFrames (5 per second)", () => {
    it("4 pings are answered; the connection stays open", async () => {
      const { t, peer } = await attacked({ maxControlFrames: 5 });
      peer.write(repeat(frame(9, b("ok")), 4));
      await until(() => peer.pongs().length === 4);
      await peer.joinMain();
      expect(peer.closeFrame()).toBeUndefined();
      expect(t.reasons).toEqual([]);
    });

    it.each([
      ["50 pings", repeat(frame(9, b("p")), 50)],
      ["50 unsolicited pongs", repeat(frame(0xa, b("p")), 50)],
      ["25 pings and 25 pongs", repeat(cat(frame(9, b("p")), frame(0xa, b("q"))), 25)],
    ])("%s in one write → close 1008", async (_name, bytes) => {
      const { t, peer } = await attacked({ maxControlFrames: 5 });
      peer.write(bytes);
      await expectClosed(t, peer, 1008, "transport error");
      // At most two windows' worth were answered (plus one `ws` answers before its event).
      expect(peer.pongs().length).toBeLessThanOrEqual(11);
    });
  });
});

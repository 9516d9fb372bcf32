import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_ENGINE_OPTIONS } from "../../src/engine/options.js";
import { DirectWebSocketTransport } from "../../src/engine/transports/direct-websocket.js";
import { maskedFrame as frame, frameOwner, RecordingSocket } from "./helpers.js";

interface Received {
  messages: { data: Buffer; binary: boolean }[];
  closed: Error | undefined | null;
}

function transport(maxPayload = 1 << 20): { t: DirectWebSocketTransport; got: Received } {
  const got: Received = { messages: [], closed: null };
  const t = new DirectWebSocketTransport(new RecordingSocket(), Buffer.alloc(0), {
    ...DEFAULT_ENGINE_OPTIONS,
    maxHttpBufferSize: maxPayload,
  });
  t.owner = frameOwner(
    // Copied: the payload is a view, and a test must see what was delivered at the time.
    (data, binary) => got.messages.push({ data: Buffer.from(data), binary }),
    (error) => {
      got.closed = error as Error | undefined;
    },
  );
  return { t, got };
}

/** Cuts `bytes` at the given points (sorted, deduplicated, inside the buffer). */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const p of [...at, bytes.length]) {
    if (p > prev) chunks.push(bytes.subarray(prev, p));
    prev = p;
  }
  return chunks;
}

// Lengths at the edges of the three header forms, plus a few in between.
const lengths = fc.oneof(
  fc.constantFrom(0, 1, 125, 126, 127, 65535, 65536, 70000),
  fc.integer({ min: 0, max: 3000 }),
);

const message = fc.record({
  binary: fc.boolean(),
  length: lengths,
  fill: fc.integer({ min: 0x30, max: 0x7a }), // ASCII, so text frames are valid UTF-8
  pieces: fc.integer({ min: 1, max: 3 }), // > 1: sent as fragments
  mask: fc.integer({ min: 0, max: 0xffffffff }),
  pingBefore: fc.boolean(),
});

describe("frames split across chunks", () => {
  it("delivers every message whole and in order, wherever the chunks are cut", () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.boolean(),
        (specs, points, oneByteStart) => {
          const wire: Buffer[] = [];
          const expected: { data: Buffer; binary: boolean }[] = [];
          for (const m of specs) {
            const data = Buffer.alloc(m.length, m.fill);
            expected.push({ data, binary: m.binary });
            if (m.pingBefore) wire.push(frame(0x9, Buffer.from("hi"), true, m.mask));
            const step = Math.max(1, Math.ceil(m.length / m.pieces));
            let sent = 0;
            let first = true;
            do {
              const part = data.subarray(sent, sent + step);
              sent += part.length;
              const opcode = first ? (m.binary ? 2 : 1) : 0;
              wire.push(frame(opcode, part, sent >= m.length, m.mask));
              first = false;
            } while (sent < m.length);
          }
          const bytes = Buffer.concat(wire);
          let chunks = cut(bytes, points);
          if (oneByteStart) {
            // Every boundary inside the first header, too.
            const head = Math.min(16, bytes.length);
            chunks = [
              ...Array.from({ length: head }, (_, i) => bytes.subarray(i, i + 1)),
              ...cut(bytes.subarray(head), points),
            ];
          }
          const { t, got } = transport();
          for (const c of chunks) t.receive(Buffer.from(c));
          expect(got.closed).toBeNull();
          expect(got.messages.map((m) => [m.binary, m.data.length])).toEqual(
            expected.map((m) => [m.binary, m.data.length]),
          );
          for (let i = 0; i < expected.length; i++) {
            expect(got.messages[i]!.data.equals(expected[i]!.data)).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses an oversize frame from its header, before its payload arrives", () => {
    const { t, got } = transport(1000);
    const whole = frame(2, Buffer.alloc(5000, 1), true, 0x01020304);
    t.receive(whole.subarray(0, 3)); // header incomplete: nothing decided yet
    expect(got.closed).toBeNull();
    t.receive(whole.subarray(3, 8)); // header complete: 5000 > 1000
    expect(got.closed).toMatchObject({ closeCode: 1009 });
    expect(got.messages).toEqual([]);
  });

  it("memory for a split frame follows the bytes received, not the length its header claims", () => {
    // A header announcing 900 000 bytes, then only 10 of them.
    const head = Buffer.from(frame(2, Buffer.alloc(900_000), true, 0x01020304).subarray(0, 24));
    const before = process.memoryUsage().arrayBuffers;
    const peers = Array.from({ length: 100 }, () => transport());
    for (const { t } of peers) t.receive(Buffer.from(head));
    const grown = process.memoryUsage().arrayBuffers - before;
    // Set aside up front that would be 90 MB; as received, about 1 KiB each.
    expect(grown).toBeLessThan(10 * 1024 * 1024);
    for (const { got } of peers) expect(got.closed).toBeNull();
  });

  it("a message completed in the middle of a chunk is followed by the frames after it", () => {
    const { t, got } = transport();
    const big = frame(2, Buffer.alloc(70000, 9), true, 0xdeadbeef);
    const small = frame(1, Buffer.from("4x"), true, 0x11223344);
    const bytes = Buffer.concat([big, small, small]);
    t.receive(Buffer.from(bytes.subarray(0, 40000)));
    expect(got.messages).toHaveLength(0);
    t.receive(Buffer.from(bytes.subarray(40000)));
    expect(got.messages.map((m) => m.data.length)).toEqual([70000, 2, 2]);
    expect(got.messages[0]!.data.every((b) => b === 9)).toBe(true);
  });
});

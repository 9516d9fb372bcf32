import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BinaryData } from "../engine/packet.js";
import { ProtocolError } from "../errors.js";
import { SocketPacketDecoder } from "./decoder.js";
import { encodeSocketPacket } from "./encoder.js";
import type { SocketPacket } from "./packet-type.js";

const RUNS = { numRuns: 300 };

/** Object keys, minus the one the protocol reserves for placeholders. */
const key = fc.string({ maxLength: 8 }).filter((k) => k !== "_placeholder");

const binary: fc.Arbitrary<BinaryData> = fc.oneof(
  fc.uint8Array({ maxLength: 16 }),
  fc.uint8Array({ maxLength: 16 }).map((bytes) => bytes.slice().buffer),
);

/** JSON-safe values (no NaN, -0 or undefined, which JSON does not round-trip) with nested binary. */
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
    ),
    binary,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(key, tie("value"), { maxKeys: 4 }),
  ),
}));

const nsp = fc.oneof(
  fc.constant("/"),
  fc.string({ minLength: 1, maxLength: 20 }).map((s) => `/${s.replaceAll(",", "")}`),
);
const ackId = fc.option(fc.nat({ max: Number.MAX_SAFE_INTEGER }), { nil: undefined });
const eventName = fc.string({ maxLength: 30 });
const plainObject = fc.dictionary(key, value, { maxKeys: 4 }).filter((o) => !containsBinary(o));

function containsBinary(v: unknown): boolean {
  if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return true;
  if (Array.isArray(v)) return v.some(containsBinary);
  if (typeof v === "object" && v !== null) return Object.values(v).some(containsBinary);
  return false;
}

const packet: fc.Arbitrary<SocketPacket> = fc.oneof(
  fc.record({ type: fc.constant(0 as const), nsp }),
  fc.record({ type: fc.constant(0 as const), nsp, data: plainObject }),
  fc.record({ type: fc.constant(1 as const), nsp }),
  fc
    .tuple(nsp, eventName, fc.array(value, { maxLength: 4 }), ackId)
    .map(([n, name, args, id]) =>
      id === undefined
        ? { type: 2 as const, nsp: n, data: [name, ...args] }
        : { type: 2 as const, nsp: n, data: [name, ...args], id },
    ),
  fc
    .tuple(nsp, fc.array(value, { maxLength: 4 }), fc.nat({ max: Number.MAX_SAFE_INTEGER }))
    .map(([n, args, id]) => ({ type: 3 as const, nsp: n, data: args, id })),
  fc.record({
    type: fc.constant(4 as const),
    nsp,
    data: fc.oneof(fc.string(), plainObject),
  }),
);

function expectProtocolErrorOnly(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    expect(typeof err.code).toBe("string");
  }
}

describe("socket codec properties", () => {
  it("encode -> decode round-trips arbitrary packets, including nested binary", () => {
    fc.assert(
      fc.property(packet, (original) => {
        const [text, ...attachments] = encodeSocketPacket(original);
        const decoder = new SocketPacketDecoder({ maxNamespaceLength: 100 });
        let decoded = decoder.add(text);
        for (const attachment of attachments) {
          expect(decoded).toBeNull();
          decoded = decoder.add(attachment);
        }
        expect(decoder.awaitingAttachments).toBe(false);
        const binaryType = attachments.length > 0;
        expect(binaryType).toBe("data" in original && containsBinary(original.data));
        const expected =
          binaryType && (original.type === 2 || original.type === 3)
            ? { ...original, type: original.type + 3 }
            : original;
        expect(decoded).toEqual(expected);
      }),
      RUNS,
    );
  });

  it("never mutates the data it encodes", () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 4 }), (args) => {
        const data = ["event", ...args];
        const snapshot = structuredClone(data);
        encodeSocketPacket({ type: 2, nsp: "/", data });
        expect(data).toEqual(snapshot);
      }),
      RUNS,
    );
  });

  it("the decoder throws nothing but ProtocolError on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        expectProtocolErrorOnly(() => new SocketPacketDecoder().add(text));
      }),
      RUNS,
    );
  });

  it("the decoder throws nothing but ProtocolError on protocol-shaped sequences", () => {
    const fragment = fc.constantFrom(
      "0",
      "1",
      "2",
      "3",
      "4",
      "5",
      "6",
      "9",
      "1-",
      "2-",
      "-",
      "/",
      "/admin",
      ",",
      "12",
      "99999999999999999",
      "[",
      "]",
      "{",
      "}",
      '"ev"',
      '"_placeholder"',
      ":",
      "true",
      '"num"',
      "0.5",
      "-1",
      "null",
    );
    const text = fc.array(fragment, { minLength: 1, maxLength: 12 }).map((parts) => parts.join(""));
    const message = fc.oneof(text, text, fc.uint8Array({ maxLength: 4 }));
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 6 }), (messages) => {
        const decoder = new SocketPacketDecoder();
        for (const m of messages) expectProtocolErrorOnly(() => decoder.add(m));
      }),
      { numRuns: 500 },
    );
  });
});

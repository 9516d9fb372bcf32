import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProtocolError } from "../errors.js";
import { decodeBase64, encodeBase64 } from "./base64.js";
import {
  decodeEnginePacket,
  ENGINE_PACKET_TYPES,
  type EnginePacket,
  encodeEnginePacket,
  encodePollingPacket,
} from "./packet.js";
import { decodePayload, encodePayload } from "./payload.js";

const RUNS = { numRuns: 300 };

const text = fc.string({ maxLength: 30 }).map((s) => s.replaceAll("\x1e", ""));
const packet: fc.Arbitrary<EnginePacket> = fc.oneof(
  fc.record({ type: fc.constantFrom(...ENGINE_PACKET_TYPES) }),
  fc.record({ type: fc.constantFrom(...ENGINE_PACKET_TYPES), data: text }),
  fc.record({ type: fc.constant("message" as const), data: fc.uint8Array({ maxLength: 40 }) }),
);

/** What a packet decodes back to: empty text is dropped, except a message always has data. */
function normalised(p: EnginePacket): EnginePacket {
  if (p.type === "message") return { type: "message", data: p.data ?? "" };
  return p.data === undefined || p.data === "" ? { type: p.type } : p;
}

function expectProtocolErrorOnly(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
  }
}

describe("engine codec properties", () => {
  it("base64 round-trips and matches Node's encoder", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const encoded = encodeBase64(bytes);
        expect(encoded).toBe(Buffer.from(bytes).toString("base64"));
        expect(decodeBase64(encoded)).toEqual(bytes);
      }),
      RUNS,
    );
  });

  it("packets round-trip over WebSocket frames and polling", () => {
    fc.assert(
      fc.property(packet, (p) => {
        expect(decodeEnginePacket(encodeEnginePacket(p))).toEqual(normalised(p));
        expect(decodeEnginePacket(encodePollingPacket(p))).toEqual(normalised(p));
      }),
      RUNS,
    );
  });

  it("payloads round-trip", () => {
    fc.assert(
      fc.property(fc.array(packet, { minLength: 1, maxLength: 20 }), (packets) => {
        expect(decodePayload(encodePayload(packets))).toEqual(packets.map(normalised));
      }),
      RUNS,
    );
  });

  it("decoders throw nothing but ProtocolError on arbitrary input", () => {
    const noisy = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc
        .array(fc.constantFrom("0", "4", "b", "\x1e", "A", "=", "Zg==", "x", ""), { maxLength: 10 })
        .map((parts) => parts.join("")),
    );
    fc.assert(
      fc.property(noisy, fc.nat({ max: 5 }), (input, max) => {
        expectProtocolErrorOnly(() => decodeEnginePacket(input));
        expectProtocolErrorOnly(() => decodePayload(input));
        expectProtocolErrorOnly(() => decodePayload(input, max));
        expectProtocolErrorOnly(() => decodeBase64(input));
      }),
      RUNS,
    );
  });
});

import { type EnginePacket, encodePayload } from "@switchboard/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  controlPacket,
  PreparedMessage,
  pollingPayload,
  pollingPayloadBytes,
} from "../../src/engine/framing.js";

// framing.ts joins a poll answer from each message's cached polling form instead of calling
// the protocol package's encodePayload for every recipient (docs/engine.md, "Structure").
// That is only allowed while the bytes are the same: checked here against the protocol's
// encoder, with the Content-Length the answer is given.

const message = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  fc.uint8Array({ maxLength: 64 }),
);

describe("the polling payload of framing.ts", () => {
  it("is encodePayload's bytes, and its byte count is the UTF-8 length", () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 8 }), (data) => {
        const prepared = data.map((d) => new PreparedMessage(d));
        const packets: EnginePacket[] = data.map((d) => ({ type: "message", data: d }));
        const body = pollingPayload(prepared);
        expect(body).toBe(encodePayload(packets));
        expect(pollingPayloadBytes(prepared)).toBe(Buffer.byteLength(body, "utf8"));
      }),
    );
  });

  it("frames control packets with their type digit", () => {
    const packets: EnginePacket[] = [
      { type: "noop" },
      { type: "close" },
      { type: "pong", data: "probe" },
    ];
    const prepared = [controlPacket("6"), controlPacket("1"), controlPacket("3", "probe")];
    expect(pollingPayload(prepared)).toBe(encodePayload(packets));
  });
});

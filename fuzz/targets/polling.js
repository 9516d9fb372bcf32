// The long-polling POST body path (PollingTransport): a hostile client's body, cut into
// `data` events at fuzzer-chosen points, then `end`, over fake request/response objects.
//
// Input: byte 0 picks the limits: bits 0-1 maxHttpBufferSize (8, 64, 1000, 1e6), bits 2-3
// maxPayloadPackets (1, 3, 16, 256), bits 4-5 maxBodyChunks (1, 2, 4, 10000), bits 6-7
// the Content-Length header (absent, exact, 0, exact + 1000). Byte 1: how the body is cut
// (lib/split.js); bit 3: a second, overlapping POST arrives after the first chunk. The rest
// is the body.
//
// Checked against a model of the documented behaviour: every POST gets exactly one answer
// (200 "ok" with the packets decodePayload gives for the body, 400 with a ProtocolError
// for the session, or 413 with the right TransportError code when a limit is crossed, at
// the chunk that crosses it); nothing thrown; no listener left on the request or response;
// Buffers allocated within a small multiple of the body; and a second POST afterwards is
// handled from a clean state.
import { EventEmitter } from "node:events";
import { isDeepStrictEqual } from "node:util";
import { decodePayload, ProtocolError } from "@switchboard/protocol";
import { TransportError, TransportErrorCode } from "../../packages/server/dist/engine/errors.js";
import { PollingTransport } from "../../packages/server/dist/engine/transports/polling.js";
import { meter, metered } from "../lib/alloc-meter.js";
import { check } from "../lib/check.js";
import { split } from "../lib/split.js";

export const maxLen = 4096;
export const dictionary = [
  "\x1e",
  "4hello",
  "2probe",
  "3probe",
  "5",
  "6",
  "1",
  "bAQIDBA==",
  '42["message","hi"]',
  '451-["file",{"_placeholder":true,"num":0}]\x1ebAQID',
  "\u00e9",
  Buffer.from("e282", "hex"),
];

const MAX_BYTES = [8, 64, 1000, 1e6];
const MAX_PACKETS = [1, 3, 16, 256];
const MAX_CHUNKS = [1, 2, 4, 10_000];

/**
 * @typedef {{ answer: string, packets?: unknown, error?: string }} Answer
 */

/** @param {Buffer} data */
export function fuzz(data) {
  const options = data[0] ?? 0;
  const choice = data[1] ?? 0;
  const body = data.subarray(2);
  const limits = {
    maxHttpBufferSize: /** @type {number} */ (MAX_BYTES[options & 3]),
    maxPayloadPackets: /** @type {number} */ (MAX_PACKETS[(options >> 2) & 3]),
    maxBodyChunks: /** @type {number} */ (MAX_CHUNKS[(options >> 4) & 3]),
    bodyTimeout: 30_000,
  };
  const lengthMode = options >> 6;
  const declared =
    lengthMode === 0
      ? undefined
      : lengthMode === 1
        ? body.length
        : lengthMode === 2
          ? 0
          : body.length + 1000;

  /** @type {Map<object, Answer[]>} answers by response */
  const answers = new Map();
  /** @param {object} res @param {Answer} a */
  const answer = (res, a) => {
    const list = answers.get(res) ?? [];
    list.push(a);
    answers.set(res, list);
  };
  /** @type {{ reason: string, description: unknown }[]} */
  const errors = [];
  /** @type {unknown[][]} */
  const delivered = [];
  const responder = {
    payload() {
      check(false, "payload without a GET");
    },
    binaryPayload() {
      check(false, "binary payload without a GET");
    },
    /** @param {unknown} _req @param {object} res */
    ok(_req, res) {
      answer(res, { answer: "ok" });
    },
    /** @param {unknown} _req @param {object} res @param {{ code: number }} error */
    reject(_req, res, error) {
      answer(res, { answer: `abort ${error.code}` });
    },
    /** @param {unknown} _req @param {object} res @param {number} status */
    refuseBody(_req, res, status) {
      answer(res, { answer: `refuse ${status}` });
    },
  };
  const transport = new PollingTransport(/** @type {any} */ (responder), limits);
  transport.owner = {
    /** @param {unknown} _t @param {unknown[]} packets */
    onPackets(_t, packets) {
      delivered.push(packets);
    },
    onPoll() {
      check(false, "onPoll on a POST");
    },
    /** @param {unknown} _t @param {string} reason @param {unknown} description */
    onTransportClose(_t, reason, description) {
      errors.push({ reason, description });
    },
    onFrame() {
      check(false, "onFrame from the polling transport");
    },
    onDrain() {},
  };

  /**
   * One POST of `pieces`; `overlap` sends a second POST after the first piece.
   *
   * @param {Buffer[]} pieces
   * @param {boolean} overlap
   */
  const post = (pieces, overlap) => {
    const req = Object.assign(new EventEmitter(), {
      method: "POST",
      headers: declared === undefined ? {} : { "content-length": String(declared) },
    });
    const res = new EventEmitter();
    const before = { errors: errors.length, delivered: delivered.length };
    /** @type {[number, number]} errors reported for the overlapping POST, not this one */
    let foreign = [0, 0];
    metered(() => transport.handleRequest(/** @type {any} */ (req), /** @type {any} */ (res)));
    /** @type {{ answer: string, code?: string, at: number } | null} the model's answer */
    let expected = null;
    if (declared !== undefined && declared > limits.maxHttpBufferSize) {
      expected = { answer: "refuse 413", code: TransportErrorCode.BODY_TOO_LARGE, at: 0 };
    }
    let bytes = 0;
    for (let i = 0; i < pieces.length; i++) {
      const piece = /** @type {Buffer} */ (pieces[i]);
      if (expected === null) {
        bytes += piece.length;
        if (bytes > limits.maxHttpBufferSize) {
          expected = { answer: "refuse 413", code: TransportErrorCode.BODY_TOO_LARGE, at: i };
        } else if (i + 1 > limits.maxBodyChunks) {
          expected = { answer: "refuse 413", code: TransportErrorCode.BODY_TOO_MANY_CHUNKS, at: i };
        }
      }
      metered(() => req.emit("data", piece));
      if (expected !== null) {
        check(answers.get(res)?.length === 1, `no answer right after the chunk crossing a limit`);
      }
      if (i === 0 && overlap) {
        const req2 = Object.assign(new EventEmitter(), { method: "POST", headers: {} });
        const res2 = new EventEmitter();
        const errorsBefore = errors.length;
        metered(() =>
          transport.handleRequest(/** @type {any} */ (req2), /** @type {any} */ (res2)),
        );
        if (expected === null) {
          check(
            isDeepStrictEqual(answers.get(res2), [{ answer: "abort 3" }]),
            "overlapping POST not refused",
          );
          check(errors.length === errorsBefore + 1, "overlapping POST not reported");
        } else {
          // the first POST is over: this one is read like any other, and ends empty
          metered(() => req2.emit("end"));
          check(answers.get(res2)?.length === 1, "second POST unanswered");
        }
        foreign = [errorsBefore, errors.length];
        check(
          req2.listenerCount("data") + req2.listenerCount("end") === 0,
          "listeners left on a POST",
        );
      }
    }
    metered(() => req.emit("end"));
    const got = answers.get(res) ?? [];
    check(got.length === 1, `POST answered ${got.length} times`);
    check(
      req.listenerCount("data") + req.listenerCount("end") + req.listenerCount("error") === 0 &&
        res.listenerCount("close") === 0,
      "listeners left on a finished POST",
    );
    const newErrors = errors.filter(
      (_, i) => i >= before.errors && (i < foreign[0] || i >= foreign[1]),
    );
    const newPackets = delivered.slice(before.delivered);
    const text = Buffer.concat(pieces).toString("utf8");
    if (expected === null) {
      let packets;
      try {
        packets = decodePayload(text, limits.maxPayloadPackets);
      } catch (err) {
        check(err instanceof ProtocolError, `decodePayload threw ${String(err)}`);
        check(got[0]?.answer === "abort 3", `bad payload answered ${got[0]?.answer}`);
        check(
          newErrors.length === 1 &&
            newErrors[0]?.reason === "parse error" &&
            newErrors[0].description instanceof ProtocolError &&
            newErrors[0].description.code === err.code,
          "bad payload not reported as the parse error",
        );
        check(newPackets.length === 0, "packets delivered from a bad payload");
        return;
      }
      check(got[0]?.answer === "ok", `good payload answered ${got[0]?.answer}`);
      check(newErrors.length === 0, "error reported for a good payload");
      check(
        newPackets.length === 1 && isDeepStrictEqual(newPackets[0], packets),
        "packets differ from the body's",
      );
    } else {
      check(
        got[0]?.answer === expected.answer,
        `expected ${expected.answer}, got ${got[0]?.answer}`,
      );
      const e = newErrors[0]?.description;
      check(
        newErrors.length === 1 &&
          newErrors[0]?.reason === "transport error" &&
          e instanceof TransportError &&
          e.code === expected.code &&
          e.status === 413,
        `refusal not reported as ${expected.code}`,
      );
      check(newPackets.length === 0, "packets delivered from a refused body");
    }
  };

  const pieces = split(body, choice);
  meter.bytes = 0;
  post(pieces, (choice & 8) !== 0);
  const allocated = meter.bytes;
  check(
    // a buffer grown by doubling allocates about 4x its final size in all, 1 KiB at least
    allocated <= 6 * body.length + 4096,
    `${allocated} bytes allocated for a body of ${body.length} bytes`,
  );
  // The same body again in one chunk: nothing of the first POST may be left over.
  post(body.length === 0 ? [] : [body], false);
  transport.terminate();
}

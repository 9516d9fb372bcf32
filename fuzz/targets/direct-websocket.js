// The server's own WebSocket receiver (DirectWebSocketTransport, RFC 6455 server side) on
// the bytes a hostile client sends after the upgrade, over a fake socket.
//
// Input: byte 0 picks the limits and the run's shape, byte 1 how the rest is cut into
// reads (lib/split.js), the rest is what the client sends. Byte 0: bits 0-1
// maxHttpBufferSize (16, 125, 1000, 1e6), bits 2-3 maxMessageFragments (1, 3, 16, 16384),
// bits 4-5 maxControlFrames (1, 4, 100, 100), bit 6 the client does not read (the socket
// reports backpressure past 64 bytes, then drains at the end), bit 7 the server closes
// after the first read. Byte 1 bit 3: the first read arrives as the upgrade's `head`.
//
// Checked, as the server drives it (transport built with head and 101 answer, owner set,
// open packet sent): nothing but TransportError inside the transport, nothing thrown out
// of it; at most one onTransportClose and no frame after it; exactly one once the socket
// has closed (unless the server closed first); a protocol error writes a close frame with
// the error's close code (or destroys a backed-up socket); every message within
// maxHttpBufferSize and text valid UTF-8; the server writes valid unmasked frames, nothing
// after its close frame and never more than it read plus a close frame (no amplification);
// Buffers allocated stay within a small multiple of the input; cutting the same bytes into
// other reads changes nothing the session or the peer can see; and the messages delivered
// and the way the connection ends are those of a plain reading of the bytes against
// RFC 6455 and the limits (lib/ws-model.js).
import { isUtf8 } from "node:buffer";
import { EventEmitter } from "node:events";
import { TransportError, TransportErrorCode } from "../../packages/server/dist/engine/errors.js";
import { DirectWebSocketTransport } from "../../packages/server/dist/engine/transports/direct-websocket.js";
import { meter } from "../lib/alloc-meter.js";
import { check } from "../lib/check.js";
import { split } from "../lib/split.js";
import { readClientBytes } from "../lib/ws-model.js";

export const maxLen = 8192;
export const dictionary = [
  // masked with a zero key (payload in clear): text "4hello", binary, ping, pong, close 1000
  Buffer.from("818000000000", "hex"),
  Buffer.from("8186000000003468656c6c6f", "hex"),
  Buffer.from("8286000000000102030405", "hex"),
  Buffer.from("898000000000", "hex"),
  Buffer.from("8a8000000000", "hex"),
  Buffer.from("88820000000003e8", "hex"),
  Buffer.from("0180000000", "hex"),
  Buffer.from("008000000000", "hex"),
  Buffer.from("808000000000", "hex"),
  Buffer.from("fe", "hex"),
  Buffer.from("ff", "hex"),
  Buffer.from("7e", "hex"),
  Buffer.from("7f", "hex"),
  Buffer.from("00000000", "hex"),
  Buffer.from("37fa213d", "hex"),
  "2probe",
  "4",
  "\u00e9",
  Buffer.from("eda080", "hex"),
];

const MAX_BYTES = [16, 125, 1000, 1e6];
const MAX_FRAGMENTS = [1, 3, 16, 16_384];
const MAX_CONTROL = [1, 4, 100, 100];
const ANSWER =
  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
const OPEN_PACKET =
  '0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}';
const CLOSE_CODES = new Set([1002, 1007, 1008, 1009]);
const ERROR_CODES = new Set(Object.values(TransportErrorCode));

/** @param {number} options byte 0 of the input */
function limitsOf(options) {
  return {
    maxHttpBufferSize: /** @type {number} */ (MAX_BYTES[options & 3]),
    maxMessageFragments: /** @type {number} */ (MAX_FRAGMENTS[(options >> 2) & 3]),
    maxControlFrames: /** @type {number} */ (MAX_CONTROL[(options >> 4) & 3]),
  };
}

/** A socket as the transport uses it: data events in, writes recorded. */
class FakeSocket extends EventEmitter {
  /** @param {number} highWater bytes written and not drained before writes report backpressure */
  constructor(highWater) {
    super();
    this.highWater = highWater;
    /** @type {Buffer[]} */
    this.written = [];
    this.pending = 0;
    this.ended = false;
    this.destroyed = false;
    this.isPaused = false;
    this.timeout = 0;
    this.allowHalfOpen = true;
  }
  get writableNeedDrain() {
    return this.pending > this.highWater;
  }
  get writableLength() {
    return this.pending;
  }
  get writable() {
    return !this.ended && !this.destroyed;
  }
  get readable() {
    return !this.destroyed;
  }
  /** @param {number} ms @param {() => void} [callback] */
  setTimeout(ms, callback) {
    this.timeout = ms;
    if (callback) this.once("timeout", callback);
    return this;
  }
  setNoDelay() {
    return this;
  }
  /** @param {string | Uint8Array} data @param {BufferEncoding} [encoding] */
  write(data, encoding) {
    // A real socket would fail the write with ERR_STREAM_WRITE_AFTER_END.
    check(!this.ended && !this.destroyed, "write after end() or destroy()");
    const bytes =
      typeof data === "string" ? Buffer.from(data, encoding ?? "utf8") : Buffer.from(data);
    this.written.push(bytes);
    this.pending += bytes.length;
    return !this.writableNeedDrain;
  }
  end() {
    this.ended = true;
    return this;
  }
  destroy() {
    this.destroyed = true;
    return this;
  }
  pause() {
    this.isPaused = true;
    return this;
  }
  resume() {
    this.isPaused = false;
    return this;
  }
  cork() {}
  uncork() {}
}

/**
 * @typedef {{ frames: string[], closes: string[], output: string, serverClosed: boolean }} Outcome
 */

/**
 * One connection: the client's bytes in `pieces` (the first as `head` if asked).
 *
 * @param {Buffer[]} pieces
 * @param {number} options byte 0 of the input
 * @param {boolean} withHead
 * @returns {Outcome}
 */
function connect(pieces, options, withHead) {
  const limits = limitsOf(options);
  const backpressure = (options & 0x40) !== 0;
  const serverCloses = (options & 0x80) !== 0;
  const socket = new FakeSocket(backpressure ? 64 : Number.POSITIVE_INFINITY);
  const received = pieces.reduce((n, p) => n + p.length, 0);
  const queue = [...pieces];

  /** @type {string[]} */
  const frames = [];
  /** @type {(Error | undefined)[]} */
  const closes = [];
  let reading = 0;
  /** @type {DirectWebSocketTransport | null} */
  let transport = null;
  const owner = {
    /** @param {unknown} t @param {Buffer} data @param {boolean} isBinary */
    onFrame(t, data, isBinary) {
      check(t === transport, "frame from another transport");
      check(closes.length === 0, "frame after onTransportClose");
      check(
        data.length <= limits.maxHttpBufferSize,
        `message of ${data.length} bytes over the limit`,
      );
      check(isBinary || isUtf8(data), "text message that is not UTF-8");
      frames.push(`${isBinary ? "b" : "t"}${data.toString("hex")}`);
    },
    /** @param {unknown} t @param {string} _reason @param {Error | undefined} err */
    onTransportClose(t, _reason, err) {
      check(t === transport, "close from another transport");
      check(closes.length === 0, "onTransportClose twice");
      closes.push(err);
    },
    onDrain() {},
    onPackets() {
      check(false, "packets from the WebSocket transport");
    },
    onPoll() {},
    onReadStart() {
      check(reading === 0, "read start inside a read");
      reading++;
    },
    onReadEnd() {
      check(reading === 1, "read end without a start");
      reading--;
    },
  };

  meter.on = true;
  meter.bytes = 0;
  const head =
    withHead && queue.length > 0 ? /** @type {Buffer} */ (queue.shift()) : Buffer.alloc(0);
  // As the engine server does: build (reading head), attach the session, send the open packet.
  transport = new DirectWebSocketTransport(/** @type {any} */ (socket), head, limits, ANSWER);
  transport.owner = /** @type {any} */ (owner);
  transport.sendText(OPEN_PACKET);
  transport.releaseAnswer();
  let first = true;
  // Every read is delivered in the end: paused reads wait for the client to drain.
  for (let rounds = 0; queue.length > 0 && rounds <= pieces.length; rounds++) {
    while (queue.length > 0 && !socket.isPaused && !socket.destroyed) {
      socket.emit("data", /** @type {Buffer} */ (queue.shift()));
      check(reading === 0, "read not ended");
      if (first && serverCloses) transport.close();
      first = false;
    }
    if (socket.destroyed) break;
    // The client reads what was written: the socket drains.
    socket.pending = 0;
    socket.emit("drain");
  }
  meter.on = false;
  const allocated = meter.bytes;
  check(
    allocated <= 6 * received + 2048 * (pieces.length + 2) + 4096,
    `${allocated} bytes allocated for ${received} bytes read in ${pieces.length} reads`,
  );

  // The connection ends (the peer or the kernel closes it).
  const closedBefore = closes.length;
  socket.emit("close", false);
  if (!serverCloses) check(closes.length === 1, "the session was never told the connection closed");
  const err = closes[0];
  if (err !== undefined) {
    check(err instanceof TransportError, `closed with ${String(err)}`);
    check(ERROR_CODES.has(err.code), `undocumented code ${err.code}`);
    check(
      err.closeCode !== undefined && CLOSE_CODES.has(err.closeCode),
      `close code ${err.closeCode}`,
    );
  }

  // What the server wrote: the 101 answer once, then valid unmasked frames.
  const output = Buffer.concat(socket.written);
  const text = output.toString("latin1");
  check(text.startsWith(ANSWER), "output does not start with the 101 answer");
  check(text.indexOf(ANSWER, 1) === -1, "101 answer written twice");
  let at = ANSWER.length;
  /** @type {number | null | undefined} close code written (null: none in the frame) */
  let closeWritten;
  let pongBytes = 0;
  while (at < output.length) {
    check(closeWritten === undefined, "bytes written after the close frame");
    check(at + 2 <= output.length, "truncated frame written");
    const b0 = /** @type {number} */ (output[at]);
    const b1 = /** @type {number} */ (output[at + 1]);
    check((b0 & 0xf0) === 0x80 && (b1 & 0x80) === 0, "written frame not final, RSV set or masked");
    let len = b1 & 0x7f;
    let header = 2;
    if (len === 126) {
      len = output.readUInt16BE(at + 2);
      header = 4;
    } else {
      check(len < 127, "huge frame written");
    }
    const opcode = b0 & 0x0f;
    check(opcode === 0x1 || opcode === 0x8 || opcode === 0xa, `opcode ${opcode} written`);
    check(at + header + len <= output.length, "truncated frame written");
    if (opcode === 0xa) pongBytes += header + len;
    if (opcode === 0x8) {
      check(len === 0 || len === 2, "close frame payload");
      closeWritten = len === 2 ? output.readUInt16BE(at + header) : null;
    }
    at += header + len;
  }
  check(pongBytes <= received, "more pong bytes written than read (amplification)");
  if (err !== undefined && closedBefore === 1) {
    check(
      closeWritten === err.closeCode || (closeWritten === undefined && socket.destroyed),
      `error ${err.code} closed with ${closeWritten} instead of ${err.closeCode}`,
    );
  }
  return {
    frames,
    closes: closes.map((e) =>
      e === undefined ? "clean" : `${/** @type {TransportError} */ (e).closeCode}`,
    ),
    output: output.toString("hex"),
    serverClosed: serverCloses,
  };
}

/** @param {Buffer} data */
export function fuzz(data) {
  const options = data[0] ?? 0;
  const choice = data[1] ?? 0;
  const bytes = data.subarray(2);
  const withHead = (choice & 8) !== 0;
  // The receiver unmasks in place: every run gets its own copy.
  const pieces = split(Buffer.from(bytes), choice).map((p) => Buffer.from(p));
  const outcome = connect(pieces, options, withHead);
  if ((options & 0xc0) === 0 && !withHead && pieces.length > 1) {
    const whole = connect([Buffer.from(bytes)], options, false);
    check(
      JSON.stringify(whole) === JSON.stringify(outcome),
      "the same bytes cut into other reads give another outcome",
    );
  }
  // What a plain reading of RFC 6455 and the limits says (frames in `head` reach no session:
  // RFC 6455 section 4.1 has the client wait for the 101 before sending).
  if (!withHead && (options & 0x80) === 0) {
    const expected = readClientBytes(bytes, limitsOf(options));
    check(
      JSON.stringify(outcome.frames) === JSON.stringify(expected.frames),
      "messages differ from a plain reading of the bytes",
    );
    const closed = /** @type {string} */ (outcome.closes[0]);
    const allowed = expected.ends.map((e) => (e.startsWith("error") ? e.slice(6) : "clean"));
    check(
      allowed.includes(closed),
      `connection ended with ${closed}, expected ${expected.ends.join(" or ")}`,
    );
  }
}

import { isUtf8 } from "node:buffer";
import { TransportError, TransportErrorCode } from "../errors.js";
import { PING_OPCODE, PONG_OPCODE } from "../framing.js";

/**
 * The receiving half of the direct WebSocket transport (RFC 6455 server side): client
 * frames parsed from socket chunks, unmasked in place, fragments gathered, every limit
 * checked from the frame header before a byte of payload is set aside. Errors are thrown
 * as {@link TransportError}s with their close code; the transport turns them into a close.
 *
 * The state machine, with named states ({@link ReceiverState}):
 *
 * - `"open"`: frames are parsed and messages delivered.
 * - `"closing"`: our close frame went out (the session closed us); frames are still parsed
 *   for the peer's close frame, messages are dropped.
 * - `"answered"`: the peer closed first and was answered; what it still sends is read and
 *   dropped by the transport until the socket closes.
 * - `"closed"`: detached from the socket.
 *
 * Inside `"open"` and `"closing"`, the bytes between reads are in one of three read states,
 * kept in an {@link RxState} allocated only while one is in use: between frames (none),
 * a frame split across reads (`partial`), a fragmented message in progress (`fragments`).
 */
export type ReceiverState = "open" | "closing" | "answered" | "closed";

/** The limits a connection enforces (the engine's resolved options). */
export interface WebSocketLimits {
  /** Bytes per message: payload plus the header bytes of every frame after the first. */
  readonly maxHttpBufferSize: number;
  /** Frames per fragmented message, the first included. */
  readonly maxMessageFragments: number;
  /** Ping/pong frames per one-second window. */
  readonly maxControlFrames: number;
}

function protocolError(message: string): TransportError {
  return new TransportError(TransportErrorCode.WS_PROTOCOL, message, { closeCode: 1002 });
}

function tooBig(): TransportError {
  return new TransportError(TransportErrorCode.WS_MESSAGE_TOO_BIG, "message too big", {
    closeCode: 1009,
  });
}

function invalidUtf8(message: string): TransportError {
  return new TransportError(TransportErrorCode.WS_INVALID_UTF8, message, { closeCode: 1007 });
}

/** RFC 6455 section 7.4: close codes a peer may send. */
function validCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Below this many bytes the byte loop beats making an Int32Array view. */
const WORD_UNMASK_MIN = 64;

/**
 * XORs `data[start, end)` with the 4-byte masking key, big-endian in `mask` (RFC 6455
 * section 5.3), in place. Browsers pick a random key per frame, so every byte a client
 * sends goes through here: a 32-bit word at a time where the memory is aligned, about 4x
 * faster than a byte loop on 64 KiB.
 */
export function unmask(data: Uint8Array, start: number, end: number, mask: number): void {
  if (mask === 0) return; // a zero key leaves the bytes unchanged
  let i = start;
  if (end - start >= WORD_UNMASK_MIN) {
    // Bytes up to a 4-byte boundary of the underlying memory (Int32Array views need one).
    for (; ((data.byteOffset + i) & 3) !== 0; i++) {
      data[i] = data[i]! ^ ((mask >>> (24 - 8 * ((i - start) & 3))) & 0xff);
    }
  }
  // The key rotated so that its first byte falls on `i`.
  const r = ((i - start) & 3) * 8;
  const key = r === 0 ? mask : ((mask << r) | (mask >>> (32 - r))) >>> 0;
  const words = end - start >= WORD_UNMASK_MIN ? (end - i) >>> 2 : 0;
  if (words > 0) {
    const word = LITTLE_ENDIAN
      ? ((key & 0xff) << 24) | ((key & 0xff00) << 8) | ((key >>> 8) & 0xff00) | (key >>> 24)
      : key | 0;
    const w = new Int32Array(data.buffer, data.byteOffset + i, words);
    let j = 0;
    for (; j + 3 < words; j += 4) {
      w[j] = w[j]! ^ word;
      w[j + 1] = w[j + 1]! ^ word;
      w[j + 2] = w[j + 2]! ^ word;
      w[j + 3] = w[j + 3]! ^ word;
    }
    for (; j < words; j++) w[j] = w[j]! ^ word;
    i += words * 4;
  }
  for (let shift = 24; i < end; i++, shift = (shift + 24) & 31) {
    data[i] = data[i]! ^ ((key >>> shift) & 0xff);
  }
}

/** Receive state beyond whole frames in one chunk: allocated only while in use. */
interface RxState {
  /**
   * The bytes of a frame split across chunks, gathered into a Buffer of its own as they
   * arrive (sized to the whole frame once its header is known), or null. Handed on once
   * complete and never reused: the payload given to the session is a view of it.
   */
  partial: Buffer | null;
  /** Bytes of `partial` filled so far. */
  have: number;
  /** Bytes `partial` needs before it can be parsed: the whole frame, or while its header is incomplete a lower bound. */
  need: number;
  /**
   * The payload of a fragmented message being received (opcode in fragOpcode), gathered
   * into one buffer as fragments arrive (grown by doubling), or null. One buffer rather
   * than a list of fragments: a message of many tiny fragments costs its bytes, not an
   * object per fragment.
   */
  fragments: Buffer | null;
  fragOpcode: number;
  /** Payload bytes of `fragments` filled so far. */
  fragBytes: number;
  /** Frames of the message so far. */
  fragCount: number;
  /** What the message has been charged against the byte limit: payload plus later frames' headers. */
  fragCost: number;
}

function newRx(): RxState {
  return {
    partial: null,
    have: 0,
    need: 0,
    fragments: null,
    fragOpcode: 0,
    fragBytes: 0,
    fragCount: 0,
    fragCost: 0,
  };
}

/** Length of a control-frame rate window, ms. */
const CONTROL_WINDOW_MS = 1000;

/** Smallest buffer set aside for a frame split across reads (see `#stash`) or a fragmented message. */
const MIN_PARTIAL = 1024;

/** Room for the longest frame header (RFC 6455 section 5.2: 2 + 8 length bytes + 4 key bytes). */
const MAX_HEADER = 14;

/** Appends a fragment's payload to the message being gathered, doubling its buffer as needed. */
function appendFragment(rx: RxState, payload: Buffer): void {
  let buf = rx.fragments!;
  const need = rx.fragBytes + payload.length;
  if (need > buf.length) {
    // Outside Node's shared pool: the delivered message is a view of this buffer, and a
    // pooled slice would keep its whole 8 KiB slab alive.
    const grown = Buffer.allocUnsafeSlow(Math.max(need, 2 * buf.length));
    buf.copy(grown, 0, 0, rx.fragBytes);
    rx.fragments = buf = grown;
  }
  payload.copy(buf, rx.fragBytes);
  rx.fragBytes = need;
}

/**
 * The receiver, as a base class of the transport (one object per connection, not two: the
 * idle connection's heap is a measured target). The transport implements the three hooks
 * and moves `state` on its close handshake.
 */
export abstract class FrameReceiver {
  /** Where the connection is (see {@link ReceiverState}); moved by the transport too. */
  protected state: ReceiverState = "open";
  readonly #limits: WebSocketLimits;
  #rx: RxState | null = null;
  /** Start of the current control-frame window (performance.now() ms) and its count. */
  #controlWindow = 0;
  #controlFrames = 0;

  constructor(limits: WebSocketLimits) {
    this.#limits = limits;
  }

  /** A whole message (text already checked to be UTF-8). */
  protected abstract onMessage(message: Buffer, binary: boolean): void;
  /** A ping in state "open", to be answered with a pong of the same payload. */
  protected abstract onPing(payload: Buffer): void;
  /** The peer's close frame (its code checked), in state "open" or "closing". */
  protected abstract onCloseFrame(code: number | undefined): void;

  /** Forgets a partial frame or message (the connection is closing). */
  protected dropReceived(): void {
    this.#rx = null;
  }

  /** Parses one socket chunk; throws a {@link TransportError} on a frame that breaks the rules. */
  protected parseChunk(chunk: Buffer): void {
    const rx = this.#rx;
    const offset = rx !== null && rx.partial !== null ? this.#fill(chunk) : 0;
    if (offset >= 0 && offset < chunk.length) this.#parse(chunk, offset);
  }

  /** Still parsing frames: "open", or "closing" (waiting for the peer's close frame). */
  #parsing(): boolean {
    return this.state === "open" || this.state === "closing";
  }

  /**
   * Copies into the pending split frame only the bytes it still needs, parses it once
   * complete; returns where the rest of `chunk` starts, or -1 when all of it was taken.
   * Copying as bytes arrive (rather than keeping the chunks and joining them at the end)
   * releases each chunk at once: a large frame costs its own size in memory, not twice.
   */
  #fill(chunk: Buffer): number {
    let offset = 0;
    for (;;) {
      const rx = this.#rx;
      if (rx === null || rx.partial === null) return offset;
      let partial = rx.partial;
      if (rx.have === partial.length) {
        // Full, and the frame is not: grow with what has arrived (doubling, up to the frame).
        const grown = Buffer.allocUnsafe(Math.min(rx.need, 2 * partial.length));
        partial.copy(grown, 0, 0, rx.have);
        rx.partial = partial = grown;
      }
      const take = Math.min(rx.need - rx.have, chunk.length - offset, partial.length - rx.have);
      chunk.copy(partial, rx.have, offset, offset + take);
      rx.have += take;
      offset += take;
      if (rx.have < rx.need) {
        if (offset === chunk.length) return -1;
        continue;
      }
      const frame = partial.subarray(0, rx.have);
      rx.partial = null;
      rx.have = 0;
      // One frame, or a header completed just now: then `#parse` stashes it again with the
      // frame's whole length as `need`, and the loop goes on filling from this chunk.
      this.#parse(frame, 0);
      if (!this.#parsing()) return -1;
    }
  }

  /**
   * Keeps the incomplete frame at `data[offset…]` until `need` bytes of it are there. The
   * buffer is sized by what has arrived (twice it, at least MIN_PARTIAL), not by the
   * length the header claims: a peer sending headers of large frames and nothing else
   * gets no more memory set aside than it sent, give or take 1 KiB. A frame that has mostly
   * arrived (the common split at a read boundary) gets its exact size at once.
   */
  #stash(data: Buffer, offset: number, need: number): void {
    let rx = this.#rx;
    if (rx === null) {
      rx = newRx();
      this.#rx = rx;
    }
    const have = data.length - offset;
    const size = Math.min(Math.max(need, MAX_HEADER), Math.max(2 * have, MIN_PARTIAL));
    const partial = Buffer.allocUnsafe(size);
    data.copy(partial, 0, offset);
    rx.partial = partial;
    rx.have = have;
    rx.need = need;
  }

  #parse(data: Buffer, from: number): void {
    let offset = from;
    let need = 0;
    const length = data.length;
    while (offset < length && this.#parsing()) {
      const avail = length - offset;
      if (avail < 2) {
        need = 2;
        break;
      }
      const b0 = data[offset]!;
      const b1 = data[offset + 1]!;
      if ((b0 & 0x70) !== 0) throw protocolError("RSV bits set without an extension");
      if ((b1 & 0x80) === 0) throw protocolError("client frame not masked");
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      let len = b1 & 0x7f;
      let headerLen = 6;
      if (opcode >= 0x8) {
        if (opcode > 0xa) throw protocolError(`invalid opcode ${opcode}`);
        if (!fin || len > 125) throw protocolError("invalid control frame");
      } else if (opcode > 0x2) {
        throw protocolError(`invalid opcode ${opcode}`);
      }
      if (len === 126) {
        if (avail < 4) {
          need = 4;
          break;
        }
        len = data.readUInt16BE(offset + 2);
        headerLen = 8;
      } else if (len === 127) {
        if (avail < 10) {
          need = 10;
          break;
        }
        const high = data.readUInt32BE(offset + 2);
        if (high > 0x1fffff) throw tooBig();
        len = high * 0x100000000 + data.readUInt32BE(offset + 6);
        headerLen = 14;
      }
      // Checked before anything is set aside for the frame's bytes. A continuation frame is
      // charged its header too, so that a stream of empty fragments reaches the limit.
      if (opcode === 0x0) {
        const rx = this.#rx;
        // Refused from its header: never buffered up to a length no message allows.
        if (rx === null || rx.fragments === null)
          throw protocolError("continuation without a start");
        if (rx.fragCost + headerLen + len > this.#limits.maxHttpBufferSize) throw tooBig();
        if (rx.fragCount >= this.#limits.maxMessageFragments) {
          throw new TransportError(
            TransportErrorCode.WS_TOO_MANY_FRAGMENTS,
            "too many message fragments",
            { closeCode: 1008 },
          );
        }
      } else if (opcode < 0x8 && len > this.#limits.maxHttpBufferSize) {
        throw tooBig();
      }
      const total = headerLen + len;
      if (avail < total) {
        need = total;
        break;
      }
      const start = offset + headerLen;
      const end = offset + total;
      unmask(data, start, end, data.readUInt32BE(start - 4));
      offset = end;
      const payload = data.subarray(start, end);
      if (opcode >= 0x8) this.#onControl(opcode, payload);
      else this.#onData(opcode, fin, payload, headerLen);
    }
    if (offset < length && this.#parsing()) {
      this.#stash(data, offset, need);
    } else if (this.#rx !== null && this.#rx.fragments === null && this.#rx.partial === null) {
      this.#rx = null;
    }
  }

  #onData(opcode: number, fin: boolean, payload: Buffer, headerLen: number): void {
    if (this.state === "closing") return; // after our close frame: only the peer's close matters
    let message: Buffer;
    let binary: boolean;
    const rx = this.#rx;
    if (opcode === 0) {
      if (rx === null || rx.fragments === null) {
        throw protocolError("continuation without a start");
      }
      rx.fragCount++;
      rx.fragCost += headerLen + payload.length;
      appendFragment(rx, payload);
      if (!fin) return;
      message = rx.fragments.subarray(0, rx.fragBytes);
      binary = rx.fragOpcode === 0x2;
      rx.fragments = null;
      rx.fragBytes = 0;
    } else {
      if (rx !== null && rx.fragments !== null) {
        throw protocolError("new message inside a fragmented one");
      }
      if (!fin) {
        const state = rx ?? newRx();
        this.#rx = state;
        // Sized by the first fragment (grown by doubling): an empty fragmented message
        // costs nothing ahead of its bytes.
        state.fragments = Buffer.allocUnsafeSlow(payload.length);
        payload.copy(state.fragments);
        state.fragOpcode = opcode;
        state.fragBytes = payload.length;
        state.fragCount = 1;
        state.fragCost = payload.length;
        return;
      }
      message = payload;
      binary = opcode === 0x2;
    }
    if (!binary && !isUtf8(message)) throw invalidUtf8("invalid UTF-8 in a text frame");
    this.onMessage(message, binary);
  }

  /** Counts a ping or pong against `maxControlFrames` per one-second window. */
  #countControl(): void {
    const now = performance.now();
    if (now - this.#controlWindow >= CONTROL_WINDOW_MS) {
      this.#controlWindow = now;
      this.#controlFrames = 0;
    }
    if (++this.#controlFrames > this.#limits.maxControlFrames) {
      throw new TransportError(TransportErrorCode.WS_CONTROL_FLOOD, "too many control frames", {
        closeCode: 1008,
      });
    }
  }

  #onControl(opcode: number, payload: Buffer): void {
    if (opcode === PING_OPCODE) {
      this.#countControl();
      if (this.state === "open") this.onPing(payload);
      return;
    }
    if (opcode === PONG_OPCODE) {
      this.#countControl();
      return;
    }
    // Close (section 5.5.1): check the code and the reason, then hand it on.
    let code: number | undefined;
    if (payload.length === 1) throw protocolError("invalid close frame");
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      if (!validCloseCode(code)) throw protocolError(`invalid close code ${code}`);
      if (!isUtf8(payload.subarray(2))) throw invalidUtf8("invalid close reason");
    }
    this.onCloseFrame(code);
  }
}

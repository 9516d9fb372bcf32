// A minimal WebSocket client (RFC 6455) for the load generator: HTTP Upgrade by hand, a
// frame parser that hands out views of the received bytes, masked sends with a zero key.
// Reads go into one buffer shared by every socket of the process (`net.connect`'s
// `onread`): no allocation per read, and a frame that arrived whole is handed out as a
// view of it. Only a frame split across reads is copied, into the socket's own reusable
// buffer. Views are valid only during `onmessage`; every consumer here reads them at once.
// It is cheaper per message than the `ws` client, so the generator stays far from
// saturation while the servers under test push hundreds of thousands of messages per
// second. `BENCH_GEN_WS=ws` switches the generator back to the `ws` package (same
// interface through `openWebSocket`).
import net from "node:net";
import WebSocket from "ws";

/**
 * @typedef {{
 *   onopen: () => void,
 *   onmessage: (data: Buffer, isBinary: boolean) => void,
 *   onerror: (err: Error) => void,
 *   onclose: () => void,
 *   send(data: string | Buffer): void,
 *   cork(): void,
 *   uncork(): void,
 *   terminate(): void,
 * }} GenSocket
 */

const noop = () => {};
const KEY = "dGhlIHNhbXBsZSBub25jZQ=="; // the server only echoes a hash of it back
const EMPTY = Buffer.alloc(0);
/** Every WsLite socket reads into this (one read is handled before the next starts). */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/** Header length of the frame last measured by {@link frameAt}. */
let headerLen = 0;

/**
 * Length of the whole frame starting at `buf[off]` when `avail` bytes of it are here, or,
 * while its header is incomplete, how many bytes the header needs (2, 4 or 10); sets
 * {@link headerLen}. A masked server frame is a protocol error; its key is skipped.
 * @param {Buffer} buf @param {number} off @param {number} avail
 */
function frameAt(buf, off, avail) {
  if (avail < 2) return 2;
  const b1 = /** @type {number} */ (buf[off + 1]);
  let len = b1 & 0x7f;
  let hdr = 2;
  if (len === 126) {
    if (avail < 4) return 4;
    len = buf.readUInt16BE(off + 2);
    hdr = 4;
  } else if (len === 127) {
    if (avail < 10) return 10;
    len = buf.readUInt32BE(off + 2) * 0x1_0000_0000 + buf.readUInt32BE(off + 6);
    hdr = 10;
  }
  if (b1 & 0x80) hdr += 4;
  headerLen = hdr;
  return hdr + len;
}

/** @implements {GenSocket} */
export class WsLite {
  onopen = noop;
  /** @type {(data: Buffer, isBinary: boolean) => void} */
  onmessage = noop;
  /** @type {(err: Error) => void} */
  onerror = noop;
  onclose = noop;
  #open = false;
  #closed = false;
  /** @type {Buffer[]} the HTTP answer until its blank line */
  #handshake = [];
  /** A frame split across reads, gathered here (reused; grown to the largest frame). */
  #pending = EMPTY;
  #pendingLength = 0;
  /** Bytes the pending frame needs before it can be parsed (header included). */
  #need = 0;
  /** @type {Buffer[]} fragments of a message not finished yet (FIN = 0) */
  #fragments = [];
  #fragmentOpcode = 0;

  /** @param {string} url ws://host:port/path?query @param {string} [localAddress] source address */
  constructor(url, localAddress) {
    const u = new URL(url);
    this.socket = net.connect({
      host: u.hostname,
      port: Number(u.port),
      localAddress,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n, buf) => {
          if (this.#open) this.#onData(buf, n);
          else this.#onHandshake(Buffer.from(buf.subarray(0, n)));
          return true;
        },
      },
    });
    this.socket.on("connect", () => {
      this.socket.write(
        `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.socket.on("error", (err) => this.onerror(err));
    this.socket.on("close", () => {
      if (this.#closed) return;
      this.#closed = true;
      this.onclose();
    });
  }

  /** @param {Buffer} chunk */
  #onHandshake(chunk) {
    this.#handshake.push(chunk);
    const all = Buffer.concat(this.#handshake);
    const end = all.indexOf("\r\n\r\n");
    if (end < 0) return;
    this.#handshake = [];
    const status = all.toString("latin1", 0, Math.min(end, 16));
    if (!status.startsWith("HTTP/1.1 101")) {
      this.onerror(
        new Error(`upgrade refused: ${all.toString("latin1", 0, end).split("\r\n")[0]}`),
      );
      this.terminate();
      return;
    }
    this.#open = true;
    this.onopen();
    if (all.length > end + 4) this.#onData(all.subarray(end + 4), all.length - end - 4);
  }

  /** @param {Buffer} buf read bytes (a view valid during this call) @param {number} n */
  #onData(buf, n) {
    let off = 0;
    while (this.#pendingLength > 0) {
      // Complete the frame split across reads: take only the bytes it still needs.
      const take = Math.min(this.#need - this.#pendingLength, n - off);
      buf.copy(this.#pending, this.#pendingLength, off, off + take);
      this.#pendingLength += take;
      off += take;
      if (this.#pendingLength < this.#need) return;
      const need = frameAt(this.#pending, 0, this.#pendingLength);
      if (need > this.#pendingLength) {
        this.#reserve(need);
        continue; // the header is complete now: the payload is still to come
      }
      this.#pendingLength = 0;
      this.#parse(this.#pending, 0, need);
      if (this.#closed) return;
    }
    off = this.#parse(buf, off, n);
    if (off < n && !this.#closed) {
      const need = frameAt(buf, off, n - off);
      this.#reserve(need);
      buf.copy(this.#pending, 0, off, n);
      this.#pendingLength = n - off;
    }
  }

  /** Makes the pending buffer hold `need` bytes (keeping its content). @param {number} need */
  #reserve(need) {
    this.#need = need;
    if (this.#pending.length >= need) return;
    const grown = Buffer.allocUnsafe(Math.max(need, 2 * this.#pending.length, 64));
    this.#pending.copy(grown, 0, 0, this.#pendingLength);
    this.#pending = grown;
  }

  /**
   * Hands out every whole frame in `buf[off, n)`; returns where the first incomplete one starts.
   * @param {Buffer} buf @param {number} off @param {number} n
   */
  #parse(buf, off, n) {
    while (n - off >= 2 && !this.#closed) {
      const total = frameAt(buf, off, n - off);
      if (n - off < total) break;
      const b0 = /** @type {number} */ (buf[off]);
      const payload = buf.subarray(off + headerLen, off + total);
      off += total;
      this.#frame(b0, payload);
    }
    return off;
  }

  /** @param {number} b0 @param {Buffer} payload */
  #frame(b0, payload) {
    const opcode = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    if (opcode === 1 || opcode === 2) {
      if (fin) this.onmessage(payload, opcode === 2);
      else {
        this.#fragmentOpcode = opcode;
        this.#fragments = [Buffer.from(payload)]; // views do not outlive the read
      }
    } else if (opcode === 0) {
      this.#fragments.push(Buffer.from(payload));
      if (fin) {
        const whole = Buffer.concat(this.#fragments);
        this.#fragments = [];
        this.onmessage(whole, this.#fragmentOpcode === 2);
      }
    } else if (opcode === 9) {
      this.#write(0x8a, Buffer.from(payload));
    } else if (opcode === 8) {
      this.#write(0x88, EMPTY);
      this.terminate();
    }
  }

  /** @param {number} b0 @param {Buffer} payload */
  #write(b0, payload) {
    const len = payload.length;
    const hdr = len < 126 ? 6 : len < 65536 ? 8 : 14;
    if (len <= 1024) {
      const out = Buffer.allocUnsafe(hdr + len);
      this.#header(out, b0, len, hdr);
      payload.copy(out, hdr);
      this.socket.write(out);
      return;
    }
    const head = Buffer.allocUnsafe(hdr);
    this.#header(head, b0, len, hdr);
    this.socket.cork();
    this.socket.write(head);
    this.socket.write(payload);
    this.socket.uncork();
  }

  /** @param {Buffer} out @param {number} b0 @param {number} len @param {number} hdr */
  #header(out, b0, len, hdr) {
    out[0] = b0;
    if (hdr === 6) out[1] = 0x80 | len;
    else if (hdr === 8) {
      out[1] = 0x80 | 126;
      out.writeUInt16BE(len, 2);
    } else {
      out[1] = 0x80 | 127;
      out.writeUInt32BE(0, 2);
      out.writeUInt32BE(len, 6);
    }
    out.writeUInt32BE(0, hdr - 4); // zero masking key: the payload goes out unchanged
  }

  /** @param {string | Buffer} data */
  send(data) {
    if (typeof data !== "string") this.#write(0x82, data);
    else if (data.length < 65536 && Buffer.byteLength(data) === data.length) {
      // ASCII text: header and text as one latin1 string, no Buffer made (zero key: the
      // text goes out unchanged).
      const len = data.length;
      const head =
        len < 126
          ? String.fromCharCode(0x81, 0x80 | len, 0, 0, 0, 0)
          : String.fromCharCode(0x81, 0x80 | 126, len >>> 8, len & 0xff, 0, 0, 0, 0);
      this.socket.write(head + data, "latin1");
    } else this.#write(0x81, Buffer.from(data));
  }

  /** Frames sent until `uncork` leave in one write. */
  cork() {
    this.socket.cork();
  }

  uncork() {
    this.socket.uncork();
  }

  terminate() {
    this.#closed = true;
    this.socket.destroy();
  }
}

/** A zero masking key makes `ws` client framing a copy-free no-op. @param {Buffer} mask */
const zeroMask = (mask) => {
  mask.fill(0, 0, 4);
};

/** The same interface over the `ws` package. @implements {GenSocket} */
class WsPackage {
  onopen = noop;
  /** @type {(data: Buffer, isBinary: boolean) => void} */
  onmessage = noop;
  /** @type {(err: Error) => void} */
  onerror = noop;
  onclose = noop;
  /** @param {string} url @param {string} [localAddress] */
  constructor(url, localAddress) {
    this.ws = new WebSocket(url, {
      localAddress,
      perMessageDeflate: false,
      skipUTF8Validation: true,
      generateMask: zeroMask,
      handshakeTimeout: 20_000,
    });
    this.ws.on("open", () => this.onopen());
    this.ws.on("message", (data, isBinary) =>
      this.onmessage(/** @type {Buffer} */ (data), isBinary),
    );
    this.ws.on("error", (err) => this.onerror(err));
    this.ws.on("close", () => this.onclose());
  }
  /** @param {string | Buffer} data */
  send(data) {
    this.ws.send(data);
  }
  /** ws keeps its net.Socket in `_socket` (no public accessor). */
  cork() {
    /** @type {any} */ (this.ws)._socket?.cork();
  }
  uncork() {
    /** @type {any} */ (this.ws)._socket?.uncork();
  }
  terminate() {
    this.ws.terminate();
  }
}

const useWsPackage = process.env.BENCH_GEN_WS === "ws";

/**
 * Open a generator WebSocket (WsLite, or the `ws` package when BENCH_GEN_WS=ws).
 * @param {string} url @param {string} [localAddress] source address (e.g. 127.0.0.7)
 * @returns {GenSocket}
 */
export function openWebSocket(url, localAddress) {
  return useWsPackage ? new WsPackage(url, localAddress) : new WsLite(url, localAddress);
}

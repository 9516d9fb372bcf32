// The load generator's client over raw `ws`: just enough Engine.IO v4 + Socket.IO v5 over
// WebSocket (open 0{…}, ping 2 → pong 3, CONNECT 40, EVENT 42[…], ACK 43N[…],
// BINARY_EVENT 451-…, BINARY_ACK 461-…, upgrade probe) or the raw-ws target's bare frames.
// Incoming frames stay Buffers: the generator only peeks at the bytes it must check.
import WebSocket from "ws";

const C = {
  zero: 0x30,
  one: 0x31,
  two: 0x32,
  three: 0x33,
  four: 0x34,
  six: 0x36,
  dash: 0x2d,
  lbracket: 0x5b,
  quote: 0x22,
  c: 0x63,
};

/** A zero masking key makes client framing a copy-free no-op (the server cannot tell). */
const zeroMask = (/** @type {Buffer} */ mask) => {
  mask[0] = 0;
  mask[1] = 0;
  mask[2] = 0;
  mask[3] = 0;
};

export const WS_OPTIONS = {
  perMessageDeflate: false,
  skipUTF8Validation: true,
  generateMask: zeroMask,
  handshakeTimeout: 20_000,
};

/**
 * Parse a non-negative decimal integer starting at `at`.
 * @param {Buffer} buf
 * @param {number} at
 */
export function intAt(buf, at) {
  let n = 0;
  let i = at;
  for (; i < buf.length; i++) {
    const c = /** @type {number} */ (buf[i]);
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + c - 0x30;
  }
  return i === at ? -1 : n;
}

const SEQ_KEY = Buffer.from('{"s":');
/** The `s` field of the first `{"s":N` object in a frame, or -1. @param {Buffer} buf */
export function seqOf(buf) {
  const i = buf.indexOf(SEQ_KEY);
  return i < 0 ? -1 : intAt(buf, i + SEQ_KEY.length);
}

/** @typedef {"sio" | "raw"} Kind */

export class LeanWs {
  /** @type {WebSocket | null} */
  ws = null;
  /** Index in the generator's client table. */
  index = 0;
  /** @type {(client: LeanWs, frame: Buffer) => void} */
  onEvent = () => {};
  /** @type {(client: LeanWs, id: number, frame: Buffer) => void} */
  onAck = () => {};
  /** @type {(client: LeanWs, id: number, data: Buffer) => void} */
  onBinaryAck = () => {};
  #pendingBinaryId = -1;
  /** @type {((err?: Error) => void) | null} */
  #settle = null;
  /** @type {string} */
  #authJson;
  sid = "";

  /**
   * @param {Kind} kind
   * @param {string} url ws://127.0.0.1:port/socket.io/?EIO=4&transport=websocket or …/raw
   * @param {Record<string, unknown> | null} auth
   */
  constructor(kind, url, auth) {
    this.kind = kind;
    this.url = url;
    this.#authJson = auth ? JSON.stringify(auth) : "";
  }

  /** Open the WebSocket and complete the namespace CONNECT. @returns {Promise<void>} */
  connect() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, WS_OPTIONS);
      this.ws = ws;
      this.#settle = (err) => {
        this.#settle = null;
        if (err) reject(err);
        else resolve();
      };
      ws.on("message", (data, isBinary) =>
        this.kind === "sio"
          ? this.#onSio(/** @type {Buffer} */ (data), isBinary)
          : this.#onRaw(/** @type {Buffer} */ (data), isBinary),
      );
      ws.on("error", (err) => this.#settle?.(err));
      ws.on("close", () => this.#settle?.(new Error("closed before connect")));
      if (this.kind === "raw") ws.on("open", () => ws.send(`c${this.#authJson}`));
    });
  }

  /** @param {string | Buffer} data */
  send(data) {
    /** @type {WebSocket} */ (this.ws).send(data);
  }

  /** Engine.IO v4 upgrade over an existing polling session: 2probe → 3probe. Caller sends "5". */
  probe() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, WS_OPTIONS);
      this.ws = ws;
      this.#settle = (err) => {
        this.#settle = null;
        if (err) reject(err);
        else resolve(undefined);
      };
      ws.on("open", () => ws.send("2probe"));
      ws.on("message", (data, isBinary) => {
        const buf = /** @type {Buffer} */ (data);
        if (this.#settle && !isBinary && buf.toString() === "3probe") this.#settle();
        else this.#onSio(buf, isBinary);
      });
      ws.on("error", (err) => this.#settle?.(err));
      ws.on("close", () => this.#settle?.(new Error("closed during probe")));
    });
  }

  close() {
    this.ws?.terminate();
  }

  /** @param {Buffer} buf @param {boolean} isBinary */
  #onSio(buf, isBinary) {
    if (isBinary) {
      const id = this.#pendingBinaryId;
      this.#pendingBinaryId = -1;
      this.onBinaryAck(this, id, buf);
      return;
    }
    const c0 = buf[0];
    if (c0 === C.four) {
      const c1 = buf[1];
      if (c1 === C.two) this.onEvent(this, buf);
      else if (c1 === C.three) this.onAck(this, intAt(buf, 2), buf);
      else if (c1 === C.six) this.#pendingBinaryId = intAt(buf, buf.indexOf(C.dash, 2) + 1);
      else if (c1 === C.zero) {
        this.sid = buf.toString("latin1", 2);
        this.#settle?.();
      } else if (c1 === C.four) this.#settle?.(new Error(`connect_error ${buf}`));
    } else if (c0 === C.two) {
      /** @type {WebSocket} */ (this.ws).send("3");
    } else if (c0 === C.zero) {
      /** @type {WebSocket} */ (this.ws).send(`40${this.#authJson}`);
    } else if (c0 === C.one) {
      this.#settle?.(new Error("engine close"));
    }
  }

  /** @param {Buffer} buf @param {boolean} isBinary */
  #onRaw(buf, isBinary) {
    if (isBinary) {
      this.onBinaryAck(this, buf.readUInt32LE(0), buf.subarray(4));
      return;
    }
    const c0 = buf[0];
    if (c0 === C.lbracket) {
      if (buf[1] === C.quote) this.onEvent(this, buf);
      else this.onAck(this, intAt(buf, 1), buf);
    } else if (c0 === C.c) {
      this.sid = buf.toString("latin1", 1);
      this.#settle?.();
    }
  }
}

// The load generator's client over a raw WebSocket (lib/ws-lite.js, or the `ws` package): just enough Engine.IO v4 + Socket.IO v5 over
// WebSocket (open 0{…}, ping 2 → pong 3, CONNECT 40, EVENT 42[…], ACK 43N[…],
// BINARY_EVENT 451-…, BINARY_ACK 461-…, upgrade probe) or the raw-ws target's bare frames.
// Incoming frames stay Buffers: the generator only peeks at the bytes it must check.
import { openWebSocket } from "./ws-lite.js";

/** @typedef {import("./ws-lite.js").GenSocket} GenSocket */

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
  // fast path: 42["tick",{"s":N (Socket.IO) or ["tick",{"s":N (raw) as JSON.stringify writes it
  const at = buf[0] === 0x34 ? 15 : 13;
  if (buf[at - 1] === 0x3a && buf[at - 3] === 0x73 && buf[at - 5] === 0x7b) return intAt(buf, at);
  const i = buf.indexOf(SEQ_KEY);
  return i < 0 ? -1 : intAt(buf, i + SEQ_KEY.length);
}

/** @typedef {"sio" | "raw"} Kind */

export class LeanWs {
  /** @type {GenSocket | null} */
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
   * @param {string} [localAddress] source address of the connection
   */
  constructor(kind, url, auth, localAddress) {
    this.kind = kind;
    this.url = url;
    this.localAddress = localAddress;
    this.#authJson = auth ? JSON.stringify(auth) : "";
  }

  /** Open the WebSocket and complete the namespace CONNECT. @returns {Promise<void>} */
  connect() {
    return new Promise((resolve, reject) => {
      const ws = openWebSocket(this.url, this.localAddress);
      this.ws = ws;
      this.#settle = (err) => {
        this.#settle = null;
        if (err) reject(err);
        else resolve();
      };
      ws.onmessage =
        this.kind === "sio"
          ? (data, isBinary) => this.#onSio(data, isBinary)
          : (data, isBinary) => this.#onRaw(data, isBinary);
      ws.onerror = (err) => this.#settle?.(err);
      ws.onclose = () => this.#settle?.(new Error("closed before connect"));
      if (this.kind === "raw") ws.onopen = () => ws.send(`c${this.#authJson}`);
    });
  }

  /** @param {string | Buffer} data */
  send(data) {
    /** @type {GenSocket} */ (this.ws).send(data);
  }

  /** A text packet and its binary attachment, in one write. @param {string} text @param {Buffer} attachment */
  sendWithAttachment(text, attachment) {
    const ws = /** @type {GenSocket} */ (this.ws);
    ws.cork();
    ws.send(text);
    ws.send(attachment);
    ws.uncork();
  }

  /** Engine.IO v4 upgrade over an existing polling session: 2probe → 3probe. Caller sends "5". */
  probe() {
    return new Promise((resolve, reject) => {
      const ws = openWebSocket(this.url);
      this.ws = ws;
      this.#settle = (err) => {
        this.#settle = null;
        if (err) reject(err);
        else resolve(undefined);
      };
      ws.onopen = () => ws.send("2probe");
      ws.onmessage = (buf, isBinary) => {
        if (this.#settle && !isBinary && buf.toString() === "3probe") this.#settle();
        else this.#onSio(buf, isBinary);
      };
      ws.onerror = (err) => this.#settle?.(err);
      ws.onclose = () => this.#settle?.(new Error("closed during probe"));
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
      /** @type {GenSocket} */ (this.ws).send("3");
    } else if (c0 === C.zero) {
      /** @type {GenSocket} */ (this.ws).send(`40${this.#authJson}`);
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

// The load generator's HTTP long-polling client over keep-alive connections (one for the
// GET loop, one for POSTs; lib/http-lite.js): Engine.IO v4 polling handshake, CONNECT over
// POST, then a GET loop; payload packets are split on \x1e.
// For the raw-ws target it speaks the bare long-polling of bench/servers/raw-ws.js.
import { httpClient } from "./http-lite.js";

/** @typedef {import("./http-lite.js").HttpClient} HttpClient */

/**
 * The `s` field of the first `{"s":N` object in `text` at or after `from`, or -1.
 * @param {string} text
 * @param {number} [from]
 */
export function seqOfText(text, from = 0) {
  // fast path: 42["tick",{"s":N (Socket.IO) or ["tick",{"s":N (raw) as JSON.stringify writes it
  const fast = from + (text.charCodeAt(from) === 0x34 ? 10 : 8);
  const i = text.startsWith('{"s":', fast) ? fast : text.indexOf('{"s":', from);
  if (i < 0) return -1;
  let n = 0;
  let j = i + 5;
  for (; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + c - 0x30;
  }
  return j === i + 5 ? -1 : n;
}

export class LeanPolling {
  index = 0;
  sid = "";
  running = false;
  /** Called for each event packet: the payload text and the packet's start offset in it. */
  /** @type {(client: LeanPolling, payload: string, at: number) => void} */
  onEvent = () => {};
  errors = 0;
  /** GET answers that carried at least one event (reset by the generator's `expect`). */
  eventAnswers = 0;
  /** @type {Promise<void> | null} */
  loop = null;

  /** @type {HttpClient | null} */
  #post = null;

  /**
   * @param {"sio" | "raw"} kind
   * @param {number} port
   * @param {Record<string, unknown> | null} auth
   */
  constructor(kind, port, auth) {
    this.kind = kind;
    this.port = port;
    this.authJson = auth ? JSON.stringify(auth) : "";
    this.http = httpClient(port);
  }

  /** @param {string} path @param {string} body */
  post(path, body) {
    this.#post ??= httpClient(this.port);
    return this.#post.request("POST", path, body);
  }

  /** @param {string} path */
  get(path) {
    return this.http.request("GET", path);
  }

  get #base() {
    return this.kind === "sio"
      ? `/socket.io/?EIO=4&transport=polling&sid=${this.sid}`
      : `/raw-poll?id=${this.sid}`;
  }

  /** Handshake + namespace CONNECT; resolves once the CONNECT answer has been polled. */
  async connect() {
    if (this.kind === "raw") {
      const res = await this.post("/raw-poll", `c${this.authJson}`);
      if (res.status !== 200 || res.text[0] !== "c") throw new Error(`raw handshake ${res.status}`);
      this.sid = res.text.slice(1);
      return;
    }
    const open = await this.get("/socket.io/?EIO=4&transport=polling");
    if (open.status !== 200 || open.text[0] !== "0") throw new Error(`handshake ${open.status}`);
    this.sid = JSON.parse(open.text.slice(1)).sid;
    const post = await this.post(this.#base, `40${this.authJson}`);
    if (post.status !== 200) throw new Error(`connect POST ${post.status}`);
    for (let i = 0; i < 10; i++) {
      const res = await this.get(this.#base);
      if (res.status !== 200) throw new Error(`poll ${res.status}`);
      if (this.#handle(res.text)) return;
    }
    throw new Error("no CONNECT answer");
  }

  /** One GET; resolves with its packets handled. */
  async pollOnce() {
    const res = await this.get(this.#base);
    if (res.status !== 200) throw new Error(`poll ${res.status}`);
    this.#handle(res.text);
  }

  /** Start the GET loop (runs until stop()). */
  start() {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          await this.pollOnce();
        } catch {
          this.errors++;
          this.running = false;
        }
      }
    })();
  }

  stop() {
    this.running = false;
    this.http.close();
    this.#post?.close();
  }

  /** @param {string} payload @returns {boolean} whether a CONNECT answer was seen */
  #handle(payload) {
    let connected = false;
    let events = false;
    let at = 0;
    while (at < payload.length) {
      let end = payload.indexOf("\x1e", at);
      if (end < 0) end = payload.length;
      const c0 = payload.charCodeAt(at);
      if (this.kind === "raw") {
        this.onEvent(this, payload, at);
        events = true;
      } else if (c0 === 0x34) {
        const c1 = payload.charCodeAt(at + 1);
        if (c1 === 0x32) {
          this.onEvent(this, payload, at);
          events = true;
        } else if (c1 === 0x30) connected = true;
      } else if (c0 === 0x32) {
        this.post(this.#base, "3").catch(() => this.errors++);
      } else if (c0 === 0x31) {
        this.running = false;
      }
      at = end + 1;
    }
    if (events) this.eventAnswers++;
    return connected;
  }
}

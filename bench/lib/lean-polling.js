// The load generator's HTTP long-polling client (keep-alive agent): Engine.IO v4 polling
// handshake, CONNECT over POST, then a GET loop; payload packets are split on \x1e.
// For the raw-ws target it speaks the bare long-polling of bench/servers/raw-ws.js.
import http from "node:http";

/**
 * @param {http.Agent} agent
 * @param {number} port
 * @param {"GET" | "POST"} method
 * @param {string} path
 * @param {string} [body]
 * @returns {Promise<{ status: number, text: string }>}
 */
export function request(agent, port, method, path, body) {
  return new Promise((resolve, reject) => {
    /** @type {http.OutgoingHttpHeaders} */
    const headers =
      body === undefined
        ? {}
        : { "content-type": "text/plain;charset=UTF-8", "content-length": Buffer.byteLength(body) };
    const req = http.request({ host: "127.0.0.1", port, method, path, agent, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** The `s` field of the first `{"s":N` object in a text packet, or -1. @param {string} text */
export function seqOfText(text) {
  const i = text.indexOf('{"s":');
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
  /** @type {(client: LeanPolling, packet: string) => void} */
  onEvent = () => {};
  errors = 0;
  /** @type {Promise<void> | null} */
  loop = null;

  /**
   * @param {"sio" | "raw"} kind
   * @param {number} port
   * @param {http.Agent} agent
   * @param {Record<string, unknown> | null} auth
   */
  constructor(kind, port, agent, auth) {
    this.kind = kind;
    this.port = port;
    this.agent = agent;
    this.authJson = auth ? JSON.stringify(auth) : "";
  }

  get #base() {
    return this.kind === "sio"
      ? `/socket.io/?EIO=4&transport=polling&sid=${this.sid}`
      : `/raw-poll?id=${this.sid}`;
  }

  /** Handshake + namespace CONNECT; resolves once the CONNECT answer has been polled. */
  async connect() {
    if (this.kind === "raw") {
      const res = await request(this.agent, this.port, "POST", "/raw-poll", `c${this.authJson}`);
      if (res.status !== 200 || res.text[0] !== "c") throw new Error(`raw handshake ${res.status}`);
      this.sid = res.text.slice(1);
      return;
    }
    const open = await request(this.agent, this.port, "GET", "/socket.io/?EIO=4&transport=polling");
    if (open.status !== 200 || open.text[0] !== "0") throw new Error(`handshake ${open.status}`);
    this.sid = JSON.parse(open.text.slice(1)).sid;
    const post = await request(this.agent, this.port, "POST", this.#base, `40${this.authJson}`);
    if (post.status !== 200) throw new Error(`connect POST ${post.status}`);
    for (let i = 0; i < 10; i++) {
      const res = await request(this.agent, this.port, "GET", this.#base);
      if (res.status !== 200) throw new Error(`poll ${res.status}`);
      if (this.#handle(res.text)) return;
    }
    throw new Error("no CONNECT answer");
  }

  /** One GET; resolves with its packets handled. */
  async pollOnce() {
    const res = await request(this.agent, this.port, "GET", this.#base);
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
  }

  /** @param {string} payload @returns {boolean} whether a CONNECT answer was seen */
  #handle(payload) {
    let connected = false;
    let at = 0;
    while (at < payload.length) {
      let end = payload.indexOf("\x1e", at);
      if (end < 0) end = payload.length;
      const c0 = payload.charCodeAt(at);
      if (this.kind === "raw") {
        this.onEvent(this, payload.slice(at, end));
      } else if (c0 === 0x34) {
        const c1 = payload.charCodeAt(at + 1);
        if (c1 === 0x32) this.onEvent(this, payload.slice(at, end));
        else if (c1 === 0x30) connected = true;
      } else if (c0 === 0x32) {
        request(this.agent, this.port, "POST", this.#base, "3").catch(() => this.errors++);
      } else if (c0 === 0x31) {
        this.running = false;
      }
      at = end + 1;
    }
    return connected;
  }
}

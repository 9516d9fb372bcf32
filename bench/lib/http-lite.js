// A minimal HTTP/1.1 keep-alive client for the load generator's long-polling: one TCP
// connection, requests answered in order, Content-Length or chunked bodies. Much cheaper
// per request than node:http's ClientRequest + Agent, so the generator is not what limits
// long-polling throughput. `BENCH_GEN_HTTP=agent` switches back to node:http with a
// keep-alive Agent (same interface through `httpClient`).
import http from "node:http";
import net from "node:net";

/** @typedef {{ status: number, text: string }} HttpResponse */
/** @typedef {{ request(method: "GET" | "POST", path: string, body?: string): Promise<HttpResponse>, close(): void }} HttpClient */

const CRLFCRLF = Buffer.from("\r\n\r\n");

/** @implements {HttpClient} */
export class HttpLite {
  /** @type {{ resolve: (r: HttpResponse) => void, reject: (e: Error) => void }[]} */
  #waiting = [];
  /** @type {Buffer} */
  #buf = Buffer.alloc(0);
  /** @type {{ status: number, length: number, chunked: boolean, bodyStart: number } | null} */
  #head = null;
  #closed = false;

  /** @param {number} port */
  constructor(port) {
    this.port = port;
    this.socket = net.connect({ host: "127.0.0.1", port, noDelay: true });
    this.socket.on("data", (chunk) => this.#onData(chunk));
    this.socket.on("error", (err) => this.#fail(err));
    this.socket.on("close", () => this.#fail(new Error("connection closed")));
  }

  /** @param {"GET" | "POST"} method @param {string} path @param {string} [body] @returns {Promise<HttpResponse>} */
  request(method, path, body) {
    if (this.#closed) return Promise.reject(new Error("connection closed"));
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      const head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\n`;
      if (body === undefined) this.socket.write(`${head}\r\n`);
      else {
        this.socket.write(
          `${head}Content-Type: text/plain;charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
      }
    });
  }

  close() {
    this.#closed = true;
    this.socket.destroy();
  }

  /** @param {Error} err */
  #fail(err) {
    this.#closed = true;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) w.reject(err);
  }

  /** @param {Buffer} chunk */
  #onData(chunk) {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    for (;;) {
      if (this.#head === null) {
        const end = this.#buf.indexOf(CRLFCRLF);
        if (end < 0) return;
        const lines = this.#buf.toString("latin1", 0, end).split("\r\n");
        const status = Number((lines[0] ?? "").split(" ")[1]);
        let length = 0;
        let chunked = false;
        for (let i = 1; i < lines.length; i++) {
          const line = /** @type {string} */ (lines[i]);
          const colon = line.indexOf(":");
          const name = line.slice(0, colon).toLowerCase();
          const value = line.slice(colon + 1).trim();
          if (name === "content-length") length = Number(value);
          else if (name === "transfer-encoding" && value.toLowerCase().includes("chunked"))
            chunked = true;
        }
        this.#head = { status, length, chunked, bodyStart: end + 4 };
      }
      const head = this.#head;
      /** @type {string | null} */
      let text = null;
      let consumed = 0;
      if (head.chunked) {
        const r = decodeChunked(this.#buf, head.bodyStart);
        if (r === null) return;
        text = r.text;
        consumed = r.end;
      } else {
        if (this.#buf.length < head.bodyStart + head.length) return;
        text = this.#buf.toString("utf8", head.bodyStart, head.bodyStart + head.length);
        consumed = head.bodyStart + head.length;
      }
      this.#buf = this.#buf.subarray(consumed);
      this.#head = null;
      this.#waiting.shift()?.resolve({ status: head.status, text });
      if (this.#buf.length === 0) return;
    }
  }
}

/**
 * Decode a complete chunked body starting at `at`, or null if it has not all arrived.
 * @param {Buffer} buf
 * @param {number} at
 * @returns {{ text: string, end: number } | null}
 */
function decodeChunked(buf, at) {
  /** @type {Buffer[]} */
  const parts = [];
  let i = at;
  for (;;) {
    const eol = buf.indexOf("\r\n", i);
    if (eol < 0) return null;
    const size = Number.parseInt(buf.toString("latin1", i, eol), 16);
    if (Number.isNaN(size)) throw new Error("bad chunk size");
    if (size === 0) {
      const end = buf.indexOf(CRLFCRLF, eol - 2);
      if (end < 0) return null;
      return { text: Buffer.concat(parts).toString("utf8"), end: end + 4 };
    }
    if (buf.length < eol + 2 + size + 2) return null;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
}

/** node:http with a shared keep-alive Agent. @implements {HttpClient} */
class HttpAgentClient {
  static agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  /** @param {number} port */
  constructor(port) {
    this.port = port;
  }
  /** @param {"GET" | "POST"} method @param {string} path @param {string} [body] @returns {Promise<HttpResponse>} */
  request(method, path, body) {
    return new Promise((resolve, reject) => {
      /** @type {http.OutgoingHttpHeaders} */
      const headers =
        body === undefined
          ? {}
          : {
              "content-type": "text/plain;charset=UTF-8",
              "content-length": Buffer.byteLength(body),
            };
      const agent = HttpAgentClient.agent;
      const req = http.request(
        { host: "127.0.0.1", port: this.port, method, path, agent, headers },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk) => {
            text += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }
  close() {}
}

const useAgent = process.env.BENCH_GEN_HTTP === "agent";

/** A keep-alive HTTP client to 127.0.0.1:port (HttpLite, or node:http when BENCH_GEN_HTTP=agent). @param {number} port @returns {HttpClient} */
export function httpClient(port) {
  return useAgent ? new HttpAgentClient(port) : new HttpLite(port);
}

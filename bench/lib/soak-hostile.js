// Slow readers and hostile clients of the soak test (bench/soak.js), each on its own raw TCP
// connection to 127.0.0.1 so that every byte is under the test's control: a WebSocket
// client written here (HTTP Upgrade by hand, masked frames with a zero key, a parser for
// the server's frames) and hand-written HTTP requests for long-polling. Every client is
// bounded in bytes and time: it gives up after its `capMs` ("survived": the server never
// cut it off), and `outcome` says how it ended otherwise.
import http from "node:http";
import net from "node:net";

/**
 * How a raw client ended: `close <code>` (the server's close frame), `http <status>` (an
 * HTTP answer), `eof` (the server closed the TCP connection without a close frame), `reset`
 * (ECONNRESET/EPIPE: the server destroyed the connection), `error <code>`, `survived`
 * (still open at the client's time cap: not cut off by the server), `failed <why>` (the
 * client could not set itself up: no handshake, no CONNECT answer).
 * @typedef {{ outcome: string, ms: number }} Ending
 */

/**
 * @typedef {{ port: number, id: string, capMs: number, variant: number }} HostileArgs
 * @typedef {(a: HostileArgs) => Promise<{ variant: string, ending: Ending }>} Hostile
 */

const HOST = "127.0.0.1";
/** Bytes of a masked frame header with a zero key: the payload goes out as is. */
function frame(
  /** @type {number} */ opcode,
  /** @type {Buffer} */ payload,
  fin = true,
  masked = true,
) {
  const n = payload.length;
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (masked ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | opcode;
  head[1] = (masked ? 0x80 : 0) | (ext === 0 ? n : ext === 2 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(n, 2);
  else if (ext === 8) head.writeBigUInt64BE(BigInt(n), 2);
  return Buffer.concat([head, payload]);
}
const text = (/** @type {string | Buffer} */ s, fin = true) => frame(0x1, Buffer.from(s), fin);

/** A raw WebSocket (or HTTP) client connection to the soak server, with its ending recorded. */
export class RawClient {
  /** @type {string | null} */
  closeCode = null;
  /** @type {string | null} */
  errorCode = null;
  /** @type {number | null} */
  httpStatus = null;
  /** Text messages received (Engine.IO packets), newest last, bounded. @type {string[]} */
  messages = [];
  /** Bytes received and not parsed yet. @type {Buffer} */
  #rx = Buffer.alloc(0);
  #upgraded = false;
  #t0 = performance.now();
  /** @type {Ending | null} */
  ending = null;
  /** @type {Promise<Ending>} */
  ended;
  /** @type {(e: Ending) => void} */
  #resolve = () => {};
  /** @type {(() => void) | null} */
  #onMessage = null;

  /**
   * @param {number} port
   * @param {number} capMs time after which the client gives up: a client that stopped
   *   reading reads what is buffered first (up to 2 s), to see whether the server closed
   */
  constructor(port, capMs) {
    this.ended = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    const cap = setTimeout(() => {
      if (!this.socket.isPaused()) {
        this.finish("survived");
        return;
      }
      this.socket.resume();
      setTimeout(() => this.finish("survived"), 2000);
    }, capMs);
    void this.ended.then(() => clearTimeout(cap));
    this.socket = net.connect({ host: HOST, port, noDelay: true });
    this.socket.on("data", (chunk) => this.#onData(chunk));
    this.socket.on("error", (/** @type {NodeJS.ErrnoException} */ err) => {
      this.errorCode = err.code ?? err.message;
    });
    this.socket.on("end", () => this.socket.destroy());
    this.socket.on("close", () => {
      if (this.closeCode !== null) this.finish(`close ${this.closeCode}`);
      else if (this.httpStatus !== null) this.finish(`http ${this.httpStatus}`);
      else if (this.errorCode === "ECONNRESET" || this.errorCode === "EPIPE") this.finish("reset");
      else if (this.errorCode !== null) this.finish(`error ${this.errorCode}`);
      else this.finish("eof");
    });
  }

  /** Record the ending (first one wins) and drop the connection. @param {string} outcome */
  finish(outcome) {
    if (this.ending) return;
    this.ending = { outcome, ms: Math.round(performance.now() - this.#t0) };
    this.socket.destroy();
    this.#onMessage?.();
    this.#resolve(this.ending);
  }

  get open() {
    return this.ending === null;
  }

  /** Writes bytes unless the connection ended; false when the socket wants a drain. @param {Buffer | string} b */
  write(b) {
    if (!this.open || this.socket.destroyed) return false;
    return this.socket.write(b);
  }

  /** Sends the WebSocket upgrade request for an Engine.IO session tagged with kind and id. */
  upgrade(/** @type {string} */ kind, /** @type {string} */ id, sid = "") {
    this.write(
      `GET /socket.io/?EIO=4&transport=websocket&k=${kind}&id=${id}${sid ? `&sid=${sid}` : ""} HTTP/1.1\r\n` +
        `Host: ${HOST}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
  }

  /**
   * Waits (bounded) for a received text message that starts with `prefix`.
   * @param {string} prefix @param {number} ms @returns {Promise<string | null>}
   */
  async waitMessage(prefix, ms) {
    const deadline = performance.now() + ms;
    for (;;) {
      const m = this.messages.find((x) => x.startsWith(prefix));
      if (m !== undefined) return m;
      const left = deadline - performance.now();
      if (!this.open || left <= 0) return null;
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.#onMessage = () => {
          clearTimeout(t);
          resolve(undefined);
        };
      });
      this.#onMessage = null;
    }
  }

  /** @param {Buffer} chunk */
  #onData(chunk) {
    this.#rx = this.#rx.length ? Buffer.concat([this.#rx, chunk]) : chunk;
    if (!this.#upgraded) {
      const end = this.#rx.indexOf("\r\n\r\n");
      if (end < 0) {
        if (this.#rx.length > 16384) this.finish("failed oversized HTTP answer");
        return;
      }
      const status = Number(this.#rx.toString("latin1", 9, 12));
      if (status !== 101) {
        this.httpStatus = status;
        this.#rx = Buffer.alloc(0);
        this.finish(`http ${status}`);
        return;
      }
      this.#upgraded = true;
      this.#rx = this.#rx.subarray(end + 4);
    }
    this.#parseFrames();
  }

  #parseFrames() {
    let buf = this.#rx;
    while (buf.length >= 2) {
      const b0 = /** @type {number} */ (buf[0]);
      const b1 = /** @type {number} */ (buf[1]);
      let len = b1 & 0x7f;
      let hdr = 2;
      if (len === 126) {
        if (buf.length < 4) break;
        len = buf.readUInt16BE(2);
        hdr = 4;
      } else if (len === 127) {
        if (buf.length < 10) break;
        len = Number(buf.readBigUInt64BE(2));
        hdr = 10;
      }
      if (buf.length < hdr + len) break;
      const payload = buf.subarray(hdr, hdr + len);
      const opcode = b0 & 0x0f;
      if (opcode === 0x8) {
        this.closeCode = payload.length >= 2 ? String(payload.readUInt16BE(0)) : "none";
      } else if (opcode === 0x1 && this.messages.length < 64) {
        this.messages.push(payload.toString("utf8", 0, Math.min(len, 256)));
      }
      buf = buf.subarray(hdr + len);
    }
    // Frames not complete yet stay (copied: the chunk is not ours to keep).
    this.#rx = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
    if (this.#onMessage) this.#onMessage();
    if (this.closeCode !== null) this.finish(`close ${this.closeCode}`);
  }
}

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Open a raw WebSocket Engine.IO session and wait for its open packet, optionally joining
 * the main namespace; when that does not happen the client is finished as `failed …`.
 * @param {HostileArgs} a @param {string} kind
 * @param {Record<string, unknown> | null} auth CONNECT auth, or null for no CONNECT
 */
async function openSession({ port, id, capMs }, kind, auth) {
  const c = new RawClient(port, capMs);
  c.upgrade(kind, id);
  if ((await c.waitMessage("0{", 5000)) === null) {
    c.finish(`failed no open packet (${c.ending?.outcome ?? "timeout"})`);
    return c;
  }
  if (auth) {
    c.write(text(`40${JSON.stringify(auth)}`));
    if ((await c.waitMessage("40{", 5000)) === null) c.finish("failed no CONNECT answer");
  }
  return c;
}

/** Polling handshake: the session id, or null. @param {number} port @param {string} kind @param {string} id */
function pollingHandshake(port, kind, id) {
  return new Promise((resolve) => {
    const req = http.get(
      {
        host: HOST,
        port,
        path: `/socket.io/?EIO=4&transport=polling&k=${kind}&id=${id}`,
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => {
          if (body.length < 4096) body += d;
        });
        res.on("end", () => resolve(/"sid":"([^"]+)"/.exec(body)?.[1] ?? null));
        res.on("error", () => resolve(null));
      },
    );
    req.setTimeout(5000, () => req.destroy());
    req.on("error", () => resolve(null));
  });
}

/** A POST of a polling session on a raw connection; the body is the caller's to send. */
function rawPost(
  /** @type {HostileArgs} */ { port, capMs },
  /** @type {string} */ sid,
  /** @type {Record<string, string | number>} */ headers,
) {
  const c = new RawClient(port, capMs);
  const h = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  c.write(
    `POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: ${HOST}\r\n` +
      `Content-Type: text/plain;charset=UTF-8\r\n${h}\r\n`,
  );
  return c;
}

// ---- the hostile kinds: each returns a promise of its Ending and the variant it ran ----

/** Zero-length continuation frames after an unfinished text frame (close 1008 at maxMessageFragments). */
const CONTINUATION = Buffer.concat(
  Array.from({ length: 2048 }, () => frame(0x0, Buffer.alloc(0), false)),
);
/** Ping frames with a 125-byte payload (close 1008 at maxControlFrames per second). */
const PINGS = Buffer.concat(Array.from({ length: 64 }, () => frame(0x9, Buffer.alloc(125, 0x70))));

/**
 * Writes `chunk` every 10 ms tick, up to `perTick` times a tick while the socket takes it,
 * at most `total` times, until the client ends. Returns the number of chunks written.
 * @param {RawClient} c @param {Buffer} chunk @param {number} perTick @param {number} total
 */
async function flood(c, chunk, perTick, total) {
  let sent = 0;
  while (c.open && sent < total) {
    // Our own buffer stays bounded: nothing more while the socket wants a drain.
    for (let i = 0; i < perTick && sent < total && c.open && !c.socket.writableNeedDrain; i++) {
      sent++;
      c.write(chunk);
    }
    await sleep(10);
  }
  return sent;
}

/** Writes `chunks` in turn, waiting for drains; stops when the client ends. @param {RawClient} c @param {Buffer[]} chunks */
async function writeAll(c, chunks) {
  for (const chunk of chunks) {
    if (!c.open) return;
    if (!c.write(chunk)) await new Promise((r) => c.socket.once("drain", r).once("close", r));
  }
}

/** @type {Record<string, Hostile>} */
export const HOSTILE = {
  /** A text frame left unfinished, then up to 1M zero-length continuation frames (6 MB). */
  async "cont-flood"(a) {
    const c = await openSession(a, "cont-flood", null);
    if (c.open) {
      c.write(text("4", false));
      void flood(c, CONTINUATION, 10, 500);
    }
    return { variant: "zero-length continuation frames", ending: await c.ended };
  },

  /** Up to 6400 pings a second (60,000 at most, 7.8 MB) from a client that never reads. */
  async "ping-flood"(a) {
    const c = await openSession(a, "ping-flood", null);
    if (c.open) {
      c.socket.pause();
      void flood(c, PINGS, 1, 940);
    }
    return { variant: "pings, never reading", ending: await c.ended };
  },

  /** A polling POST declaring 200 kB, its body written one byte per write, one write a millisecond. */
  async drip(a) {
    const variant = "polling POST, 1 byte per write";
    const sid = await pollingHandshake(a.port, "drip", a.id);
    if (sid === null) return { variant, ending: { outcome: "failed no handshake", ms: 0 } };
    const c = rawPost(a, sid, { "Content-Length": 200_000 });
    const body = Buffer.from(`4${"a".repeat(199_999)}`);
    let i = 0;
    const timer = setInterval(() => {
      if (!c.open || i >= body.length) clearInterval(timer);
      else c.write(body.subarray(i, ++i));
    }, 1);
    const ending = await c.ended;
    clearInterval(timer);
    return { variant, ending };
  },

  /** Bytes that do not decode as Engine.IO / Socket.IO packets, WebSocket frames, or HTTP. */
  async garbage(a) {
    /** @type {[string, Buffer, Record<string, unknown> | null][]} */
    const ws = [
      ["engine packet type 9", text("9hello"), null],
      ["Socket.IO EVENT with broken JSON", text('42["x",'), {}],
      ["Socket.IO packet type 9", text("49[]"), {}],
      [
        "BINARY_EVENT announcing 99999 attachments",
        text('4599999-["x",{"_placeholder":true,"num":0}]'),
        {},
      ],
      [
        "binary frame with no attachment pending",
        frame(0x2, Buffer.from([0xde, 0xad, 0xbe, 0xef])),
        {},
      ],
      ["reserved opcode 0x3", frame(0x3, Buffer.from("x")), null],
      ["unmasked client frame", frame(0x1, Buffer.from("4hello"), true, false), null],
    ];
    const v = a.variant % (ws.length + 2);
    const entry = ws[v];
    if (entry) {
      const [variant, bytes, auth] = entry;
      const c = await openSession(a, "garbage", auth);
      c.write(bytes);
      return { variant, ending: await c.ended };
    }
    if (v === ws.length) {
      const variant = "polling POST of non-packets";
      const sid = await pollingHandshake(a.port, "garbage", a.id);
      if (sid === null) return { variant, ending: { outcome: "failed no handshake", ms: 0 } };
      const body = "\x1e\x1eZZ\x1e9\x1e";
      const c = rawPost(a, sid, { "Content-Length": Buffer.byteLength(body) });
      c.write(body);
      return { variant, ending: await c.ended };
    }
    const c = new RawClient(a.port, a.capMs);
    c.write(
      Buffer.from("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not HTTP at all\r\n\r\n", "latin1"),
    );
    return { variant: "TLS-like bytes instead of HTTP", ending: await c.ended };
  },

  /** Messages over maxHttpBufferSize (1e6), counted every way the server must count them. */
  async oversize(a) {
    const big = (/** @type {number} */ n) => Buffer.from(`42["big","${"a".repeat(n - 11)}"]`);
    const v = a.variant % 6;
    if (v < 4) {
      const c = await openSession(a, "oversize", {});
      /** @type {[string, Buffer[]][]} */
      const cases = [
        ["2 MB text frame", [frame(0x1, big(2_000_000))]],
        ["2 MB binary frame", [frame(0x2, Buffer.alloc(2_000_000, 1))]],
        // 999,990 payload bytes (under the limit) in 9,999 fragments: with the 6-byte header
        // of every later frame counted, about 1.06 MB.
        ["999,990 bytes in 100-byte fragments (headers counted)", fragments(big(999_990), 100)],
        ["frame header declaring 2^40 bytes", [declared(2n ** 40n), Buffer.alloc(4096)]],
      ];
      const [variant, chunks] = /** @type {[string, Buffer[]]} */ (cases[v]);
      await writeAll(c, chunks);
      return { variant, ending: await c.ended };
    }
    const variant = v === 4 ? "polling POST declaring 2 MB" : "polling POST, 2 MB chunked";
    const sid = await pollingHandshake(a.port, "oversize", a.id);
    if (sid === null) return { variant, ending: { outcome: "failed no handshake", ms: 0 } };
    const chunk = Buffer.alloc(65_536, 0x61);
    if (v === 4) {
      const c = rawPost(a, sid, { "Content-Length": 2_000_000 });
      await writeAll(
        c,
        Array.from({ length: 31 }, () => chunk),
      );
      return { variant, ending: await c.ended };
    }
    const c = rawPost(a, sid, { "Transfer-Encoding": "chunked" });
    const piece = Buffer.concat([Buffer.from("10000\r\n"), chunk, Buffer.from("\r\n")]);
    await writeAll(
      c,
      Array.from({ length: 31 }, () => piece),
    );
    return { variant, ending: await c.ended };
  },

  /** Text that is not UTF-8 (close 1007), whole or split across fragments, or in a POST. */
  async "bad-utf8"(a) {
    const msg = (/** @type {number[]} */ bad) =>
      Buffer.concat([Buffer.from('42["x","'), Buffer.from(bad), Buffer.from('"]')]);
    const v = a.variant % 5;
    if (v === 4) {
      const variant = "polling POST with 0xFF";
      const sid = await pollingHandshake(a.port, "bad-utf8", a.id);
      if (sid === null) return { variant, ending: { outcome: "failed no handshake", ms: 0 } };
      const body = msg([0xff]);
      const c = rawPost(a, sid, { "Content-Length": body.length });
      c.write(body);
      return { variant, ending: await c.ended };
    }
    /** @type {[string, Buffer][]} */
    const cases = [
      ["0xFF 0xFE in a text frame", text(msg([0xff, 0xfe]))],
      [
        "3-byte sequence cut by a fragment boundary",
        Buffer.concat([text(Buffer.from([0x34, 0xe2, 0x82]), false), frame(0x0, Buffer.from("A"))]),
      ],
      ["overlong encoding of '/'", text(msg([0xc0, 0xaf]))],
      ["UTF-16 surrogate", text(msg([0xed, 0xa0, 0x80]))],
    ];
    const [variant, bytes] = /** @type {[string, Buffer]} */ (cases[v]);
    const c = await openSession(a, "bad-utf8", {});
    c.write(bytes);
    return { variant, ending: await c.ended };
  },
};

/** `payload` as one message in frames of `size` bytes (text first frame, continuations after). */
function fragments(/** @type {Buffer} */ payload, /** @type {number} */ size) {
  const parts = [];
  for (let off = 0; off < payload.length; off += size) {
    const end = Math.min(payload.length, off + size);
    parts.push(frame(off === 0 ? 0x1 : 0x0, payload.subarray(off, end), end === payload.length));
  }
  return [Buffer.concat(parts)];
}

/** A masked binary frame header declaring `n` payload bytes (none follow). @param {bigint} n */
function declared(n) {
  const h = Buffer.alloc(14);
  h[0] = 0x82;
  h[1] = 0x80 | 127;
  h.writeBigUInt64BE(n, 2);
  return h;
}

export const HOSTILE_KINDS = Object.keys(HOSTILE);

/**
 * A slow reader: a raw WebSocket client that joins the bulk room (64 KiB binary events)
 * and stops reading. The server must drop it ("buffer overflow" or "ping timeout"); the
 * driver learns the reason over IPC and calls `finish`.
 * @param {HostileArgs} a @param {string} room
 */
export async function slowReader(a, room) {
  const c = await openSession(a, "slow", { kind: "slow", room, bulk: true });
  if (c.open) c.socket.pause();
  return c;
}

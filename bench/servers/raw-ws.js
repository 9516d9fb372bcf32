// Target: a raw `ws` server doing the equivalent work with bare frames, behind the same
// small slice of the socket.io API the bench app uses (on "connection", emit, to(room),
// socket.join, socket.on(event, (...args, ack))). It is the practical limit: no
// engine/socket framing, no heartbeat (unless BENCH_RAW_WS_HEARTBEAT_MS is set: then the
// `ws` README's heartbeat, one setInterval pinging every socket with a WebSocket ping frame
// and terminating those that did not pong since the last round; the scale scenario sets it
// to the other targets' pingInterval), no per-packet bookkeeping, and broadcasts build
// the WebSocket frame bytes once and write them to each recipient's TCP socket, corked
// until the end of the current tick (one write syscall per socket per tick).
//
// Bare wire format (text frames are JSON):
//   client → server  c{auth}              connect (server answers "c" + id)
//   client → server  ["ev",...args]       event;  [id,"ev",...args]  event with ack
//   server → client  ["ev",...args]       event;  [id,...args]       ack
//   binary frames    u32le ack id | u8 name length | name | payload   (client → server)
//                    u32le ack id | payload                           (server → client ack)
// Bare long-polling on /raw-poll: POST c{auth} answers c<id>; GET ?id=<id> is held until
// there is something to send, then answers the queued text frames joined with \x1e.
import { WebSocketServer } from "ws";

/** @typedef {import("ws").WebSocket} WebSocket */
/** @typedef {import("node:stream").Duplex} Duplex */

/** Sockets corked during this tick; uncorked together once the current JS turn ends. */
/** @type {Set<Duplex>} */
const corked = new Set();
const uncorkAll = () => {
  for (const s of corked) s.uncork();
  corked.clear();
};

/** An unmasked server text frame around `payload` (RFC 6455 §5.2). @param {Buffer} payload */
function textFrame(payload) {
  const len = payload.length;
  const hdr = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(hdr + len);
  out[0] = 0x81;
  if (hdr === 2) out[1] = len;
  else if (hdr === 4) {
    out[1] = 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(0, 2);
    out.writeUInt32BE(len, 6);
  }
  payload.copy(out, hdr);
  return out;
}
/** @typedef {import("node:http").IncomingMessage} IncomingMessage */
/** @typedef {import("node:http").ServerResponse} ServerResponse */

class RawSocket {
  /** @type {Map<string, (...args: any[]) => void>} */
  handlers = new Map();
  /** @type {Set<string>} */
  rooms = new Set();
  /** @type {(() => void) | null} */
  onDisconnect = null;
  /**
   * @param {RawIo} io
   * @param {any} ws a ws WebSocket, or the polling queue's stand-in; both take send(data[, opts])
   * @param {string} id
   * @param {unknown} auth
   */
  constructor(io, ws, id, auth) {
    this.io = io;
    this.ws = ws;
    this.id = id;
    this.handshake = { auth };
  }
  /** @type {Duplex | null} the TCP socket under the WebSocket (null for polling) */
  net = null;
  /** Pong seen since the last heartbeat round (BENCH_RAW_WS_HEARTBEAT_MS). */
  alive = true;
  /** One heartbeat round: terminate when the last ping got no pong, else ping again. */
  heartbeat() {
    if (!this.alive) {
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }
  /**
   * Write one broadcast text frame, given as text and as ready WebSocket frame bytes.
   * @param {string} _text
   * @param {Buffer} frame
   */
  write(_text, frame) {
    const net = /** @type {Duplex} */ (this.net);
    if (!corked.has(net)) {
      if (corked.size === 0) process.nextTick(uncorkAll);
      net.cork();
      corked.add(net);
    }
    net.write(frame);
  }
  /** @param {string} ev @param {(...args: any[]) => void} fn */
  on(ev, fn) {
    if (ev === "disconnect") this.onDisconnect = fn;
    else this.handlers.set(ev, fn);
    return this;
  }
  /** @param {string} room */
  join(room) {
    this.rooms.add(room);
    let set = this.io.rooms.get(room);
    if (!set) {
      set = new Set();
      this.io.rooms.set(room, set);
    }
    set.add(this);
  }
  /** @param {string} ev @param {...unknown} args */
  emit(ev, ...args) {
    this.ws.send(JSON.stringify([ev, ...args]));
  }
  /** @param {Buffer} data */
  onText(data) {
    const msg = JSON.parse(data.toString());
    if (!Array.isArray(msg)) return;
    if (typeof msg[0] === "number") {
      const id = msg[0];
      const fn = this.handlers.get(msg[1]);
      if (!fn) return;
      const ws = this.ws;
      fn(...msg.slice(2), (/** @type {unknown[]} */ ...res) => {
        ws.send(JSON.stringify([id, ...res]));
      });
    } else {
      this.handlers.get(msg[0])?.(...msg.slice(1));
    }
  }
  /** @param {Buffer} data */
  onBinary(data) {
    const id = data.readUInt32LE(0);
    const nameLen = data[4] ?? 0;
    const fn = this.handlers.get(data.toString("latin1", 5, 5 + nameLen));
    if (!fn) return;
    const ws = this.ws;
    fn(data.subarray(5 + nameLen), (/** @type {Buffer} */ res) => {
      const out = Buffer.allocUnsafe(4 + res.length);
      out.writeUInt32LE(id, 0);
      res.copy(out, 4);
      ws.send(out);
    });
  }
  close() {
    if (!this.io.sockets.has(this)) return;
    for (const room of this.rooms) this.io.rooms.get(room)?.delete(this);
    this.io.sockets.delete(this);
    this.onDisconnect?.();
  }
}

/** A long-polling socket: frames queue until a GET is held, then go out joined. */
class RawPollSocket extends RawSocket {
  /** @type {string[]} */
  queue = [];
  /** @type {ServerResponse | null} */
  res = null;
  /** @param {RawIo} io @param {string} id @param {unknown} auth */
  constructor(io, id, auth) {
    super(io, { send: (/** @type {string | Buffer} */ data) => this.push(String(data)) }, id, auth);
  }
  /** @override @param {string} text */
  write(text) {
    this.push(text);
  }
  /** @param {string} text */
  push(text) {
    this.queue.push(text);
    if (this.res) this.flush();
  }
  flush() {
    const res = /** @type {ServerResponse} */ (this.res);
    this.res = null;
    const body = this.queue.join("\x1e");
    this.queue = [];
    res.writeHead(200, {
      "content-type": "text/plain; charset=UTF-8",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  }
}

export class RawIo {
  /** @type {Set<RawSocket>} */
  sockets = new Set();
  /** @type {Map<string, Set<RawSocket>>} */
  rooms = new Map();
  /** @type {Map<string, RawPollSocket>} */
  polling = new Map();
  /** @type {(socket: RawSocket) => void} */
  onConnection = () => {};
  #nextId = 1;
  #heartbeat = false;

  /** @param {import("node:http").Server} httpServer */
  constructor(httpServer) {
    this.wss = new WebSocketServer({ noServer: true, clientTracking: false });
    httpServer.on("upgrade", (req, net, head) => {
      if (!req.url?.startsWith("/raw")) return;
      this.wss.handleUpgrade(req, net, head, (ws) => this.#accept(ws, net));
    });
    httpServer.on("request", (req, res) => this.#onRequest(req, res));
    const heartbeatMs = Number(process.env.BENCH_RAW_WS_HEARTBEAT_MS ?? 0);
    this.#heartbeat = heartbeatMs > 0;
    if (this.#heartbeat) {
      const timer = setInterval(() => {
        for (const s of this.sockets) if (s.net !== null) s.heartbeat();
      }, heartbeatMs);
      timer.unref();
    }
  }

  /** @param {IncomingMessage} req @param {ServerResponse} res */
  #onRequest(req, res) {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname !== "/raw-poll") {
      res.writeHead(404).end();
      return;
    }
    const id = url.searchParams.get("id");
    if (req.method === "GET") {
      const socket = id ? this.polling.get(id) : undefined;
      if (!socket || socket.res) {
        res.writeHead(400).end();
        return;
      }
      socket.res = res;
      res.on("close", () => {
        if (socket.res === res) socket.res = null;
      });
      if (socket.queue.length > 0) socket.flush();
      return;
    }
    /** @type {Buffer[]} */
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (!id) {
        if (body[0] !== 0x63) return res.writeHead(400).end();
        const auth = body.length > 1 ? JSON.parse(body.toString("utf8", 1)) : {};
        const sid = String(this.#nextId++);
        const socket = new RawPollSocket(this, sid, auth);
        this.polling.set(sid, socket);
        this.sockets.add(socket);
        res.writeHead(200, { "content-type": "text/plain; charset=UTF-8" }).end(`c${sid}`);
        this.onConnection(socket);
        return;
      }
      const socket = this.polling.get(id);
      if (!socket) return res.writeHead(400).end();
      for (const frame of body.toString().split("\x1e")) socket.onText(Buffer.from(frame));
      res.writeHead(200, { "content-type": "text/plain; charset=UTF-8" }).end("ok");
    });
  }

  /** @param {WebSocket} ws @param {Duplex} net */
  #accept(ws, net) {
    /** @type {RawSocket | null} */
    let socket = null;
    ws.on("message", (/** @type {Buffer} */ data, isBinary) => {
      if (socket) {
        if (isBinary) socket.onBinary(data);
        else socket.onText(data);
        return;
      }
      // first frame: c{auth}
      if (isBinary || data[0] !== 0x63) return ws.close(1002);
      const auth = data.length > 1 ? JSON.parse(data.toString("utf8", 1)) : {};
      const id = String(this.#nextId++);
      socket = new RawSocket(this, ws, id, auth);
      socket.net = net;
      this.sockets.add(socket);
      ws.send(`c${id}`);
      this.onConnection(socket);
    });
    if (this.#heartbeat)
      ws.on("pong", () => {
        if (socket) socket.alive = true;
      });
    ws.on("close", () => socket?.close());
    ws.on("error", () => {});
  }

  /** @param {string} ev @param {(socket: RawSocket) => void} fn */
  on(ev, fn) {
    if (ev === "connection") this.onConnection = fn;
    return this;
  }

  /** Encode once, write the same bytes to every socket. @param {string} ev @param {...unknown} args */
  emit(ev, ...args) {
    const text = JSON.stringify([ev, ...args]);
    const frame = textFrame(Buffer.from(text));
    for (const s of this.sockets) s.write(text, frame);
    return true;
  }

  /** @param {string} room */
  to(room) {
    return {
      emit: (/** @type {string} */ ev, /** @type {unknown[]} */ ...args) => {
        const set = this.rooms.get(room);
        if (!set || set.size === 0) return true;
        const text = JSON.stringify([ev, ...args]);
        const frame = textFrame(Buffer.from(text));
        for (const s of set) s.write(text, frame);
        return true;
      },
    };
  }
}

/**
 * The raw baseline of the cluster broadcast: RawIo plus plain Redis pub/sub. A broadcast
 * is JSON-encoded once, written to the local sockets and PUBLISHed once as
 * `<node id><room>\n<json>` on `<key>#raw`; every other node frames the JSON once and
 * writes it to its own sockets (in the room, when one is given). No acks, no requests,
 * no node counting: the floor under what a Redis adapter can do for a broadcast.
 */
class RawRedisIo extends RawIo {
  #pub;
  #channel;
  #node = Buffer.from(Math.random().toString(16).slice(2, 10).padEnd(8, "0"));
  /**
   * @param {import("node:http").Server} httpServer
   * @param {import("../lib/cluster.js").ClusterLink} cluster
   */
  constructor(httpServer, cluster) {
    super(httpServer);
    this.#pub = cluster.pub;
    this.#channel = `${cluster.key}#raw`;
    void cluster.sub.subscribe(this.#channel);
    cluster.sub.on("messageBuffer", (/** @type {Buffer} */ _ch, /** @type {Buffer} */ msg) => {
      if (msg.subarray(0, 8).equals(this.#node)) return;
      const nl = msg.indexOf(10, 8);
      const room = msg.toString("latin1", 8, nl);
      const json = msg.subarray(nl + 1);
      this.#local(room, json.toString(), textFrame(json));
    });
  }
  /** @param {string} room "" for everyone @param {string} text @param {Buffer} frame */
  #local(room, text, frame) {
    const set = room === "" ? this.sockets : this.rooms.get(room);
    if (set) for (const s of set) s.write(text, frame);
  }
  /** @param {string} room @param {string} ev @param {unknown[]} args */
  #broadcast(room, ev, args) {
    const text = JSON.stringify([ev, ...args]);
    const json = Buffer.from(text);
    this.#local(room, text, textFrame(json));
    void this.#pub.publish(
      this.#channel,
      Buffer.concat([this.#node, Buffer.from(`${room}\n`, "latin1"), json]),
    );
    return true;
  }
  /** @override @param {string} ev @param {...unknown} args */
  emit(ev, ...args) {
    return this.#broadcast("", ev, args);
  }
  /** @override @param {string} room */
  to(room) {
    return {
      emit: (/** @type {string} */ ev, /** @type {unknown[]} */ ...args) =>
        this.#broadcast(room, ev, args),
    };
  }
}

/**
 * @param {import("node:http").Server} httpServer
 * @param {import("../lib/cluster.js").ClusterLink | null} [cluster]
 */
export async function create(httpServer, cluster = null) {
  return cluster ? new RawRedisIo(httpServer, cluster) : new RawIo(httpServer);
}

// The Node.js client's lean WebSocket (src/platform/lean-websocket.ts) against a raw TCP
// server that answers the upgrade and frames exactly as each test says: wrong handshakes,
// every frame RFC 6455 forbids a server to send, ping floods, close handshakes, and valid
// messages fragmented and split at arbitrary byte boundaries.
import { createHash } from "node:crypto";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { io } from "@switchboard/client";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  LeanWebSocket,
  type LeanWebSocketOptions,
  PONG_BUFFER_LIMIT,
} from "../../dist/platform/lean-websocket.js";
import { expectNoFaults } from "../helpers.js";

const SEED = 20261203;
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const acceptOf = (key: string) =>
  createHash("sha1")
    .update(key + GUID)
    .digest("base64");

const cleanups = expectNoFaults();

interface Upgrade {
  socket: Socket;
  /** The request head, as received. */
  head: string;
  key: string;
  /** Client frames parsed (unmasked) after the head. */
  frames: ClientFrame[];
  /** Resolves when the client's TCP half closes. */
  ended: Promise<void>;
}

interface ClientFrame {
  fin: boolean;
  opcode: number;
  mask: number;
  payload: Buffer;
}

/** Parses masked client frames off `buf`; returns the unparsed rest. */
function parseClientFrames(buf: Buffer, out: ClientFrame[]): Buffer {
  let rest = buf;
  for (;;) {
    if (rest.length < 2) return rest;
    const b1 = rest[1]!;
    expect(b1 & 0x80).toBe(0x80); // every client frame is masked
    let length = b1 & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (rest.length < 4) return rest;
      length = rest.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (rest.length < 10) return rest;
      length = Number(rest.readBigUInt64BE(2));
      offset = 10;
    }
    if (rest.length < offset + 4 + length) return rest;
    const mask = rest.readUInt32BE(offset);
    const payload = Buffer.from(rest.subarray(offset + 4, offset + 4 + length));
    for (let i = 0; i < payload.length; i++) {
      payload[i] = payload[i]! ^ rest[offset + (i & 3)]!;
    }
    out.push({ fin: (rest[0]! & 0x80) !== 0, opcode: rest[0]! & 0x0f, mask, payload });
    rest = rest.subarray(offset + 4 + length);
  }
}

/** A raw TCP server; `onUpgrade` gets each request once its head has arrived. */
async function rawServer(onUpgrade: (up: Upgrade) => void): Promise<string> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    let pending: Buffer = Buffer.alloc(0);
    let up: Upgrade | undefined;
    let endedResolve: () => void = () => {};
    const ended = new Promise<void>((resolve) => {
      endedResolve = resolve;
    });
    socket.on("end", () => endedResolve());
    socket.on("close", () => endedResolve());
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (up === undefined) {
        const end = pending.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = pending.toString("latin1", 0, end);
        pending = pending.subarray(end + 4);
        const key = /^sec-websocket-key: (.*)$/im.exec(head)?.[1] ?? "";
        up = { socket, head, key, frames: [], ended };
        onUpgrade(up);
      }
      pending = parseClientFrames(pending, up.frames);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/socket.io/?EIO=4&transport=websocket`;
}

const ok101 = (key: string, extra = "") =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Accept: ${acceptOf(key)}\r\n${extra}\r\n`;

/** A server frame: unmasked unless `mask` is given; `length` overrides the length field. */
function frame(
  opcode: number,
  payload: Buffer | string,
  opts: { fin?: boolean; rsv?: number; mask?: number; length?: bigint } = {},
): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload) : payload;
  const length = opts.length ?? BigInt(data.length);
  const head: number[] = [((opts.fin ?? true) ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | opcode];
  const masked = opts.mask !== undefined ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (length < 126n) head.push(masked | Number(length));
  else if (length < 65536n) {
    head.push(masked | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(Number(length));
  } else {
    head.push(masked | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(length);
  }
  if (opts.mask === undefined) return Buffer.concat([Buffer.from(head), ext, data]);
  const key = Buffer.alloc(4);
  key.writeUInt32BE(opts.mask);
  const body = Buffer.from(data.map((b, i) => b ^ key[i & 3]!));
  return Buffer.concat([Buffer.from(head), ext, key, body]);
}

const closeBody = (code: number, reason: Buffer | string = "") =>
  Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason)]);

interface Observed {
  ws: LeanWebSocket;
  events: string[];
  messages: unknown[];
  errors: { message?: string }[];
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
}

function openClient(url: string, options: LeanWebSocketOptions = {}): Observed {
  const ws = new LeanWebSocket(url, options);
  const events: string[] = [];
  const messages: unknown[] = [];
  const errors: { message?: string }[] = [];
  const opened = new Promise<void>((resolve) => {
    ws.onopen = () => {
      events.push("open");
      resolve();
    };
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.onclose = (event) => {
      events.push("close");
      resolve(event);
    };
  });
  ws.onerror = (event) => {
    events.push("error");
    errors.push(event as { message?: string });
  };
  ws.onmessage = (event) => messages.push(event.data);
  cleanups.push(() => ws.close());
  return { ws, events, messages, errors, opened, closed };
}

const until = async (check: () => boolean, ms = 5000) => {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe("lean WebSocket: the upgrade request", () => {
  it("sends the RFC 6455 request with a fresh 16-byte key, the extra headers and no extension", async () => {
    const heads: string[] = [];
    const url = await rawServer((up) => {
      heads.push(up.head);
      up.socket.write(ok101(up.key));
    });
    for (let i = 0; i < 2; i++) {
      const c = openClient(url, { headers: { "X-Token": "abc", cookie: "a=1; b=2" } });
      await c.opened;
    }
    const [first, second] = heads as [string, string];
    const lines = first.split("\r\n");
    expect(lines[0]).toBe("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1");
    const header = (head: string, name: string) =>
      new RegExp(`^${name}: (.*)$`, "im").exec(head)?.[1];
    expect(header(first, "host")).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(header(first, "upgrade")).toBe("websocket");
    expect(header(first, "connection")).toBe("Upgrade");
    expect(header(first, "sec-websocket-version")).toBe("13");
    expect(Buffer.from(header(first, "sec-websocket-key")!, "base64")).toHaveLength(16);
    expect(header(first, "sec-websocket-key")).not.toBe(header(second, "sec-websocket-key"));
    expect(header(first, "x-token")).toBe("abc");
    expect(header(first, "cookie")).toBe("a=1; b=2");
    expect(header(first, "sec-websocket-extensions")).toBeUndefined();
    expect(header(first, "sec-websocket-protocol")).toBeUndefined();
  });

  it("refuses header injection through extra headers", () => {
    expect(
      () => new LeanWebSocket("ws://127.0.0.1:1/", { headers: { "x-a": "1\r\nx-b: 2" } }),
    ).toThrow(TypeError);
    expect(() => new LeanWebSocket("ws://127.0.0.1:1/", { headers: { "x a": "1" } })).toThrow(
      TypeError,
    );
    expect(() => new LeanWebSocket("http://127.0.0.1:1/")).toThrow(SyntaxError);
  });
});

describe("lean WebSocket: bad handshake answers never open", () => {
  const cases: [string, (key: string) => string, RegExp][] = [
    [
      "a wrong Sec-WebSocket-Accept",
      (key) => ok101(key).replace(acceptOf(key), acceptOf(`${key}x`)),
      /Sec-WebSocket-Accept/,
    ],
    [
      "no Sec-WebSocket-Accept",
      (key) => ok101(key).replace(/Sec-WebSocket-Accept: .*\r\n/, ""),
      /Sec-WebSocket-Accept/,
    ],
    ["no Upgrade header", (key) => ok101(key).replace("Upgrade: websocket\r\n", ""), /Upgrade/],
    [
      "a wrong Upgrade header",
      (key) => ok101(key).replace("Upgrade: websocket", "Upgrade: h2c"),
      /Upgrade/,
    ],
    [
      "no Connection header",
      (key) => ok101(key).replace("Connection: Upgrade\r\n", ""),
      /Connection/,
    ],
    [
      "an extension not asked for",
      (key) => ok101(key, "Sec-WebSocket-Extensions: permessage-deflate\r\n"),
      /Extensions/,
    ],
    [
      "a subprotocol not asked for",
      (key) => ok101(key, "Sec-WebSocket-Protocol: chat\r\n"),
      /subprotocol/,
    ],
    [
      "a 200 status",
      () => "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
      /Unexpected server response: 200/,
    ],
    ["a 400 status", () => "HTTP/1.1 400 Bad Request\r\n\r\n", /Unexpected server response: 400/],
    ["a garbage status line", () => "SSH-2.0-OpenSSH\r\n\r\n", /status line/],
    ["a header line without a colon", (key) => ok101(key, "oops\r\n"), /header line/],
    [
      "headers over 16 KB",
      (key) => ok101(key, `X-Big: ${"a".repeat(17 * 1024)}\r\n`),
      /over 16384 bytes/,
    ],
  ];

  it.each(cases)("%s: error, then close 1006", async (_name, answer, message) => {
    const url = await rawServer((up) => up.socket.write(answer(up.key)));
    const c = openClient(url);
    const event = await c.closed;
    expect(event.code).toBe(1006);
    expect(c.events).toEqual(["error", "close"]);
    expect(c.errors[0]?.message).toMatch(message);
  });

  it("an endless head without CRLFCRLF stops at 16 KB", async () => {
    const url = await rawServer((up) => {
      const line = Buffer.alloc(1024, 0x61);
      for (let i = 0; i < 64; i++) up.socket.write(line);
    });
    const c = openClient(url);
    expect((await c.closed).code).toBe(1006);
    expect(c.errors[0]?.message).toMatch(/over 16384 bytes/);
  });

  it("a head that never completes times out", async () => {
    const url = await rawServer((up) => up.socket.write("HTTP/1.1 101 Switching Protocols\r\n"));
    const c = openClient(url, { handshakeTimeout: 200 });
    expect((await c.closed).code).toBe(1006);
    expect(c.events).toEqual(["error", "close"]);
    expect(c.errors[0]?.message).toMatch(/timed out/);
  });

  for (const when of ["on accept", "after the request"] as const) {
    it(`a connection the peer closes before its 101 (${when}): error, then close 1006, at once`, async () => {
      // A balancer with no backend accepts and closes: the client must not wait for its
      // handshake timeout (the transport waits for an error or an open, not a close).
      const server: Server = createServer((socket) => {
        socket.on("error", () => {});
        if (when === "on accept") socket.destroy();
        else socket.once("data", () => socket.end());
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      cleanups.push(() => new Promise((resolve) => server.close(resolve)));
      const port = (server.address() as AddressInfo).port;
      const c = openClient(`ws://127.0.0.1:${port}/`, { handshakeTimeout: 60_000 });
      expect((await c.closed).code).toBe(1006);
      expect(c.events).toEqual(["error", "close"]);
      expect(c.errors[0]?.message).toMatch(/closed before the opening handshake/);
    });
  }

  it("a refused connection: error, then close 1006", async () => {
    const url = await rawServer(() => {});
    const port = new URL(url).port;
    for (const fn of cleanups.splice(0).reverse()) await fn();
    const c = openClient(`ws://127.0.0.1:${port}/`);
    expect((await c.closed).code).toBe(1006);
    expect(c.events).toEqual(["error", "close"]);
  });
});

describe("lean WebSocket: frames RFC 6455 forbids a server to send", () => {
  const big = (n: number) => Buffer.alloc(n, 0x61);
  const cases: [string, Buffer[], number, LeanWebSocketOptions?][] = [
    ["a masked frame", [frame(1, "hi", { mask: 0x01020304 })], 1002],
    ["RSV1 set", [frame(1, "hi", { rsv: 4 })], 1002],
    ["RSV2 set", [frame(2, "hi", { rsv: 2 })], 1002],
    ["RSV3 set on a ping", [frame(9, "", { rsv: 1 })], 1002],
    ["opcode 3", [frame(3, "hi")], 1002],
    ["opcode 11", [frame(11, "")], 1002],
    ["a 126-byte ping", [frame(9, big(126))], 1002],
    ["a fragmented ping", [frame(9, "x", { fin: false })], 1002],
    ["a continuation without a start", [frame(0, "x")], 1002],
    [
      "a new text frame inside a fragmented one",
      [frame(1, "a", { fin: false }), frame(1, "b")],
      1002,
    ],
    [
      "a new binary frame inside a fragmented one",
      [frame(2, "a", { fin: false }), frame(2, "b")],
      1002,
    ],
    ["a 64-bit length with the high bit set", [frame(2, "", { length: 2n ** 63n })], 1002],
    ["a 64-bit length of 2^63 - 1", [frame(2, "", { length: 2n ** 63n - 1n })], 1009],
    ["invalid UTF-8 text", [frame(1, Buffer.from([0x68, 0xc3, 0x28]))], 1007],
    ["a lone surrogate in text", [frame(1, Buffer.from([0xed, 0xa0, 0x80]))], 1007],
    [
      "invalid UTF-8 split across fragments",
      [frame(1, Buffer.from([0x68, 0xe2, 0x82]), { fin: false }), frame(0, Buffer.from([0x28]))],
      1007,
    ],
    ["a message over maxPayload", [frame(2, big(1001))], 1009, { maxPayload: 1000 }],
    [
      "fragments over maxPayload together",
      [frame(1, big(600), { fin: false }), frame(0, big(401))],
      1009,
      { maxPayload: 1000 },
    ],
    [
      "16385 fragments (empty ones)",
      [
        frame(1, "", { fin: false }),
        ...Array.from({ length: 16_384 }, () => frame(0, "", { fin: false })),
      ],
      1008,
    ],
    ["a close frame with a 1-byte body", [frame(8, Buffer.from([3]))], 1002],
    ["a close code of 999", [frame(8, closeBody(999))], 1002],
    ["a close code of 1005", [frame(8, closeBody(1005))], 1002],
    ["a close code of 5000", [frame(8, closeBody(5000))], 1002],
    ["a close reason that is not UTF-8", [frame(8, closeBody(1000, Buffer.from([0xff])))], 1007],
  ];

  it.each(cases)(
    "%s: close frame %i… from the client, error, close",
    async (_name, frames, code, options) => {
      let up: Upgrade | undefined;
      const url = await rawServer((u) => {
        up = u;
        u.socket.write(ok101(u.key));
        u.socket.write(frame(1, "before"));
        for (const f of frames) u.socket.write(f);
      });
      const c = openClient(url, options);
      const event = await c.closed;
      expect(c.messages).toEqual(["before"]);
      expect(c.events).toEqual(["open", "error", "close"]);
      expect(event.code).toBe(code);
      await until(() => (up?.frames.length ?? 0) > 0);
      const closeFrame = up!.frames[0]!;
      expect(closeFrame.opcode).toBe(8);
      expect(closeFrame.payload.readUInt16BE(0)).toBe(code);
      await up!.ended; // the client half-closed TCP after its close frame
    },
  );

  it("a bad frame split across TCP writes is caught the same", async () => {
    const url = await rawServer((up) => {
      up.socket.setNoDelay(true);
      up.socket.write(ok101(up.key));
      const bad = frame(2, "", { length: 2n ** 63n });
      let i = 0;
      const next = () => {
        if (i < bad.length && !up.socket.destroyed) {
          up.socket.write(bad.subarray(i, ++i));
          setTimeout(next, 2);
        }
      };
      next();
    });
    const c = openClient(url);
    expect((await c.closed).code).toBe(1002);
  });
});

describe("lean WebSocket: pings, pongs and the close handshake", () => {
  it("answers a ping with a pong carrying its payload, and ignores pongs", async () => {
    let up: Upgrade | undefined;
    const url = await rawServer((u) => {
      up = u;
      u.socket.write(ok101(u.key));
      u.socket.write(
        Buffer.concat([frame(10, "unsolicited"), frame(9, "payload-1"), frame(9, "")]),
      );
    });
    const c = openClient(url);
    await c.opened;
    await until(() => (up?.frames.length ?? 0) >= 2);
    expect(up!.frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [10, "payload-1"],
      [10, ""],
    ]);
    expect(c.ws.readyState).toBe(1);
  });

  it("drops pongs once its write buffer is full (a ping flood from a server that does not read)", async () => {
    let up: Upgrade | undefined;
    const PINGS = 40_000;
    const url = await rawServer((u) => {
      up = u;
      u.socket.write(ok101(u.key));
      u.socket.pause(); // never reads the pongs
      const ping = frame(9, Buffer.alloc(125, 0x70));
      const batch = Buffer.concat(Array.from({ length: 1000 }, () => ping));
      for (let i = 0; i < PINGS / 1000; i++) u.socket.write(batch);
      u.socket.write(frame(1, "done"));
    });
    const c = openClient(url);
    let maxBuffered = 0;
    c.ws.onmessage = (event) => c.messages.push(event.data);
    const sample = setInterval(() => {
      maxBuffered = Math.max(maxBuffered, c.ws.bufferedAmount);
    }, 1);
    await until(() => c.messages.includes("done"), 20_000);
    clearInterval(sample);
    maxBuffered = Math.max(maxBuffered, c.ws.bufferedAmount);
    // at most one pong frame (131 bytes) past the limit ever waits in our write buffer
    expect(maxBuffered).toBeLessThanOrEqual(PONG_BUFFER_LIMIT + 131);
    expect(c.ws.bufferedAmount).toBeGreaterThan(0); // the flood did fill it
    up!.socket.resume();
    await until(() => c.ws.bufferedAmount === 0);
    const pongs = up!.frames.filter((f) => f.opcode === 10).length;
    expect(pongs).toBeGreaterThan(0);
    expect(pongs).toBeLessThan(PINGS);
    expect(c.ws.readyState).toBe(1);
  });

  it("echoes the server's close code, reports its code and reason, and ends TCP", async () => {
    let up: Upgrade | undefined;
    const url = await rawServer((u) => {
      up = u;
      u.socket.write(ok101(u.key));
      u.socket.write(frame(8, closeBody(4001, "bye ✓")));
    });
    const c = openClient(url);
    await up?.ended;
    await until(() => up !== undefined);
    await up!.ended;
    expect(up!.frames.map((f) => [f.opcode, f.payload.readUInt16BE(0), f.payload.length])).toEqual([
      [8, 4001, 2],
    ]);
    up!.socket.end();
    expect(await c.closed).toEqual({ code: 4001, reason: "bye ✓" });
    expect(c.events).toEqual(["open", "close"]);
  });

  it("answers an empty close with an empty close and reports 1005", async () => {
    let up: Upgrade | undefined;
    const url = await rawServer((u) => {
      up = u;
      u.socket.write(ok101(u.key));
      u.socket.write(frame(8, ""));
      u.socket.on("end", () => u.socket.end());
    });
    const c = openClient(url);
    expect(await c.closed).toEqual({ code: 1005, reason: "" });
    expect(up!.frames.map((f) => [f.opcode, f.payload.length])).toEqual([[8, 0]]);
  });

  it("close(code, reason) sends a close frame and waits for the server's", async () => {
    let up: Upgrade | undefined;
    const url = await rawServer((u) => {
      up = u;
      u.socket.write(ok101(u.key));
    });
    const c = openClient(url);
    await c.opened;
    c.ws.close(4000, "done");
    expect(c.ws.readyState).toBe(2);
    await until(() => (up?.frames.length ?? 0) > 0);
    expect(up!.frames[0]!.opcode).toBe(8);
    expect(up!.frames[0]!.payload.readUInt16BE(0)).toBe(4000);
    expect(up!.frames[0]!.payload.subarray(2).toString()).toBe("done");
    c.ws.send("ignored once closing"); // no throw, nothing sent
    up!.socket.end(frame(8, closeBody(4000)));
    expect((await c.closed).code).toBe(4000);
    expect(up!.frames).toHaveLength(1);
  });

  it("close() while connecting aborts: error, then close 1006", async () => {
    const url = await rawServer(() => {});
    const c = openClient(url);
    expect(() => c.ws.send("x")).toThrow(/not open/);
    c.ws.close();
    expect((await c.closed).code).toBe(1006);
    expect(c.events).toEqual(["error", "close"]);
  });
});

describe("lean WebSocket: messages", () => {
  it("masks every frame with its own random key", async () => {
    let up: Upgrade | undefined;
    const url = await rawServer((u) => {
      up = u;
      u.socket.write(ok101(u.key));
    });
    const c = openClient(url);
    await c.opened;
    const sizes = [0, 1, 5, 125, 126, 65535, 65536, 70_000];
    for (const size of sizes) c.ws.send("é".repeat(size >> 1) + "x".repeat(size & 1));
    for (let i = 0; i < 100; i++) c.ws.send(Buffer.from([1, 2, 3, i]));
    await until(() => (up?.frames.length ?? 0) === sizes.length + 100);
    const frames = up!.frames;
    sizes.forEach((size, i) => {
      expect(frames[i]!.opcode).toBe(1);
      expect(frames[i]!.payload.toString()).toBe("é".repeat(size >> 1) + "x".repeat(size & 1));
    });
    for (let i = 0; i < 100; i++) {
      expect(frames[sizes.length + i]!.opcode).toBe(2);
      expect([...frames[sizes.length + i]!.payload]).toEqual([1, 2, 3, i]);
    }
    // 108 keys of 32 random bits: a repeat would be a 1 in ~700,000 event
    expect(new Set(frames.map((f) => f.mask)).size).toBe(frames.length);
  });

  // A message as the server sends it: text or binary, cut into fragments, pings in between.
  type Msg = { text?: string; binary?: Uint8Array };
  const message: fc.Arbitrary<Msg> = fc.oneof(
    fc.record({ text: fc.string({ unit: "grapheme", maxLength: 300 }) }),
    fc.record({ binary: fc.uint8Array({ maxLength: 300 }) }),
    fc.record({ binary: fc.uint8Array({ minLength: 65_536, maxLength: 66_000 }) }),
  );
  const script = fc.array(
    fc.record({ message, cuts: fc.array(fc.nat(), { maxLength: 4 }), ping: fc.boolean() }),
    { minLength: 1, maxLength: 8 },
  );

  function toBytes(
    steps: { message: { text?: string; binary?: Uint8Array }; cuts: number[]; ping: boolean }[],
  ): Buffer {
    const out: Buffer[] = [];
    for (const { message: m, cuts, ping } of steps) {
      const data = m.text !== undefined ? Buffer.from(m.text) : Buffer.from(m.binary!);
      const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
      const bounds = [0, ...points, data.length];
      for (let i = 0; i + 1 < bounds.length; i++) {
        const fin = i + 2 === bounds.length;
        out.push(
          frame(
            i === 0 ? (m.text !== undefined ? 1 : 2) : 0,
            data.subarray(bounds[i], bounds[i + 1]),
            { fin },
          ),
        );
        if (ping && !fin) out.push(frame(9, "mid"));
      }
    }
    return Buffer.concat(out);
  }

  it("reassembles fragmented messages written in pieces cut at random points (property)", async () => {
    await fc.assert(
      fc.asyncProperty(script, fc.array(fc.nat(), { maxLength: 12 }), async (steps, splits) => {
        const bytes = toBytes(steps);
        const points = [...new Set(splits.map((s) => s % (bytes.length + 1)))].sort(
          (a, b) => a - b,
        );
        const url = await rawServer((up) => {
          up.socket.setNoDelay(true);
          up.socket.write(ok101(up.key));
          const bounds = [0, ...points, bytes.length];
          let i = 0;
          const next = () => {
            if (i + 1 >= bounds.length || up.socket.destroyed) return;
            up.socket.write(bytes.subarray(bounds[i], bounds[i + 1]));
            i++;
            setImmediate(next);
          };
          next();
        });
        const c = openClient(url);
        await until(() => c.messages.length === steps.length || c.events.includes("close"));
        expect(c.events).toEqual(["open"]);
        expect(c.messages).toEqual(
          steps.map(({ message: m }) => (m.text !== undefined ? m.text : Buffer.from(m.binary!))),
        );
        c.ws.close();
      }),
      { seed: SEED, numRuns: 25 },
    );
  });

  it("accepts a message of exactly 16384 fragments", async () => {
    const url = await rawServer((up) => {
      up.socket.write(ok101(up.key));
      const frames = [frame(1, "a", { fin: false })];
      for (let i = 0; i < 16_382; i++) frames.push(frame(0, i === 8000 ? "b" : "", { fin: false }));
      frames.push(frame(0, "c"));
      up.socket.write(Buffer.concat(frames));
    });
    const c = openClient(url);
    await until(() => c.messages.length === 1);
    expect(c.messages).toEqual(["abc"]);
    expect(c.events).toEqual(["open"]);
  });

  it("reassembles frames delivered one byte at a time (every byte boundary)", async () => {
    const steps = [
      { message: { text: "héllo ✓ 𝄞" }, cuts: [1, 4, 7], ping: true },
      { message: { binary: new Uint8Array(300).map((_, i) => i) }, cuts: [0, 130], ping: false },
      { message: { text: "" }, cuts: [], ping: false },
      { message: { text: "x".repeat(126) }, cuts: [], ping: true },
    ];
    const bytes = toBytes(steps);
    const url = await rawServer((up) => {
      up.socket.setNoDelay(true);
      up.socket.write(ok101(up.key));
      let i = 0;
      const next = () => {
        if (i >= bytes.length || up.socket.destroyed) return;
        up.socket.write(bytes.subarray(i, ++i));
        setTimeout(next, 0);
      };
      next();
    });
    const c = openClient(url);
    await until(() => c.messages.length === steps.length, 20_000);
    expect(c.messages).toEqual([
      "héllo ✓ 𝄞",
      Buffer.from(new Uint8Array(300).map((_, i) => i)),
      "",
      "x".repeat(126),
    ]);
    expect(c.events).toEqual(["open"]);
  });
});

describe("lean WebSocket under the client (io())", () => {
  it("a protocol error closes the transport and the client reconnects, no throw", async () => {
    let n = 0;
    const url = await rawServer((up) => {
      up.socket.write(ok101(up.key));
      const open = `0${JSON.stringify({ sid: `s${n}`, upgrades: [], pingInterval: 25000, pingTimeout: 20000, maxPayload: 1e6 })}`;
      up.socket.write(frame(1, open));
      if (n++ === 0) up.socket.write(frame(1, "40", { rsv: 4 }));
      else up.socket.write(frame(1, `40${JSON.stringify({ sid: "abc" })}`));
    });
    const socket = io(url.replace(/^ws/, "http").replace(/\/socket\.io\/.*$/, ""), {
      forceNew: true,
      transports: ["websocket"],
      reconnectionDelay: 5,
      reconnectionDelayMax: 10,
      randomizationFactor: 0,
    });
    cleanups.push(() => socket.disconnect());
    const errors: unknown[] = [];
    socket.io.on("error", (err) => errors.push(err));
    await until(() => socket.connected);
    expect(errors).toHaveLength(1);
    expect(socket.id).toBe("abc");
    expect(n).toBe(2);
  });
});

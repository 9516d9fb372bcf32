import { EventEmitter } from "node:events";
import { ProtocolErrorCode } from "@switchboard/protocol";
import { Server, type ServerOptions, SocketErrorCode } from "@switchboard/server";
import { connectTestClient } from "@switchboard/server/testing";
import * as msgpackParser from "socket.io-msgpack-parser";
import * as sioParser from "socket.io-parser";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { client, connected, listen, onCleanup, once, TRANSPORTS } from "./helpers.js";
import {
  MsgpackMap,
  MsgpackRaw,
  MsgpackUint64,
  type MsgpackValue,
  pack,
} from "./msgpack-writer.js";

/**
 * The `parser` option against hostile input: the same limits as the default parser, tested
 * with crafted msgpack frames (socket.io-msgpack-parser) and with decoders that misbehave.
 * Every refusal closes only the attacker's connection, with "parse error" and the code of
 * the check that refused it.
 */

interface Packet {
  type: number;
  nsp: string;
  data?: unknown;
  id?: number;
}

/** A bare WebSocket peer speaking msgpack: sends exactly the frames a test crafts. */
class MsgpackPeer {
  readonly ws: WebSocket;
  readonly packets: Packet[] = [];
  readonly closed: Promise<unknown>;
  readonly #opened: Promise<unknown>;
  #waiters: { match: (p: Packet) => boolean; resolve: (p: Packet) => void }[] = [];

  constructor(port: number) {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    this.closed = once(this.ws, "close", 10_000);
    this.#opened = once(this.ws, "message");
    const decoder = new msgpackParser.Decoder();
    decoder.on("decoded", (packet: Packet) => {
      const i = this.#waiters.findIndex((w) => w.match(packet));
      if (i === -1) this.packets.push(packet);
      else this.#waiters.splice(i, 1)[0]!.resolve(packet);
    });
    this.ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (isBinary) decoder.add(data);
    });
    onCleanup(() => this.ws.terminate());
  }

  send(frame: Buffer | string): void {
    this.ws.send(frame);
  }

  next(match: (p: Packet) => boolean, ms = 5000): Promise<Packet> {
    const i = this.packets.findIndex(match);
    if (i !== -1) return Promise.resolve(this.packets.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no such packet")), ms);
      this.#waiters.push({
        match,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      });
    });
  }

  async connect(nsp = "/"): Promise<void> {
    await this.#opened;
    this.send(pack({ type: 0, nsp }));
    const answer = await this.next((p) => p.type === 0 && p.nsp === nsp);
    expect(answer.data).toHaveProperty("sid");
  }

  async echo(value: MsgpackValue, id: number): Promise<unknown> {
    this.send(pack({ type: 2, nsp: "/", data: ["echo", value], id }));
    const ack = await this.next((p) => p.type === 3 && p.id === id);
    return (ack.data as unknown[])[0];
  }
}

async function setup(options: Partial<ServerOptions> = {}) {
  const { io, port } = await listen({ parser: msgpackParser, ...options });
  const closes: { reason: string; code: unknown }[] = [];
  io.on("connection", (socket) => {
    socket.on("disconnect", (reason, description) =>
      closes.push({ reason, code: (description as { code?: unknown } | undefined)?.code }),
    );
    socket.on("echo", (value: unknown, ack?: (v: unknown) => void) => ack?.(value));
  });
  const attacker = new MsgpackPeer(port);
  const bystander = new MsgpackPeer(port);
  await Promise.all([attacker.connect(), bystander.connect()]);
  return { io, port, attacker, bystander, closes };
}

const nested = (levels: number): MsgpackRaw =>
  new MsgpackRaw(Buffer.concat([Buffer.alloc(levels, 0x91), Buffer.from([0xc0])]));
const event = (data: MsgpackValue[], extra: Record<string, MsgpackValue> = {}): Buffer =>
  pack({ type: 2, nsp: "/", data, ...extra });
const bins = (n: number): Uint8Array[] => Array.from({ length: n }, () => new Uint8Array([1]));
const PARSER = ProtocolErrorCode.PARSER_ERROR;

// [name, frame, code of the description: undefined for the socket layer's own refusals]
const CLOSING: [string, Buffer | string, string | undefined][] = [
  ["bytes that are not msgpack", Buffer.from([0xc1]), PARSER],
  ["trailing bytes after a packet", Buffer.concat([event(["echo"]), Buffer.from([0])]), PARSER],
  ["a text message in the default parser's form", '42["echo",1]', PARSER],
  ["a packet that is not a map", pack(5), PARSER],
  ["packet type 9", pack({ type: 9, nsp: "/", data: ["echo"] }), PARSER],
  ["DISCONNECT with data", pack({ type: 1, nsp: "/", data: ["x"] }), PARSER],
  ["CONNECT auth that is an array", pack({ type: 0, nsp: "/x", data: [1] }), PARSER],
  ["a fractional ack id", event(["echo"], { id: 1.5 }), PARSER],
  [
    "a namespace without a leading /",
    pack({ type: 2, nsp: "chat", data: ["echo"] }),
    ProtocolErrorCode.INVALID_NAMESPACE,
  ],
  [
    "a namespace over maxNamespaceLength",
    pack({ type: 2, nsp: `/${"a".repeat(300)}`, data: ["echo"] }),
    ProtocolErrorCode.NAMESPACE_TOO_LONG,
  ],
  ["an event name that is not a string", event([1]), ProtocolErrorCode.INVALID_EVENT_NAME],
  ["an empty event array", event([]), ProtocolErrorCode.INVALID_PAYLOAD],
  ["EVENT data that is not an array", pack({ type: 2, nsp: "/", data: "echo" }), PARSER],
  [
    "an event name over maxEventNameLength",
    event(["e".repeat(300)]),
    ProtocolErrorCode.EVENT_NAME_TOO_LONG,
  ],
  ["a negative ack id", event(["echo"], { id: -1 }), ProtocolErrorCode.INVALID_ACK_ID],
  [
    "an ack id beyond 2^53",
    event(["echo"], { id: new MsgpackUint64(2n ** 60n) }),
    ProtocolErrorCode.INVALID_ACK_ID,
  ],
  ["an ACK without id", pack({ type: 3, nsp: "/", data: [1] }), ProtocolErrorCode.INVALID_ACK_ID],
  [
    "a CONNECT with an ack id",
    pack({ type: 0, nsp: "/x", id: 1 }),
    ProtocolErrorCode.INVALID_ACK_ID,
  ],
  [
    "data nested deeper than the encoder accepts",
    event(["echo", nested(1000)]),
    ProtocolErrorCode.DATA_TOO_DEEP,
  ],
  [
    "65 binary values (maxAttachments 64)",
    event(["echo", ...bins(65)]),
    ProtocolErrorCode.TOO_MANY_ATTACHMENTS,
  ],
  [
    "CONNECT auth with a __proto__ key",
    pack({
      type: 0,
      nsp: "/x",
      data: new MsgpackMap([["__proto__", { isAdmin: true }]]),
    }),
    ProtocolErrorCode.INVALID_PAYLOAD,
  ],
  [
    "event data with a __proto__ key",
    event(["echo", new MsgpackMap([["__proto__", [1]]])]),
    ProtocolErrorCode.INVALID_PAYLOAD,
  ],
  // refused by the structure scan before notepack.io would recurse 200,000 levels deep
  [
    "nesting that would overflow the decoder's stack",
    event(["echo", nested(200_000)]),
    ProtocolErrorCode.DATA_TOO_DEEP,
  ],
  [
    "an event named like a reserved event",
    event(["disconnect"]),
    SocketErrorCode.RESERVED_CLIENT_EVENT,
  ],
  [
    "a CONNECT_ERROR sent by a client",
    pack({ type: 4, nsp: "/", data: { message: "x" } }),
    SocketErrorCode.UNEXPECTED_PACKET,
  ],
];

describe("parser option: hostile msgpack frames", () => {
  it.each(CLOSING)("%s closes that connection with parse error only", async (_n, frame, code) => {
    const { attacker, bystander, closes } = await setup();
    attacker.send(frame);
    await attacker.closed;
    await expect.poll(() => closes).toEqual([{ reason: "parse error", code }]);
    expect(await bystander.echo("ok", 1)).toBe("ok");
  });

  it("accepts data nested as deep as the default decoder does, and binary up to maxAttachments", async () => {
    const { attacker, closes } = await setup();
    const deep = await attacker.echo(nested(998), 1);
    let depth = 0;
    for (let v: unknown = deep; Array.isArray(v); v = v[0]) depth++;
    expect(depth).toBe(998);
    const many = (await attacker.echo(bins(64), 2)) as unknown[];
    expect(many).toHaveLength(64);
    expect(many[63]).toEqual(Buffer.from([1]));
    expect(closes).toEqual([]);
  });

  it("applies configurable decoder limits", async () => {
    const { attacker, closes } = await setup({ decoderLimits: { maxEventNameLength: 4 } });
    attacker.send(event(["hello"]));
    await attacker.closed;
    expect(closes).toEqual([
      { reason: "parse error", code: ProtocolErrorCode.EVENT_NAME_TOO_LONG },
    ]);
  });

  it.each([
    ["an array32 header declaring 30 million items", [0xdd, 0x01, 0xc9, 0xc3, 0x80]],
    ["a map32 header declaring 2^31 entries", [0xdf, 0x7f, 0xff, 0xff, 0xff]],
    ["a str32 header declaring 2 GB", [0xdb, 0x7f, 0xff, 0xff, 0xff]],
    ["a bin32 header past the end", [0xc6, 0x00, 0x00, 0x10, 0x00, 1, 2]],
  ])("refuses %s before the parser's decoder allocates for it", async (_name, bytes) => {
    // notepack.io runs `new Array(count)` before reading an item: 30M items is 240 MB and
    // 1.7 s of a blocked event loop from 5 bytes (measured, Node 20)
    const sizes: number[] = [];
    class CountingDecoder extends msgpackParser.Decoder {
      override add(chunk: Buffer): void {
        sizes.push(chunk.length);
        super.add(chunk);
      }
    }
    const { attacker, bystander, closes } = await setup({
      parser: { Encoder: msgpackParser.Encoder, Decoder: CountingDecoder },
    });
    const seen = sizes.length;
    // {type: 2, nsp: "/", data: <the hostile header>}
    const head = [pack("type"), pack(2), pack("nsp"), pack("/"), pack("data")];
    attacker.send(Buffer.concat([Buffer.from([0x83]), ...head, Buffer.from(bytes)]));
    await attacker.closed;
    expect(closes).toEqual([{ reason: "parse error", code: PARSER }]);
    expect(sizes.length).toBe(seen);
    expect(await bystander.echo("ok", 1)).toBe("ok");
  });

  it("refuses a frame over maxHttpBufferSize before the parser sees it", async () => {
    const sizes: number[] = [];
    class CountingDecoder extends msgpackParser.Decoder {
      override add(chunk: Buffer): void {
        sizes.push(chunk.length);
        super.add(chunk);
      }
    }
    const { attacker, bystander, closes } = await setup({
      maxHttpBufferSize: 1000,
      parser: { Encoder: msgpackParser.Encoder, Decoder: CountingDecoder },
    });
    attacker.send(event(["echo", new Uint8Array(2000)]));
    await attacker.closed;
    expect(closes).toEqual([{ reason: "transport error", code: "SB_ERR_WS_MESSAGE_TOO_BIG" }]);
    expect(Math.max(...sizes)).toBeLessThan(1000);
    expect(await bystander.echo("ok", 1)).toBe("ok");
  });

  it("refuses a hostile frame over polling too", async () => {
    const { io, url } = await listen({ parser: msgpackParser });
    const closes: string[] = [];
    io.on("connection", (socket) => socket.on("disconnect", (reason) => closes.push(reason)));
    const base = `${url}/socket.io/?EIO=4&transport=polling`;
    const open = await (await fetch(base)).text();
    const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
    const post = (frame: Buffer) =>
      fetch(`${base}&sid=${sid}`, { method: "POST", body: `b${frame.toString("base64")}` });
    await post(pack({ type: 0, nsp: "/" }));
    await expect.poll(() => io.sockets.sockets.size).toBe(1);
    await post(pack({ type: 2, nsp: "chat", data: ["x"] }));
    await expect.poll(() => closes).toEqual(["parse error"]);
  });
});

/** A parser over JSON text: one chunk per packet, the packet object as it is. */
const jsonParser = {
  Encoder: class {
    encode(packet: object): string[] {
      return [JSON.stringify(packet)];
    }
  },
  Decoder: class extends EventEmitter {
    add(chunk: string): void {
      this.emit("decoded", JSON.parse(chunk));
    }
  },
};

async function rawPeer(port: number) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
  onCleanup(() => ws.terminate());
  const messages: string[] = [];
  const closed = once(ws, "close", 10_000);
  await once(ws, "message");
  ws.on("message", (data) => messages.push(String(data)));
  return { ws, messages, closed, send: (text: string) => ws.send(`4${text}`) };
}

describe("parser option: misbehaving decoders never crash the server", () => {
  async function attack(
    Decoder: new () => { add(chunk: unknown): void; on: never },
    frames: string[],
  ) {
    const { io, port } = await listen({
      parser: { Encoder: jsonParser.Encoder, Decoder } as unknown as ServerOptions["parser"],
    });
    const closes: { reason: string; code: unknown }[] = [];
    io.on("connection", (socket) => {
      socket.on("disconnect", (reason, description) =>
        closes.push({ reason, code: (description as { code?: unknown })?.code }),
      );
    });
    const peer = await rawPeer(port);
    for (const frame of frames) peer.send(frame);
    await peer.closed;
    return { io, closes };
  }

  it("a decoder that throws something that is not an Error", async () => {
    class Throwing extends jsonParser.Decoder {
      override add(chunk: string): void {
        if (chunk.includes("boom")) throw "boom";
        super.add(chunk);
      }
    }
    const { closes } = await attack(Throwing as never, ['{"type":0,"nsp":"/"}', "boom"]);
    expect(closes).toEqual([{ reason: "parse error", code: PARSER }]);
  });

  it("a decoder that emits 'error' later, outside add", async () => {
    class Failing extends jsonParser.Decoder {
      override add(chunk: string): void {
        if (chunk.includes("later")) setImmediate(() => this.emit("error", new Error("late")));
        else super.add(chunk);
      }
    }
    const { closes } = await attack(Failing as never, ['{"type":0,"nsp":"/"}', "later"]);
    expect(closes).toEqual([{ reason: "parse error", code: PARSER }]);
  });

  it("a decoder whose constructor throws", async () => {
    class Broken extends jsonParser.Decoder {
      constructor() {
        super();
        throw new Error("no decoder today");
      }
    }
    const { io, closes } = await attack(Broken as never, ['{"type":0,"nsp":"/"}']);
    expect(closes).toEqual([]); // never connected: the engine connection just closes
    expect(io.engine.clientsCount).toBe(0);
  });

  it("a decoder that emits what is not a packet object", async () => {
    const { closes } = await attack(jsonParser.Decoder as never, ['{"type":0,"nsp":"/"}', "null"]);
    expect(closes).toEqual([{ reason: "parse error", code: PARSER }]);
  });

  it("a decoder that buffers messages without completing a packet, past maxAttachments", async () => {
    // socket.io-parser, configured to accept up to 1000 attachments: the server's own limit
    // (here 3) still holds, counted as messages that complete no packet.
    class LenientDecoder extends sioParser.Decoder {
      constructor() {
        super({ maxAttachments: 1000 });
      }
    }
    const { io, port } = await listen({
      parser: { Encoder: sioParser.Encoder, Decoder: LenientDecoder },
      decoderLimits: { maxAttachments: 3 },
    });
    const closes: { reason: string; code: unknown }[] = [];
    io.on("connection", (socket) => {
      socket.on("disconnect", (reason, description) =>
        closes.push({ reason, code: (description as { code?: unknown })?.code }),
      );
    });
    const peer = await rawPeer(port);
    peer.send("0");
    await expect.poll(() => peer.messages.some((m) => m.startsWith("40"))).toBe(true);
    const placeholders = Array.from({ length: 5 }, (_, num) => ({ _placeholder: true, num }));
    peer.send(`55-${JSON.stringify(["echo", ...placeholders])}`);
    for (let i = 0; i < 5 && peer.ws.readyState === WebSocket.OPEN; i++) {
      peer.ws.send(Buffer.from([i]));
    }
    await peer.closed;
    expect(closes).toEqual([
      { reason: "parse error", code: ProtocolErrorCode.TOO_MANY_ATTACHMENTS },
    ]);
  });
});

describe("parser option: behaviour", () => {
  it("rejects a parser without Encoder and Decoder classes with TypeError", () => {
    expect(() => new Server({ parser: {} as never })).toThrow(TypeError);
    expect(() => new Server({ parser: { Encoder: class {} } as never })).toThrow(TypeError);
  });

  it("delivers several packets decoded from one message, and packets decoded later", async () => {
    class Batching extends jsonParser.Decoder {
      override add(chunk: string): void {
        const packets = JSON.parse(chunk) as object[];
        const [first, ...rest] = packets;
        this.emit("decoded", first);
        // the rest asynchronously, as a decoder that completes packets later would
        setImmediate(() => {
          for (const packet of rest) this.emit("decoded", packet);
        });
      }
    }
    const { io, port } = await listen({
      parser: { Encoder: jsonParser.Encoder, Decoder: Batching } as never,
    });
    const got: unknown[] = [];
    io.on("connection", (socket) => socket.on("n", (n: number) => got.push(n)));
    const peer = await rawPeer(port);
    peer.send('[{"type":0,"nsp":"/"}]');
    await expect.poll(() => peer.messages.length).toBe(1);
    const events = [1, 2, 3].map((n) => ({ type: 2, nsp: "/", data: ["n", n] }));
    peer.send(JSON.stringify(events));
    await expect.poll(() => got).toEqual([1, 2, 3]);
  });

  it("encodes a broadcast once with the parser's encoder, whatever the number of recipients", async () => {
    let encodes = 0;
    class CountingEncoder extends msgpackParser.Encoder {
      override encode(packet: unknown) {
        encodes++;
        return super.encode(packet);
      }
    }
    const { io, url } = await listen({
      parser: { Encoder: CountingEncoder, Decoder: msgpackParser.Decoder },
    });
    io.on("connection", (socket) => socket.join("room"));
    const transport = TRANSPORTS[0];
    const sockets = await Promise.all(
      Array.from({ length: 5 }, () => connected(client(url, transport, { parser: msgpackParser }))),
    );
    const received = Promise.all(sockets.map((s) => once<[Buffer]>(s, "news")));
    const before = encodes;
    io.to("room").emit("news", Buffer.from([1, 2]));
    expect(encodes - before).toBe(1);
    for (const [news] of await received) expect([...news]).toEqual([1, 2]);
  });

  it("the in-process test client speaks the parser it is given", async () => {
    const io = new Server({ parser: msgpackParser });
    onCleanup(() => io.close());
    io.on("connection", (socket) => {
      socket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
    });
    const socket = await connectTestClient(io, "/", { parser: msgpackParser });
    expect(await socket.emitWithAck("echo", { bin: Buffer.from([5]) })).toEqual([
      { bin: Buffer.from([5]) },
    ]);
  });

  it("destroys each connection's decoder when it closes", async () => {
    let created = 0;
    let destroyed = 0;
    class TrackedDecoder extends msgpackParser.Decoder {
      constructor() {
        super();
        created++;
      }
      override destroy(): void {
        destroyed++;
        super.destroy();
      }
    }
    const { io, url } = await listen({
      parser: { Encoder: msgpackParser.Encoder, Decoder: TrackedDecoder },
    });
    const sockets = await Promise.all(
      TRANSPORTS.map((t) => connected(client(url, t, { parser: msgpackParser }))),
    );
    expect(created).toBe(3);
    for (const s of sockets) s.disconnect();
    await expect.poll(() => io.engine.clientsCount).toBe(0);
    expect(destroyed).toBe(3);
  });
});

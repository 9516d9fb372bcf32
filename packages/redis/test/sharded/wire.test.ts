// The sharded adapter's message format against literal messages that
// @socket.io/redis-adapter 8.3's createShardedAdapter published (captured with
// `redis-cli monitor`, issue 16): what Switchboard writes is byte for byte what a socket.io
// node writes, and what a socket.io node writes reads back as the same ClusterMessage.
import type { ClusterMessage } from "@switchboard/server";
import { encode as notepack } from "notepack.io";
import { describe, expect, it } from "vitest";
import { RedisAdapterErrorCode } from "../../src/errors.js";
import { encode } from "../../src/msgpack/encode.js";
import { decodeShardedMessage, encodeShardedMessage } from "../../src/sharded/wire.js";

const A = "c2295128314006aa";
const B = "a12d39fdcf4ffbfe";
const NO_OPTS = { rooms: [], except: [], flags: {} };
const read = (raw: string | Buffer, self = A) =>
  decodeShardedMessage(Buffer.from(raw), { maxMessageBytes: 1 << 20, self });

/** [name, message, the JSON a socket.io node published for it]. */
const CAPTURED: Array<[string, ClusterMessage, string]> = [
  [
    "broadcast to one room, except, volatile",
    {
      type: "broadcast",
      uid: A,
      nsp: "/",
      packet: { type: 2, nsp: "/", data: ["ev", "r"] },
      opts: { rooms: ["room1"], except: ["roomX"], flags: { volatile: true } },
    },
    `{"type":3,"data":{"packet":{"type":2,"data":["ev","r"]},"opts":{"rooms":["room1"],"except":["roomX"],"flags":{"volatile":true}}},"uid":"${A}","nsp":"/"}`,
  ],
  [
    "broadcast expecting acks",
    {
      type: "broadcast",
      uid: A,
      nsp: "/",
      packet: { type: 2, nsp: "/", data: ["ev", "ack?"] },
      opts: { rooms: [], except: [], flags: { timeout: 1000 } },
      requestId: "df796b64bff562ab",
    },
    `{"type":3,"data":{"packet":{"type":2,"data":["ev","ack?"]},"requestId":"df796b64bff562ab","opts":{"rooms":[],"except":[],"flags":{"timeout":1000}}},"uid":"${A}","nsp":"/"}`,
  ],
  [
    "remote socket emit (expectSingleResponse)",
    {
      type: "broadcast",
      uid: A,
      nsp: "/",
      packet: { type: 2, nsp: "/", data: ["ev", "direct"] },
      opts: { rooms: ["xzcAheXbQZrD1LWqAAAA"], except: [], flags: { expectSingleResponse: true } },
    },
    `{"type":3,"data":{"packet":{"type":2,"data":["ev","direct"]},"opts":{"rooms":["xzcAheXbQZrD1LWqAAAA"],"except":[],"flags":{"expectSingleResponse":true}}},"uid":"${A}","nsp":"/"}`,
  ],
  [
    "broadcast client count",
    {
      type: "broadcast-client-count",
      uid: B,
      nsp: "/",
      requestId: "df796b64bff562ab",
      requester: A,
      clientCount: 1,
    },
    `{"type":11,"data":{"requestId":"df796b64bff562ab","clientCount":1},"uid":"${B}","nsp":"/"}`,
  ],
  [
    "broadcast ack (first argument only)",
    {
      type: "broadcast-ack",
      uid: B,
      nsp: "/",
      requestId: "df796b64bff562ab",
      requester: A,
      args: ["ackval"],
    },
    `{"type":12,"data":{"requestId":"df796b64bff562ab","packet":"ackval"},"uid":"${B}","nsp":"/"}`,
  ],
  [
    "sockets-join",
    {
      type: "sockets-join",
      uid: A,
      nsp: "/",
      opts: { ...NO_OPTS, rooms: ["room1"] },
      rooms: ["room3"],
    },
    `{"type":4,"data":{"opts":{"rooms":["room1"],"except":[],"flags":{}},"rooms":["room3"]},"uid":"${A}","nsp":"/"}`,
  ],
  [
    "sockets-leave",
    { type: "sockets-leave", uid: A, nsp: "/", opts: NO_OPTS, rooms: ["room3"] },
    `{"type":5,"data":{"opts":{"rooms":[],"except":[],"flags":{}},"rooms":["room3"]},"uid":"${A}","nsp":"/"}`,
  ],
  [
    "disconnect-sockets",
    {
      type: "disconnect-sockets",
      uid: A,
      nsp: "/",
      opts: { ...NO_OPTS, rooms: ["room1"] },
      close: true,
    },
    `{"type":6,"data":{"opts":{"rooms":["room1"],"except":[],"flags":{}},"close":true},"uid":"${A}","nsp":"/"}`,
  ],
  [
    "fetch-sockets",
    { type: "fetch-sockets", uid: A, nsp: "/", opts: NO_OPTS, requestId: "3094ca076bc85ab2" },
    `{"type":7,"data":{"opts":{"rooms":[],"except":[],"flags":{}},"requestId":"3094ca076bc85ab2"},"uid":"${A}","nsp":"/"}`,
  ],
  [
    "server-side-emit",
    { type: "server-side-emit", uid: A, nsp: "/", args: ["hello", 1] },
    `{"type":9,"data":{"packet":["hello",1]},"uid":"${A}","nsp":"/"}`,
  ],
  [
    "server-side-emit expecting answers",
    {
      type: "server-side-emit",
      uid: A,
      nsp: "/",
      args: ["hello", 2],
      requestId: "de52f3b077f80d96",
    },
    `{"type":9,"data":{"requestId":"de52f3b077f80d96","packet":["hello",2]},"uid":"${A}","nsp":"/"}`,
  ],
  [
    "server-side-emit response",
    {
      type: "server-side-emit-response",
      uid: B,
      nsp: "/",
      requestId: "de52f3b077f80d96",
      requester: A,
      args: ["hi-from-b"],
    },
    `{"type":10,"data":{"requestId":"de52f3b077f80d96","packet":"hi-from-b"},"uid":"${B}","nsp":"/"}`,
  ],
];

const HANDSHAKE = {
  headers: { connection: "Upgrade", host: "127.0.0.1:4802" },
  time: "Thu Dec 03 2026 04:38:18 GMT+0000 (Coordinated Universal Time)",
  address: "::ffff:127.0.0.1",
  xdomain: false,
  secure: false,
  issued: 1796272698469,
  url: "/socket.io/?EIO=4&transport=websocket",
  query: { EIO: "4", transport: "websocket" },
  auth: {},
};
const FETCH_RESPONSE = `{"type":8,"data":{"requestId":"3094ca076bc85ab2","sockets":[{"id":"a4TvZTUqTxvs_DtFAAAA","handshake":${JSON.stringify(HANDSHAKE)},"rooms":["a4TvZTUqTxvs_DtFAAAA","room1"],"data":{"x":1}}]},"uid":"${B}","nsp":"/"}`;

describe("sharded wire format", () => {
  it.each(CAPTURED)("%s: written as socket.io writes it, read back", (_, message, json) => {
    expect(encodeShardedMessage(message)).toBe(json);
    expect(read(json)).toEqual(message);
  });

  it("fetch-sockets response: rooms as an array on the wire, a Set in the message", () => {
    const message = read(FETCH_RESPONSE);
    expect(message).toEqual({
      type: "fetch-sockets-response",
      uid: B,
      nsp: "/",
      requestId: "3094ca076bc85ab2",
      requester: A,
      sockets: [
        {
          id: "a4TvZTUqTxvs_DtFAAAA",
          handshake: HANDSHAKE,
          rooms: new Set(["a4TvZTUqTxvs_DtFAAAA", "room1"]),
          data: { x: 1 },
        },
      ],
    });
    expect(encodeShardedMessage(message)).toBe(FETCH_RESPONSE);
  });

  it("binary data: MessagePack, the bytes socket.io published (notepack.io's)", () => {
    const data = ["ev", 1, "two", Buffer.from([1, 2, 3])];
    const message: ClusterMessage = {
      type: "broadcast",
      uid: A,
      nsp: "/",
      packet: { type: 2, nsp: "/", data },
      opts: NO_OPTS,
    };
    const captured = Buffer.from(
      `84a474797065 03 a464617461 82 a67061636b6574 82 a474797065 02 a464617461 94 a26576 01 a374776f c403010203 a46f707473 83 a5726f6f6d73 90 a6657863657074 90 a5666c616773 80 a3756964 b0${Buffer.from(A).toString("hex")} a36e7370 a12f`.replaceAll(
        " ",
        "",
      ),
      "hex",
    );
    const bytes = encodeShardedMessage(message);
    expect(Buffer.isBuffer(bytes) && bytes.equals(captured)).toBe(true);
    // …which is also what notepack.io writes for the object socket.io encodes.
    const wire = { type: 3, data: { packet: { type: 2, data }, opts: NO_OPTS }, uid: A, nsp: "/" };
    expect(Buffer.from(notepack(wire)).equals(captured)).toBe(true);
    expect(read(captured)).toEqual(message);
  });

  it("a packet from a socket.io node gets the message's namespace", () => {
    const json = `{"type":3,"data":{"packet":{"type":2,"data":["x"]},"opts":{"rooms":[],"except":[],"flags":{}}},"uid":"${B}","nsp":"/other"}`;
    expect(read(json)).toMatchObject({
      nsp: "/other",
      packet: { type: 2, nsp: "/other", data: ["x"] },
    });
  });

  it("only the known flags of the known types pass", () => {
    const json = `{"type":3,"data":{"packet":{"type":2,"data":["x"]},"opts":{"rooms":[],"except":[],"flags":{"volatile":"yes","compress":false,"timeout":-1,"evil":{"a":1}}}},"uid":"${B}","nsp":"/"}`;
    expect(read(json)).toMatchObject({ opts: { flags: { compress: false } } });
    expect((read(json) as { opts: { flags: object } }).opts.flags).toEqual({ compress: false });
  });

  const HOSTILE: Array<[string, string | Buffer, string]> = [
    ["bad JSON", "{not json", RedisAdapterErrorCode.INVALID_MESSAGE],
    ["an array", encode([1, 2]), RedisAdapterErrorCode.INVALID_MESSAGE],
    [
      "unknown type",
      `{"type":99,"data":{},"uid":"x","nsp":"/"}`,
      RedisAdapterErrorCode.INVALID_MESSAGE,
    ],
    [
      "uid not a string",
      `{"type":3,"data":{},"uid":7,"nsp":"/"}`,
      RedisAdapterErrorCode.INVALID_MESSAGE,
    ],
    ["no data", `{"type":7,"uid":"x","nsp":"/"}`, RedisAdapterErrorCode.INVALID_MESSAGE],
    [
      "a CONNECT packet broadcast",
      `{"type":3,"data":{"packet":{"type":0,"data":["x"]},"opts":{"rooms":[],"except":[],"flags":{}}},"uid":"x","nsp":"/"}`,
      RedisAdapterErrorCode.INVALID_MESSAGE,
    ],
    [
      "a room that is not a string",
      `{"type":4,"data":{"opts":{"rooms":[{}],"except":[],"flags":{}},"rooms":["r"]},"uid":"x","nsp":"/"}`,
      RedisAdapterErrorCode.INVALID_MESSAGE,
    ],
    [
      "a negative client count",
      `{"type":11,"data":{"requestId":"r","clientCount":-5},"uid":"x","nsp":"/"}`,
      RedisAdapterErrorCode.INVALID_MESSAGE,
    ],
    [
      "a huge client count",
      `{"type":11,"data":{"requestId":"r","clientCount":1e300},"uid":"x","nsp":"/"}`,
      RedisAdapterErrorCode.INVALID_MESSAGE,
    ],
    [
      "sockets not an array",
      `{"type":8,"data":{"requestId":"r","sockets":{"length":1e9}},"uid":"x","nsp":"/"}`,
      RedisAdapterErrorCode.INVALID_MESSAGE,
    ],
    [
      "a socket without handshake",
      `{"type":8,"data":{"requestId":"r","sockets":[{"id":"s","rooms":[]}]},"uid":"x","nsp":"/"}`,
      RedisAdapterErrorCode.INVALID_MESSAGE,
    ],
    ["truncated msgpack", Buffer.from([0x84, 0xa4, 0x74]), RedisAdapterErrorCode.INVALID_MSGPACK],
    [
      "an array32 claiming 4 billion items",
      Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]),
      RedisAdapterErrorCode.INVALID_MSGPACK,
    ],
    [
      "a __proto__ key",
      Buffer.from([0x81, 0xa9, ...Buffer.from("__proto__"), 0x01]),
      RedisAdapterErrorCode.FORBIDDEN_KEY,
    ],
  ];

  it.each(HOSTILE)("drops %s with its code", (_, raw, code) => {
    expect(() => read(raw)).toThrow(expect.objectContaining({ code }));
  });

  it("drops a message over maxMessageBytes before reading it", () => {
    const raw = Buffer.from(CAPTURED[0]![2]);
    expect(() => decodeShardedMessage(raw, { maxMessageBytes: raw.length - 1, self: A })).toThrow(
      expect.objectContaining({ code: RedisAdapterErrorCode.MESSAGE_TOO_LARGE }),
    );
  });
});

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ClientErrorCode, io, type Socket, type TransportError } from "@switchboard/client";
import { ProtocolErrorCode } from "@switchboard/protocol";
import * as msgpackParser from "socket.io-msgpack-parser";
import { afterEach, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { closeAll, track, waitFor } from "./helpers.js";

/**
 * The client's `parser` option against a misbehaving server speaking msgpack
 * (socket.io-msgpack-parser): the checks and limits of the default decoder, the bound on
 * events before CONNECT, a fresh decoder for each connection.
 */

const open = `0${JSON.stringify({ sid: "fake-sid", upgrades: [], pingInterval: 25_000, pingTimeout: 20_000, maxPayload: 1e6 })}`;
const encoder = new msgpackParser.Encoder();
/** One msgpack frame (the package's .d.ts says ArrayBuffer; it returns an array with one Buffer). */
const msgpack = (packet: object): Buffer => {
  const chunks: unknown = encoder.encode(packet);
  return (chunks as Buffer[])[0]!;
};

/** fixstr */
const str = (s: string): Buffer => Buffer.concat([Buffer.from([0xa0 | s.length]), Buffer.from(s)]);
/** `{type: 2, nsp: "/", data: ["e", <value>]}` with `value` as raw msgpack bytes. */
const eventWithRaw = (value: Buffer): Buffer =>
  Buffer.concat([
    Buffer.from([0x83]),
    str("type"),
    Buffer.from([2]),
    str("nsp"),
    str("/"),
    str("data"),
    Buffer.from([0x92]),
    str("e"),
    value,
  ]);

const fakes: Server[] = [];
afterEach(async () => {
  await closeAll();
  for (const http of fakes.splice(0)) {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  }
});

/**
 * A fake WebSocket server speaking msgpack: `onConnect(ws, n)` runs when connection n (from
 * 1) sends its CONNECT; `received` collects the packets the client sent.
 */
async function fakeServer(onConnect: (ws: WebSocket, n: number) => void) {
  const received: unknown[] = [];
  const http = createServer((_req, res) => res.writeHead(400).end());
  const wss = new WebSocketServer({ server: http });
  let n = 0;
  wss.on("connection", (ws) => {
    const id = ++n;
    const decoder = new msgpackParser.Decoder();
    decoder.on("decoded", (packet: { type: number }) => {
      received.push(packet);
      if (packet.type === 0) onConnect(ws, id);
    });
    ws.on("message", (data: Buffer, isBinary) => {
      if (isBinary) decoder.add(data);
    });
    ws.send(open);
  });
  http.on("close", () => wss.close());
  fakes.push(http);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, received };
}

const connect = (url: string, extra: Record<string, unknown> = {}): Socket =>
  track(
    io(url, {
      forceNew: true,
      transports: ["websocket"],
      parser: msgpackParser,
      reconnectionDelay: 10,
      reconnectionDelayMax: 20,
      ...extra,
    }),
  );

const CONNECTED = msgpack({ type: 0, nsp: "/", data: { sid: "socket-sid" } });

const HOSTILE: [string, Buffer | string, string][] = [
  ["bytes that are not msgpack", Buffer.from([0xc1]), ProtocolErrorCode.PARSER_ERROR],
  ["a text message in the default parser's form", '42["e"]', ProtocolErrorCode.PARSER_ERROR],
  [
    "an event name that is not a string",
    msgpack({ type: 2, nsp: "/", data: [1] }),
    ProtocolErrorCode.INVALID_EVENT_NAME,
  ],
  [
    "a namespace without a leading /",
    msgpack({ type: 2, nsp: "x", data: ["e"] }),
    ProtocolErrorCode.INVALID_NAMESPACE,
  ],
  ["an ACK without id", msgpack({ type: 3, nsp: "/", data: [] }), ProtocolErrorCode.INVALID_ACK_ID],
  [
    "65 binary values",
    msgpack({
      type: 2,
      nsp: "/",
      data: ["e", ...Array.from({ length: 65 }, () => Buffer.from([1]))],
    }),
    ProtocolErrorCode.TOO_MANY_ATTACHMENTS,
  ],
  [
    "event data with a __proto__ key",
    msgpack({ type: 2, nsp: "/", data: ["e", JSON.parse('{"__proto__":{"polluted":true}}')] }),
    ProtocolErrorCode.INVALID_PAYLOAD,
  ],
  [
    "data nested deeper than the encoder accepts",
    eventWithRaw(Buffer.concat([Buffer.alloc(1000, 0x91), Buffer.from([0xc0])])),
    ProtocolErrorCode.DATA_TOO_DEEP,
  ],
  [
    "nesting that would overflow the decoder's stack",
    eventWithRaw(Buffer.concat([Buffer.alloc(200_000, 0x91), Buffer.from([0xc0])])),
    ProtocolErrorCode.DATA_TOO_DEEP,
  ],
  [
    "an array32 header declaring 30 million items in 5 bytes",
    eventWithRaw(Buffer.from([0xdd, 0x01, 0xc9, 0xc3, 0x80])),
    ProtocolErrorCode.PARSER_ERROR,
  ],
];

describe("client parser option against a hostile msgpack server", () => {
  it.each(HOSTILE)(
    "%s: disconnect 'parse error', then a clean reconnection",
    async (_n, frame, code) => {
      let sent = false;
      const { url } = await fakeServer((ws, n) => {
        ws.send(CONNECTED);
        // the hostile frame on the first connection only; the second one must work
        if (n === 1) ws.send(frame);
        else ws.send(msgpack({ type: 2, nsp: "/", data: ["fine", Buffer.from([1, 2])] }));
        sent = true;
      });
      const socket = connect(url);
      const got: string[] = [];
      socket.onAny((event: string) => got.push(event));
      const [reason, description] = await waitFor(socket, "disconnect");
      expect(sent).toBe(true);
      expect(reason).toBe("parse error");
      expect((description as { code?: string }).code).toBe(code);
      const [bytes] = await waitFor(socket, "fine");
      expect([...(bytes as Buffer)]).toEqual([1, 2]);
      expect(got).toEqual(["fine"]);
      expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    },
  );

  it("holds up to maxBufferedPackets events sent before CONNECT; one more refuses (SB_ERR_TOO_MANY_EARLY_PACKETS)", async () => {
    const { url, received } = await fakeServer((ws, n) => {
      const count = n === 1 ? 3 : 4;
      for (let i = 0; i < count; i++) ws.send(msgpack({ type: 2, nsp: "/", data: ["early", i] }));
      ws.send(CONNECTED);
      ws.send(msgpack({ type: 2, nsp: "/", data: ["after"] }));
    });
    const atBound = connect(url, { maxBufferedPackets: 3, reconnection: false });
    const held: number[] = [];
    atBound.on("early", (i: number) => held.push(i));
    await waitFor(atBound, "after");
    expect(held).toEqual([0, 1, 2]);

    const over = connect(url, { maxBufferedPackets: 3, reconnection: false });
    const [err] = await waitFor<[TransportError]>(over, "connect_error");
    expect(err.code).toBe(ClientErrorCode.TOO_MANY_EARLY_PACKETS);
    expect(over.receiveBuffer).toHaveLength(0);
    // the DISCONNECT the client sends on refusing went through the parser too
    await expect.poll(() => received).toContainEqual({ type: 1, nsp: "/" });
  });

  it("sends every packet through the parser's encoder", async () => {
    const { url, received } = await fakeServer((ws) => ws.send(CONNECTED));
    const socket = connect(url, { auth: { token: "t" } });
    await waitFor(socket, "connect");
    socket.emit("hello", Buffer.from([3]), () => {});
    await expect.poll(() => received.length).toBe(2);
    expect(received[0]).toEqual({ type: 0, nsp: "/", data: { token: "t" } });
    expect(received[1]).toEqual({ type: 2, nsp: "/", data: ["hello", Buffer.from([3])], id: 0 });
  });

  it("rejects a parser without Encoder and Decoder classes with TypeError", () => {
    expect(() => io("http://127.0.0.1:1", { parser: {} as never, autoConnect: false })).toThrow(
      TypeError,
    );
  });
});

import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { EngineConnection } from "../../src/engine/index.js";
import {
  closeAll,
  maskedFrame as frame,
  listen,
  once,
  record,
  type TestEngine,
  track,
  until,
} from "./helpers.js";

afterEach(closeAll);

/** A raw TCP WebSocket client: writes exactly the bytes a test gives it. */
interface RawPeer {
  socket: Socket;
  /** Everything received after the HTTP head. */
  frames(): Buffer;
  head: string;
  ended: Promise<void>;
}

async function rawPeer(t: TestEngine, headers: Record<string, string> = {}): Promise<RawPeer> {
  const url = new URL(t.url);
  const socket = connect(Number(url.port), url.hostname);
  track(() => {
    socket.destroy();
  });
  await once(socket, "connect");
  const all: Record<string, string> = {
    Host: url.host,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
    ...headers,
  };
  let req = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n";
  for (const [k, v] of Object.entries(all)) if (v !== "") req += `${k}: ${v}\r\n`;
  socket.write(`${req}\r\n`);
  let data = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    data = Buffer.concat([data, chunk]);
  });
  const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await until(() => data.includes("\r\n\r\n") || socket.destroyed);
  const end = data.indexOf("\r\n\r\n");
  const head = data.subarray(0, end).toString("latin1");
  return {
    socket,
    head,
    ended,
    frames: () => data.subarray(end + 4),
  };
}

async function opened(t: TestEngine, headers?: Record<string, string>) {
  const connected = once<[EngineConnection]>(t.engine, "connection");
  const peer = await rawPeer(t, headers);
  const [conn] = await connected;
  return { peer, conn, rec: record(conn) };
}

describe("WebSocket without ws objects (no per-message deflate)", () => {
  it("answers the opening handshake (RFC 6455 example key) with the first subprotocol", async () => {
    const t = await listen();
    const { peer } = await opened(t, { "Sec-WebSocket-Protocol": "chat, superchat" });
    expect(peer.head).toMatch(/^HTTP\/1\.1 101 /);
    expect(peer.head).toContain("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    expect(peer.head).toContain("Sec-WebSocket-Protocol: chat");
    expect(peer.head).not.toContain("superchat");
    await until(() => peer.frames().length > 2);
    expect(peer.frames()[0]).toBe(0x81);
    expect(peer.frames().subarray(2, 4).toString()).toBe("0{");
  });

  it.each([
    ["ASCII (answer and open packet in one write)", "abc-123"],
    ["non-ASCII", "sid-é-€"],
    ["long (two-byte frame length)", "x".repeat(200)],
  ])("sends the exact open packet after the 101 for a %s sid", async (_name, id) => {
    const t = await listen({}, (engine) => {
      engine.generateId = () => id;
    });
    const { peer, conn } = await opened(t);
    expect(conn.id).toBe(id);
    const text = Buffer.from((conn as unknown as { openPacket(): string }).openPacket(), "utf8");
    const h = text.length < 126 ? 2 : 4;
    await until(() => peer.frames().length >= h + text.length);
    const f = peer.frames();
    expect(f[0]).toBe(0x81);
    expect(h === 2 ? f[1] : f.readUInt16BE(2)).toBe(text.length);
    expect(f.subarray(h, h + text.length).toString("utf8")).toBe(text.toString("utf8"));
    expect(JSON.parse(text.toString("utf8").slice(1)).sid).toBe(id);
  });

  it("refuses a bad key or version with 400, like ws", async () => {
    const t = await listen();
    const bad = await rawPeer(t, { "Sec-WebSocket-Key": "short" });
    expect(bad.head).toMatch(/^HTTP\/1\.1 400 /);
    const version = await rawPeer(t, { "Sec-WebSocket-Version": "12" });
    expect(version.head).toMatch(/^HTTP\/1\.1 400 /);
    expect(version.head).toContain("Sec-WebSocket-Version: 13, 8");
    expect(t.engine.clientsCount).toBe(0);
  });

  it("reads repeated handshake headers as Node joins them (a repeated key is refused)", async () => {
    const t = await listen();
    /** The status line and headers of the answer to a hand-written request head. */
    const answer = async (lines: string[]): Promise<string> => {
      const url = new URL(t.url);
      const socket = connect(Number(url.port), url.hostname);
      track(() => {
        socket.destroy();
      });
      await once(socket, "connect");
      socket.write(
        `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${url.host}\r\n${lines.join("\r\n")}\r\n\r\n`,
      );
      let data = "";
      socket.on("data", (chunk: Buffer) => {
        data += chunk.toString("latin1");
      });
      await until(() => data.includes("\r\n\r\n") || socket.destroyed);
      return data.slice(0, data.indexOf("\r\n\r\n"));
    };
    const base = ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13"];
    const key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==";
    // Two keys make "k1, k2": not a valid key.
    expect(await answer([...base, key, "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ=="])).toMatch(
      /^HTTP\/1\.1 400 /,
    );
    // Subprotocols over two lines are one list: the first offered is chosen.
    const head = await answer([
      ...base,
      key,
      "Sec-WebSocket-Protocol: alpha",
      "sec-websocket-protocol: beta",
    ]);
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    expect(head.split("\r\n")).toContain("Sec-WebSocket-Protocol: alpha");
    // Header names in any case.
    expect(
      await answer([
        "UPGRADE: WebSocket",
        "Connection: Upgrade",
        "SEC-WEBSOCKET-VERSION: 13",
        "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==",
      ]),
    ).toMatch(/^HTTP\/1\.1 101 /);
  });

  it("reassembles fragmented and split frames, unmasks, answers pings", async () => {
    const t = await listen();
    const { peer, rec } = await opened(t);
    const bytes = Buffer.concat([
      frame(1, Buffer.from("4hel"), false),
      frame(9, Buffer.from("p!")), // a ping between fragments
      frame(0, Buffer.from("lo"), true),
      frame(2, Buffer.alloc(70000, 7), true, 0),
      frame(1, Buffer.from(`4${"é".repeat(100)}`)),
    ]);
    // Byte by byte at the start, then in odd-sized pieces.
    for (let i = 0; i < 20; i++) peer.socket.write(bytes.subarray(i, i + 1));
    for (let i = 20; i < bytes.length; i += 997) peer.socket.write(bytes.subarray(i, i + 997));
    await until(() => rec.messages.length === 3);
    expect(rec.messages[0]).toBe("hello");
    expect(Buffer.alloc(70000, 7).equals(rec.messages[1] as Buffer)).toBe(true);
    expect(rec.messages[2]).toBe("é".repeat(100));
    // The pong (0x8a, "p!") follows the open packet frame.
    await until(() => peer.frames().includes(Buffer.from([0x8a, 2, 0x70, 0x21])));
  });

  it.each([
    ["an unmasked frame", Buffer.from([0x81, 0x02, 0x34, 0x61]), 1002],
    ["invalid UTF-8 in a text frame", frame(1, Buffer.from([0x34, 0xff])), 1007],
    ["a reserved opcode", frame(3, Buffer.from("x")), 1002],
    ["RSV bits", Buffer.from([0xc1, 0x80, 0, 0, 0, 0]), 1002],
    ["a continuation without a start", frame(0, Buffer.from("x")), 1002],
  ])("closes on %s with code %i and transport error", async (_name, bytes, code) => {
    const t = await listen();
    const { peer, rec } = await opened(t);
    const before = peer.frames().length;
    peer.socket.write(bytes);
    expect(await rec.closed).toBe("transport error");
    await peer.ended;
    const close = peer.frames().subarray(before);
    expect(close[0]).toBe(0x88);
    expect(close.readUInt16BE(2)).toBe(code);
  });

  it("a message over maxHttpBufferSize closes with 1009, even across fragments", async () => {
    const t = await listen({ maxHttpBufferSize: 100 });
    const { peer, rec } = await opened(t);
    const before = peer.frames().length;
    peer.socket.write(frame(1, Buffer.alloc(60, 0x34), false));
    peer.socket.write(frame(0, Buffer.alloc(60, 0x61), true));
    expect(await rec.closed).toBe("transport error");
    await peer.ended;
    expect(peer.frames().readUInt16BE(before + 2)).toBe(1009);
  });

  it("answers the peer's close frame with the same code; the session closes with transport close", async () => {
    const t = await listen();
    const { peer, rec } = await opened(t);
    const before = peer.frames().length;
    const code = Buffer.alloc(2);
    code.writeUInt16BE(1001, 0);
    peer.socket.write(frame(8, code));
    await until(() => peer.frames().length >= before + 4);
    expect([...peer.frames().subarray(before, before + 4)]).toEqual([0x88, 2, 0x03, 0xe9]);
    peer.socket.end();
    expect(await rec.closed).toBe("transport close");
    expect(t.engine.clientsCount).toBe(0);
  });

  it("conn.close() sends the queued frames, then a close frame, then ends the stream", async () => {
    const t = await listen();
    const { peer, conn, rec } = await opened(t);
    const before = peer.frames().length;
    conn.send(["bye"]);
    conn.close();
    expect(await rec.closed).toBe("forced close");
    await until(() => peer.frames().length >= before + 7);
    expect([...peer.frames().subarray(before)]).toEqual([0x81, 4, 0x34, 0x62, 0x79, 0x65, 0x88, 0]);
    // The stream ends once the peer answers with its close frame (closing handshake).
    peer.socket.write(frame(8, Buffer.alloc(0)));
    await peer.ended;
  });

  it("generates 20-char url-safe session ids, unique across id-pool refills", async () => {
    const t = await listen();
    const ids = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const id = t.engine.generateId({} as never) as string;
      expect(id).toMatch(/^[A-Za-z0-9_-]{20}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(300);
  });
});

describe("frames sent with the upgrade request (the `head` bytes)", () => {
  /** The upgrade request and `frames` in one write, so Node hands the frames over as `head`. */
  async function upgradeWith(t: TestEngine, frames: Buffer) {
    const url = new URL(t.url);
    const socket = connect(Number(url.port), url.hostname);
    track(() => {
      socket.destroy();
    });
    await once(socket, "connect");
    // Recorded from the "connection" event itself: the head is read right after it.
    const connected = new Promise<{ conn: EngineConnection; rec: ReturnType<typeof record> }>(
      (resolve) => {
        t.engine.once("connection", (conn: EngineConnection) =>
          resolve({ conn, rec: record(conn) }),
        );
      },
    );
    const req =
      "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n" +
      `Host: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    socket.write(Buffer.concat([Buffer.from(req, "latin1"), frames]));
    return { socket, ...(await connected) };
  }

  it("are read once the session listens: a message in them reaches it", async () => {
    const t = await listen();
    const { rec } = await upgradeWith(t, frame(1, Buffer.from("4hello")));
    await until(() => rec.messages.length === 1);
    expect(rec.messages).toEqual(["hello"]);
  });

  it("a bad frame in them closes the session at once (not at its ping timeout)", async () => {
    // Found by the fuzzer: parsed before the session listened, the error was never reported
    // and the session lived on until pingInterval + pingTimeout.
    const t = await listen({ pingInterval: 60_000, pingTimeout: 60_000 });
    const { rec } = await upgradeWith(t, Buffer.from([0x00, 0x68, 0x56, 0x52]));
    expect(await rec.closed).toBe("transport error");
    expect(t.engine.clientsCount).toBe(0);
  });
});

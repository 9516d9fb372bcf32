import { createServer } from "node:http";
import { ClientErrorCode, type SocketError, type TransportError } from "@switchboard/client";
import { describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { connectFast, fakeServers, until, waitFor } from "./helpers.js";

/**
 * Valid traffic of older Socket.IO v5 servers, in the forms python-socketio 5.7.2 /
 * python-engineio 4.3.4 (Debian's, under Flask-SocketIO 5.3.2) write it, from a fake
 * WebSocket server: each frame here is one those servers were seen to send (see
 * interop/python/ for the live tests against them).
 */

/** python-engineio 4.3's open packet: no maxPayload; pingInterval in whole seconds. */
const pythonOpen = (pingInterval = 25_000, pingTimeout = 20_000) =>
  `0${JSON.stringify({ sid: "py-sid", upgrades: [], pingTimeout, pingInterval })}`;

const listen = fakeServers();

/**
 * A fake WebSocket-only server: `script(ws, n)` runs for connection n (from 1); every text
 * frame the client sends is recorded in `received`.
 */
async function fakeServer(
  script: (ws: WebSocket, n: number) => void,
): Promise<{ url: string; received: string[] }> {
  const received: string[] = [];
  const http = createServer((_req, res) => res.writeHead(400).end());
  const wss = new WebSocketServer({ server: http });
  let n = 0;
  wss.on("connection", (ws) => {
    ws.on("message", (data, isBinary) => {
      if (!isBinary) received.push(String(data));
    });
    script(ws, ++n);
  });
  http.on("close", () => wss.close());
  return { url: await listen(http), received };
}

/** Runs `reply` when the client's CONNECT for `/` arrives. */
const onConnectPacket = (ws: WebSocket, reply: () => void) =>
  ws.on("message", (data) => {
    if (String(data).startsWith("40")) reply();
  });

const connect = connectFast;

describe("events a server sends before its CONNECT answer (python-socketio 5.7 order)", () => {
  it("are delivered right after `connect`, in order, with id set and acks working", async () => {
    const { url, received } = await fakeServer((ws) => {
      ws.send(pythonOpen());
      onConnectPacket(ws, () => {
        // what a Flask-SocketIO connect handler's emits look like on the wire
        ws.send('42["welcome",{"n":0}]');
        ws.send('421["welcome",{"n":1}]');
        ws.send('451-["welcome",{"n":2,"bytes":{"_placeholder":true,"num":0}}]');
        ws.send(Buffer.from([7, 8]));
        ws.send('40{"sid":"socket-sid"}');
        ws.send('42["later"]');
      });
    });
    const socket = connect(url);
    const seen: unknown[] = [];
    socket.on("connect", () => seen.push(["connect", socket.id]));
    socket.on("welcome", (data: { n: number; bytes?: Buffer }, ack?: (v: string) => void) => {
      seen.push(["welcome", data.n, socket.connected, socket.id]);
      if (data.bytes) seen.push(["bytes", [...data.bytes]]);
      ack?.("thanks");
    });
    socket.onAny((event: string) => seen.push(["any", event]));
    await waitFor(socket, "later");
    expect(seen).toEqual([
      ["connect", "socket-sid"],
      ["any", "welcome"],
      ["welcome", 0, true, "socket-sid"],
      ["any", "welcome"],
      ["welcome", 1, true, "socket-sid"],
      ["any", "welcome"],
      ["welcome", 2, true, "socket-sid"],
      ["bytes", [7, 8]],
      ["any", "later"],
    ]);
    await until(() => received.includes('431["thanks"]'));
    expect(socket.receiveBuffer).toHaveLength(0);
  });

  it("are dropped when a `connect` listener disconnects", async () => {
    const { url } = await fakeServer((ws) => {
      ws.send(pythonOpen());
      onConnectPacket(ws, () => {
        ws.send('42["welcome"]');
        ws.send('40{"sid":"socket-sid"}');
      });
    });
    const socket = connect(url);
    let welcomed = false;
    socket.on("welcome", () => {
      welcomed = true;
    });
    socket.on("connect", () => socket.disconnect());
    await waitFor(socket, "disconnect");
    expect(welcomed).toBe(false);
    expect(socket.receiveBuffer).toHaveLength(0);
  });

  it("up to maxBufferedPackets are held; one more refuses the connection (SB_ERR_TOO_MANY_EARLY_PACKETS)", async () => {
    const { url, received } = await fakeServer((ws, n) => {
      ws.send(pythonOpen());
      // connection 1 sends exactly the bound, connection 2 one more
      const count = n === 1 ? 5 : 6;
      onConnectPacket(ws, () => {
        for (let i = 0; i < count; i++) ws.send(`42["flood",${i}]`);
        ws.send('40{"sid":"socket-sid"}');
        ws.send('42["after"]');
      });
    });
    const atBound = connect(url, { maxBufferedPackets: 5, reconnection: false });
    const held: number[] = [];
    atBound.on("flood", (i: number) => held.push(i));
    await waitFor(atBound, "after");
    expect(held).toEqual([0, 1, 2, 3, 4]);

    const over = connect(url, { maxBufferedPackets: 5, reconnection: false });
    const events: string[] = [];
    over.on("connect", () => events.push("connect"));
    over.onAny((event: string) => events.push(event));
    const closed = waitFor(over.io, "close");
    const [err] = await waitFor<[TransportError]>(over, "connect_error");
    expect(err.code).toBe(ClientErrorCode.TOO_MANY_EARLY_PACKETS);
    expect(err.description).toBe(5);
    expect(over.active).toBe(false);
    expect(over.receiveBuffer).toHaveLength(0);
    // the server, which had accepted the namespace, is told the client leaves it; the
    // connection, used by no other namespace, closes
    await closed;
    await until(() => received.includes("41"));
    expect(events).toEqual([]);
  });

  it("are dropped with a refusal: a later connection does not see them", async () => {
    const { url } = await fakeServer((ws, n) => {
      ws.send(pythonOpen());
      onConnectPacket(ws, () => {
        if (n === 1) {
          // a connect handler that emits, then raises ConnectionRefusedError
          ws.send('42["stale"]');
          ws.send('44{"message":"unauthorized","data":{"reason":"bad token"}}');
        } else {
          ws.send('40{"sid":"socket-sid"}');
          ws.send('42["fresh"]');
        }
      });
    });
    const socket = connect(url);
    const events: string[] = [];
    socket.onAny((event: string) => events.push(event));
    const [err] = await waitFor<[Error & { data?: unknown }]>(socket, "connect_error");
    expect({ message: err.message, data: err.data }).toEqual({
      message: "unauthorized",
      data: { reason: "bad token" },
    });
    expect(socket.receiveBuffer).toHaveLength(0);
    socket.connect();
    await waitFor(socket, "fresh");
    expect(events).toEqual(["fresh"]);
  });

  it("are dropped with a connection that closes before the answer", async () => {
    const { url } = await fakeServer((ws, n) => {
      ws.send(pythonOpen());
      onConnectPacket(ws, () => {
        if (n === 1) {
          ws.send('42["stale"]');
          ws.close();
        } else {
          ws.send('40{"sid":"socket-sid"}');
          ws.send('42["fresh"]');
        }
      });
    });
    const socket = connect(url);
    const events: string[] = [];
    socket.onAny((event: string) => events.push(event));
    await waitFor(socket, "fresh");
    expect(events).toEqual(["fresh"]);
  });
});

describe("python-socketio 5.7 / python-engineio 4.3 frames", () => {
  it.each([
    [
      "ConnectionRefusedError(msg, data)",
      '44{"message":"unauthorized","data":{"reason":"bad token"}}',
      "unauthorized",
      { reason: "bad token" },
    ],
    [
      "ConnectionRefusedError(msg, a, b): data is a list",
      '44{"message":"no","data":[1,2]}',
      "no",
      [1, 2],
    ],
    ["ConnectionRefusedError(msg)", '44{"message":"closed"}', "closed", undefined],
    [
      "connect handler returning False",
      '44{"message":"Connection rejected by server"}',
      "Connection rejected by server",
      undefined,
    ],
    ["an unknown namespace: a string", '44"Unable to connect"', "Unable to connect", undefined],
  ])("CONNECT_ERROR of %s", async (_name, frame, message, data) => {
    const { url } = await fakeServer((ws) => {
      ws.send(pythonOpen());
      onConnectPacket(ws, () => ws.send(frame));
    });
    const socket = connect(url);
    const [err] = await waitFor<[SocketError]>(socket, "connect_error");
    // the server's message and data, as socket.io-client gives them
    expect({ message: err.message, data: err.data }).toEqual({ message, data });
    expect(err.code).toBe(ClientErrorCode.CONNECT_REFUSED);
    expect(socket.active).toBe(false);
  });

  it("an open packet with pingInterval 0 (a sub-second interval, truncated) and no maxPayload; noop and empty acks", async () => {
    // python-engineio 4.3 announces int(seconds) * 1000: 0 for a 0.25 s interval, and pings
    // every 0.25 s. The client's ping deadline is then pingTimeout alone, which pings meet.
    const { url, received } = await fakeServer((ws) => {
      ws.send(pythonOpen(0, 5_000));
      const pings = setInterval(() => ws.send("2"), 50);
      ws.on("close", () => clearInterval(pings));
      onConnectPacket(ws, () => {
        ws.send('40{"sid":"socket-sid"}');
        // the noop python-engineio queues for the polling GET during an upgrade can come
        // over the WebSocket once no GET is pending
        ws.send("6");
      });
      ws.on("message", (data) => {
        // an ack with no arguments, as python-socketio sends for a handler returning None
        if (String(data) === '420["ask"]') ws.send("430[]");
      });
    });
    const socket = connect(url);
    await waitFor(socket, "connect");
    const answer = await socket.timeout(5_000).emitWithAck("ask");
    expect(answer).toBeUndefined();
    let pongs = 0;
    await until(() => {
      pongs = received.filter((f) => f === "3").length;
      return pongs >= 4;
    });
    expect(socket.connected).toBe(true);
    expect(socket.id).toBe("socket-sid");
  });
});

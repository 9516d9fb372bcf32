import { request } from "node:http";
import { connect, type Socket as NetSocket } from "node:net";
import type { Socket } from "@switchboard/server";
import { describe, expect, it } from "vitest";
import { client, connected, listen, onCleanup, once, TRANSPORTS } from "./helpers.js";

const websocket = TRANSPORTS[0];

/** Resolves with the next server-side socket whose CONNECT auth has `who`. */
function accepted(
  io: { on(ev: "connection", fn: (s: Socket) => void): unknown },
  who: string,
): Promise<Socket> {
  return new Promise((resolve) =>
    io.on("connection", (s) => {
      if (s.handshake.auth.who === who) resolve(s);
    }),
  );
}

function reasonOf(socket: Socket): Promise<string> {
  return once<[string]>(socket, "disconnect", 10_000).then(([reason]) => reason);
}

/** A connected official client that echoes through an ack: proves it is unaffected. */
async function healthyPeer(
  url: string,
  io: { on(ev: "connection", fn: (s: Socket) => void): unknown },
) {
  const server = accepted(io, "healthy");
  const c = await connected(client(url, websocket, { auth: { who: "healthy" } }));
  const s = await server;
  s.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
  return { client: c, socket: s };
}

/** A raw long-polling session joined to "/" with auth `{who}`: returns its sid. */
async function rawPollingSocket(url: string, who: string): Promise<string> {
  const base = `${url}/socket.io/?EIO=4&transport=polling`;
  const open = await (await fetch(base)).text();
  const { sid } = JSON.parse(open.slice(1)) as { sid: string };
  const posted = await fetch(`${base}&sid=${sid}`, {
    method: "POST",
    body: `40${JSON.stringify({ who })}`,
  });
  expect(posted.status).toBe(200);
  await posted.text();
  expect(await (await fetch(`${base}&sid=${sid}`)).text()).toMatch(/^40\{"sid":/);
  return sid;
}

describe("socket-level transport error", () => {
  it("a polling GET whose TCP connection is destroyed mid-request", async () => {
    const { io, url, port } = await listen();
    const healthy = await healthyPeer(url, io);
    const server = accepted(io, "raw");
    const sid = await rawPollingSocket(url, "raw");
    const s = await server;
    const reason = reasonOf(s);
    const held = request({
      host: "127.0.0.1",
      port,
      path: `/socket.io/?EIO=4&transport=polling&sid=${sid}`,
    });
    held.on("error", () => {});
    held.end();
    // Wait until the server holds the GET, then cut the connection under it.
    await expect
      .poll(
        () =>
          (s.conn as unknown as { transport: { hasPendingGet?: boolean } }).transport.hasPendingGet,
      )
      .toBe(true);
    held.destroy();
    expect(await reason).toBe("transport error");
    expect(s.connected).toBe(false);
    expect(await healthy.client.timeout(5000).emitWithAck("echo", "still here")).toBe("still here");
    expect(healthy.socket.connected).toBe(true);
  });

  it("a POST over maxHttpBufferSize (413)", async () => {
    const { io, url } = await listen({ maxHttpBufferSize: 1000 });
    const healthy = await healthyPeer(url, io);
    const server = accepted(io, "raw");
    const sid = await rawPollingSocket(url, "raw");
    const reason = reasonOf(await server);
    const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
      method: "POST",
      body: `42["big","${"x".repeat(2000)}"]`,
    });
    expect(res.status).toBe(413);
    await res.arrayBuffer();
    expect(await reason).toBe("transport error");
    expect(await healthy.client.timeout(5000).emitWithAck("echo", 1)).toBe(1);
    expect(healthy.socket.connected).toBe(true);
  });
});

/** A WebSocket opened by hand over TCP that joins "/" and then stops reading. */
async function stalledWebSocket(port: number, who: string): Promise<NetSocket> {
  const tcp = connect(port, "127.0.0.1");
  onCleanup(() => tcp.destroy());
  tcp.on("error", () => {});
  await once(tcp, "connect");
  tcp.write(
    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: localhost\r\n" +
      "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
  );
  let head = "";
  while (!head.includes("\r\n\r\n")) head += (await once<[Buffer]>(tcp, "data"))[0].toString();
  expect(head).toMatch(/^HTTP\/1\.1 101/);
  // CONNECT as one masked text frame (mask key 0, so the payload goes as is).
  const payload = Buffer.from(`40${JSON.stringify({ who })}`);
  expect(payload.length).toBeLessThan(126);
  tcp.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]));
  tcp.pause();
  return tcp;
}

describe("socket-level buffer overflow", () => {
  it("disconnects a client that stops reading; the other client keeps receiving", async () => {
    const { io, url, port } = await listen({ maxBufferedBytes: 256 * 1024 });
    const healthy = await healthyPeer(url, io);
    let received = 0;
    healthy.client.on("big", () => {
      received++;
    });
    const server = accepted(io, "slow");
    await stalledWebSocket(port, "slow");
    const slow = await server;
    const reason = reasonOf(slow);
    let gone = false;
    void reason.then(() => {
      gone = true;
    });

    const chunk = "b".repeat(64 * 1024);
    let sent = 0;
    while (!gone && sent < 2000) {
      io.emit("big", chunk);
      sent++;
      await new Promise((r) => setImmediate(r));
    }
    expect(await reason).toBe("buffer overflow");
    expect(slow.connected).toBe(false);
    expect(io.of("/").sockets.has(slow.id)).toBe(false);

    const done = once(healthy.client, "done", 10_000);
    io.emit("done");
    await done;
    expect(received).toBe(sent);
    expect(healthy.socket.connected).toBe(true);
    expect(await healthy.client.timeout(5000).emitWithAck("echo", "ok")).toBe("ok");
  });
});

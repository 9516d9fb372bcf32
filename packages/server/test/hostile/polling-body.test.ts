import { afterEach, describe, expect, it } from "vitest";
import { closeAll } from "../engine/helpers.js";
import { type AttackedServer, endOfAttack, scene, waitReport } from "./child-server.js";
import { ackPump, type RawPeer, rawRequest } from "./frames-kit.js";
import { until } from "./harness.js";

// Issue 12, the long-polling attacks: a POST body dripped one byte per write (each byte a
// chunk of its own, so the server's per-chunk cost is what is tested), and a session closed
// while its POST is still arriving. The server runs in a child process (heap bounded, see
// child-server.ts); a healthy official client checks its acks during and after.

afterEach(closeAll);

/** A polling handshake (no Origin, as a non-browser client); returns the session id. */
async function pollingSession(server: AttackedServer): Promise<string> {
  const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
  const body = await res.text();
  expect(res.status).toBe(200);
  return (JSON.parse(body.slice(1)) as { sid: string }).sid;
}

/** One polling GET; resolves with its status and body. */
async function poll(
  server: AttackedServer,
  sid: string,
): Promise<{ status: number; body: string }> {
  const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`);
  return { status: res.status, body: await res.text() };
}

/** Starts a POST whose head declares `length` body bytes; the body is up to the test. */
function startPost(server: AttackedServer, sid: string, length: number): Promise<RawPeer> {
  return rawRequest(
    server.port,
    `POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\n` +
      `Host: 127.0.0.1:${server.port}\r\nContent-Type: text/plain;charset=UTF-8\r\n` +
      `Content-Length: ${length}\r\n\r\n`,
  );
}

/**
 * Writes `body` one byte per write, `gapMs` apart (pacing, so each byte is a chunk of its
 * own), until it is all sent or the server answers or closes.
 */
async function drip(peer: RawPeer, body: Buffer, gapMs: number): Promise<number> {
  let i = 0;
  for (; i < body.length; i++) {
    if (peer.status !== 0 || peer.closed) break;
    peer.write(body.subarray(i, i + 1));
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  return i;
}

/** The session was closed with "transport error" and its id is unknown from now on. */
async function expectSessionClosed(server: AttackedServer, sid: string): Promise<void> {
  const r = await waitReport(server, (x) => x.reasons.length > 0 && x.clients === 1);
  expect(r.reasons).toEqual(["transport error"]);
  const after = await poll(server, sid);
  expect(after.status).toBe(400);
  expect(JSON.parse(after.body)).toEqual({ code: 1, message: "Session ID unknown" });
}

/** A valid payload of exactly `size` bytes: CONNECT to "/", then an event. */
function payloadOf(size: number): Buffer {
  const head = '40\x1e42["echo","';
  const body = Buffer.from(`${head}${"a".repeat(size - head.length - 2)}"]`);
  expect(body.length).toBe(size);
  return body;
}

describe("issue-12 polling POST attacks", () => {
  it("(d) a body dripped one byte per write past maxBodyChunks 200 → 413, session closed", async () => {
    const s = await scene({ maxBodyChunks: 200 });
    const sid = await pollingSession(s.server);
    const pump = ackPump(s.healthy);
    const peer = await startPost(s.server, sid, 50_000);
    const sent = await drip(peer, Buffer.alloc(3000, 0x61), 1);
    await until(() => peer.status !== 0, 5000, "an answer to the dripped POST");
    expect(peer.status).toBe(413);
    expect(sent).toBeGreaterThan(200);
    await expectSessionClosed(s.server, sid);
    await endOfAttack(s, pump);
  });

  it("a body of 150 one-byte chunks is within maxBodyChunks 200", async () => {
    const s = await scene({ maxBodyChunks: 200 });
    const sid = await pollingSession(s.server);
    const body = payloadOf(150);
    const peer = await startPost(s.server, sid, body.length);
    await drip(peer, body, 1);
    await until(() => peer.status !== 0, 5000, "an answer to the POST");
    expect(peer.status).toBe(200);
    expect(peer.body.toString()).toContain("ok");
    const r = await s.server.report();
    expect(r.clients).toBe(2);
  });

  it("(d) a body still arriving after bodyTimeout 1500 ms → 408, session closed", async () => {
    const s = await scene({ bodyTimeout: 1500 });
    const sid = await pollingSession(s.server);
    const pump = ackPump(s.healthy);
    const peer = await startPost(s.server, sid, 50_000);
    // One byte every 25 ms: at most 400 writes (10 s), far past the timeout.
    await drip(peer, Buffer.alloc(400, 0x61), 25);
    await until(() => peer.status !== 0, 5000, "an answer to the dripped POST");
    expect(peer.status).toBe(408);
    await expectSessionClosed(s.server, sid);
    await endOfAttack(s, pump);
  });

  it("a slow body that completes within bodyTimeout is accepted", async () => {
    const s = await scene({ bodyTimeout: 1500 });
    const sid = await pollingSession(s.server);
    const body = payloadOf(20);
    const peer = await startPost(s.server, sid, body.length);
    await drip(peer, body, 10);
    await until(() => peer.status !== 0, 5000, "an answer to the POST");
    expect(peer.status).toBe(200);
  });

  it("(d) a session closed by the server ends its in-flight POST promptly", async () => {
    const s = await scene({});
    const sid = await pollingSession(s.server);
    const pump = ackPump(s.healthy);
    // A GET held as a client always holds one: the close packet leaves on it at once.
    const held = poll(s.server, sid);
    const peer = await startPost(s.server, sid, 50_000);
    // One byte every 20 ms, 500 at most (10 s): the server must not wait for the rest
    // (nor for Node's 300 s requestTimeout).
    const dripping = drip(peer, Buffer.alloc(500, 0x61), 20);
    await until(() => peer.socket.bytesWritten > 0);
    await waitReport(s.server, (x) => x.clients === 2);
    expect(await s.server.closeSession(sid)).toBe(true);
    expect(await held).toEqual({ status: 200, body: "1" });
    await peer.waitEnd(5000);
    const sent = await dripping;
    expect(sent).toBeLessThan(500);
    const r = await waitReport(s.server, (x) => x.reasons.length > 0 && x.clients === 1);
    expect(r.reasons).toEqual(["forced close"]);
    await endOfAttack(s, pump);
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { closeAll } from "../engine/helpers.js";
import {
  type AttackedServer,
  endOfAttack,
  expectSurvived,
  scene,
  waitReport,
} from "./child-server.js";
import { ackPump, frame, openWebSocket, PATHS, type RawPeer, repeat } from "./frames-kit.js";

// Issue 12, "one hostile client can kill the server": the WebSocket attacks, each against a
// server in a child process with 128 MB of old space. For each: the attacker is cut off
// with the documented close code, the server process lives, its heap after GC grows less
// than HEAP_BOUND over the baseline (sampled during the attack, not only after), and a
// healthy official client gets its acks during and after the attack.

afterEach(closeAll);

const MB = 1024 * 1024;
/** A zero-length continuation frame, FIN=0: 6 bytes on the wire, no payload. */
const EMPTY_CONTINUATION = frame(0, Buffer.alloc(0), false);
/** A 1-byte continuation frame, FIN=0: 7 bytes on the wire. */
const BYTE_CONTINUATION = frame(0, Buffer.from("a"), false);
/** A ping with the largest control payload (125 bytes): 131 bytes on the wire. */
const BIG_PING = frame(9, Buffer.alloc(125, 0x70));

/**
 * Writes `chunk` again and again, `total` bytes at most, as fast as the socket takes them;
 * stops when the server closes, or when a write has not drained within 1.5 s (the server
 * stopped reading). Samples the server's heap every `sampleEvery` bytes.
 */
async function pour(
  peer: RawPeer,
  server: AttackedServer,
  chunk: Buffer,
  total: number,
  sampleEvery: number,
): Promise<{ sent: number; stalled: boolean }> {
  let sent = 0;
  let sampled = 0;
  while (sent < total) {
    if (peer.closed || peer.error !== undefined || peer.closeFrame() !== undefined) break;
    const ok = peer.write(chunk);
    sent += chunk.length;
    if (!ok && !(await peer.drained(1500))) return { sent, stalled: !peer.closed };
    if (sent - sampled >= sampleEvery) {
      sampled = sent;
      await server.heap.sample();
    }
    // Lets the peer read what the server sent (its close frame) between writes.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { sent, stalled: false };
}

/** The attacker was closed with `code` by the server, and it was the only session closed. */
async function expectCutOff(peer: RawPeer, server: AttackedServer, code: number): Promise<void> {
  expect(await peer.waitClose(5000)).toBe(code);
  await peer.waitEnd(5000);
  const r = await waitReport(server, (s) => s.reasons.length > 0 && s.clients === 1);
  expect(r.reasons).toEqual(["transport error"]);
}

interface Limit {
  name: string;
  code: number;
  limits: Record<string, number>;
}

const FRAGMENT_LIMIT: Limit = {
  name: "maxMessageFragments 1000",
  code: 1008,
  limits: { maxMessageFragments: 1000 },
};
const BYTE_LIMIT: Limit = {
  name: "maxHttpBufferSize 60000",
  code: 1009,
  limits: { maxHttpBufferSize: 60_000 },
};

describe.each(PATHS)(
  "issue-12 WebSocket attacks on the $path path",
  ({ path, perMessageDeflate }) => {
    /** Sends a text frame "4" with FIN=0, then 2 MB of `unit` continuation frames. */
    async function fragmentFlood(limit: Limit, unit: Buffer): Promise<void> {
      const s = await scene({
        perMessageDeflate,
        maxHttpBufferSize: 1e6,
        maxMessageFragments: 1e6,
        ...limit.limits,
      });
      const peer = await openWebSocket(s.server.port);
      const pump = ackPump(s.healthy);
      peer.write(frame(1, Buffer.from("4"), false));
      await pour(peer, s.server, repeat(unit, Math.floor(65_536 / unit.length)), 2 * MB, MB / 4);
      await expectSurvived(s.server);
      await expectCutOff(peer, s.server, limit.code);
      await endOfAttack(s, pump);
    }

    // `ws` counts payload bytes only: empty frames never reach its maxPayload (its
    // maxFragments ends them), so the byte limit on empty frames is the direct path's.
    const emptyLimits = path === "direct" ? [FRAGMENT_LIMIT, BYTE_LIMIT] : [FRAGMENT_LIMIT];
    it.each(emptyLimits)("(a) 2 MB of empty continuation frames, $name → close $code", (limit) =>
      fragmentFlood(limit, EMPTY_CONTINUATION),
    );

    it.each([BYTE_LIMIT, FRAGMENT_LIMIT])(
      "(b) 2 MB of 1-byte continuation frames, $name → close $code",
      (limit) => fragmentFlood(limit, BYTE_CONTINUATION),
    );

    it("(c) a ping flood from a client that never reads is closed (maxControlFrames 100)", async () => {
      const s = await scene({ perMessageDeflate, maxControlFrames: 100 });
      const peer = await openWebSocket(s.server.port);
      peer.socket.pause();
      const pump = ackPump(s.healthy);
      // Up to 40 writes of 8000 pings (~1 MB each), as fast as the socket takes them.
      await pour(peer, s.server, repeat(BIG_PING, 8000), 40 * MB, MB);
      await expectSurvived(s.server);
      peer.socket.resume();
      await peer.waitEnd(5000);
      // The close frame may be lost to a reset when the server drops a peer that does not
      // read (the close code itself is checked in ws-frames.test.ts); the engine's close
      // reason is the server's word.
      const code = peer.closeCode();
      if (code !== undefined) expect(code).toBe(1008);
      const r = await waitReport(s.server, (x) => x.reasons.length > 0 && x.clients === 1);
      expect(r.reasons).toEqual(["transport error"]);
      await endOfAttack(s, pump);
    });

    it("(c) with no rate limit, unanswered pongs do not pile up in memory", async () => {
      // The direct path stops reading while its writes are backed up (so the flood stalls);
      // `ws` drops a peer with too many pending pongs. Either way the heap stays bounded.
      const s = await scene({ perMessageDeflate, maxControlFrames: 1e9 });
      const peer = await openWebSocket(s.server.port);
      peer.socket.pause();
      const pump = ackPump(s.healthy);
      const { stalled } = await pour(peer, s.server, repeat(BIG_PING, 8000), 40 * MB, MB);
      await expectSurvived(s.server);
      if (path === "direct") expect(stalled).toBe(true);
      peer.socket.destroy();
      await waitReport(s.server, (x) => x.clients === 1, 5000, "attacker's session gone");
      await endOfAttack(s, pump);
    });
  },
);

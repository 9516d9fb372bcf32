import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { io, type Socket } from "@switchboard/client";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { expectNoFaults } from "../helpers.js";

const SEED = 424242;

const open = (maxPayload = 1e6) =>
  `0${JSON.stringify({ sid: "fake-sid", upgrades: [], pingInterval: 25_000, pingTimeout: 20_000, maxPayload })}`;

/** Reasons socket.io-client (and our client) document for "disconnect". */
const REASONS = new Set([
  "parse error",
  "transport error",
  "transport close",
  "io server disconnect",
  "ping timeout",
]);

const cleanups = expectNoFaults();

/** A fake WebSocket-only server; `script` runs for every connection, numbered from 0. */
async function fakeServer(script: (ws: WebSocket, n: number) => void): Promise<string> {
  const http: Server = createServer((_req, res) => res.writeHead(400).end());
  const wss = new WebSocketServer({ server: http });
  let n = 0;
  wss.on("connection", (ws) => {
    ws.on("error", () => {});
    script(ws, n++);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

function waitFor<T extends unknown[]>(
  emitter: { once(e: string, f: (...a: never[]) => void): unknown },
  event: string,
  ms = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for "${event}"`)), ms);
    emitter.once(event, ((...args: T) => {
      clearTimeout(timer);
      resolve(args);
    }) as never);
  });
}

function client(url: string): Socket {
  const socket = io(url, {
    forceNew: true,
    transports: ["websocket"],
    reconnectionDelay: 5,
    reconnectionDelayMax: 10,
    randomizationFactor: 0,
  });
  socket.on("error", () => {});
  cleanups.push(() => {
    socket.io.disconnect();
    socket.disconnect();
  });
  return socket;
}

// ---- what a hostile server sends ----

type Frame = string | Uint8Array;

const deep = (d: number) => `${"[".repeat(d)}1${"]".repeat(d)}`;
const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v));
const nsp = fc.constantFrom("", "/", "/other,", "/x,", `/${"n".repeat(300)},`);
const ackId = fc.oneof(
  fc.constant(""),
  fc.nat({ max: 5 }).map(String),
  fc.stringMatching(/^[0-9]{15,30}$/),
);
const name = fc.constantFrom(
  "news",
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "error",
  "__proto__",
  "x".repeat(300),
);

const sio: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(nsp, json).map(([n, d]) => `0${n}${d}`),
  fc
    .tuple(nsp, fc.constantFrom("", "{}", '{"sid":1}', '{"sid":"s2"}'))
    .map(([n, d]) => `0${n}${d}`),
  nsp.map((n) => `1${n}`),
  fc
    .tuple(nsp, ackId, name, fc.array(json, { maxLength: 2 }))
    .map(([n, id, ev, args]) => `2${n}${id}[${[JSON.stringify(ev), ...args].join(",")}]`),
  fc.tuple(nsp, ackId, json).map(([n, id, d]) => `3${n}${id}${d}`),
  fc.tuple(nsp, json).map(([n, d]) => `4${n}${d}`),
  fc
    .tuple(
      fc.constantFrom("5", "6"),
      fc.constantFrom(0, 1, 3, 64, 65, 999999999),
      fc.integer({ min: -1, max: 4 }),
    )
    .map(
      ([t, count, num]) =>
        `${t}${count}-${t === "6" ? "1" : ""}["news",{"_placeholder":true,"num":${num}}]`,
    ),
  fc.constantFrom(10, 1001, 100_000).map((d) => `2["news",${deep(d)}]`),
  fc.constantFrom("", "7", "2[", "2{}", "5-", "51-", "3", "0/"),
  fc.string({ maxLength: 10 }),
);

const frame: fc.Arbitrary<Frame[]> = fc.oneof(
  { weight: 6, arbitrary: sio.map((t) => [`4${t}`]) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom("", "0", open(), "0{", "1", "2", "3", "3probe", "5", "6", "9x", "b", "4")
      .map((t) => [t]),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }).map((b) => [b]) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(1, 2)
      .map((k) => [
        '451-["news",{"_placeholder":true,"num":0}]',
        ...Array.from({ length: k }, () => new Uint8Array([1])),
      ]),
  },
);

describe("our client against a hostile server", () => {
  it("random frames: no throw, a documented disconnect reason, then a reconnection", async () => {
    let hostile: Frame[] = [];
    let hostileNext = false;
    const url = await fakeServer((ws) => {
      ws.send(open());
      ws.on("message", (data) => {
        if (!String(data).startsWith("40")) return;
        ws.send('40{"sid":"socket-sid"}');
        // the first connection of each run is hostile, the reconnection behaves
        if (hostileNext) {
          hostileNext = false;
          for (const f of hostile) ws.send(f);
          ws.send("9 surely not a packet");
        }
      });
    });
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 6 }), async (groups) => {
        hostile = groups.flat();
        hostileNext = true;
        const socket = client(url);
        const seen: unknown[] = [];
        socket.onAny((...args: unknown[]) => seen.push(args));
        const [reason] = await waitFor<[string]>(socket, "disconnect");
        expect(REASONS, reason).toContain(reason);
        if (reason !== "io server disconnect") {
          await waitFor(socket, "connect");
          expect(socket.connected).toBe(true);
        }
        expect(socket.receiveBuffer.length).toBe(0);
        socket.io.disconnect();
        socket.disconnect();
      }),
      { seed: SEED, numRuns: 80, endOnFailure: true },
    );
  });

  it("data nested deeper than the encoder accepts: parse error, the event never reaches the app", async () => {
    const url = await fakeServer((ws) => {
      ws.send(open());
      ws.on("message", (data) => {
        if (!String(data).startsWith("40")) return;
        ws.send('40{"sid":"socket-sid"}');
        // As deep as an app can relay (the event array is one level), then one level more.
        ws.send(`42["news",${deep(999)}]`);
        ws.send(`42["news",${deep(1000)}]`);
      });
    });
    const socket = client(url);
    const depths: number[] = [];
    socket.on("news", (value: unknown) => {
      let d = 0;
      for (let v = value; Array.isArray(v); v = v[0]) d++;
      depths.push(d);
      // Relaying what arrived must not throw in the app (it is within the encoder's limit).
      socket.emit("relay", value);
    });
    const [reason] = await waitFor<[string]>(socket, "disconnect");
    expect(reason).toBe("parse error");
    expect(depths).toEqual([999]);
  });

  it("a polling server answering garbage: a documented disconnect or connect_error, no throw", async () => {
    const bodies = fc.oneof(
      fc.constantFrom("b!!!", "4a\x1e\x1e", "\x1e", "0{", "9", "bAA", "2[", open()),
      fc.string({ maxLength: 12 }),
      fc
        .array(fc.constantFrom("4x", "6", "2", "b", "bAQID", "1"), { maxLength: 300 })
        .map((a) => a.join("\x1e")),
    );
    let garbage = "";
    let gets = 0;
    const http = createServer((req, res) => {
      if (req.method === "POST") {
        req.resume();
        req.on("end", () => res.end("ok"));
        return;
      }
      gets++;
      if (gets % 3 === 1) res.end(open());
      else if (gets % 3 === 2) res.end('40{"sid":"socket-sid"}');
      else res.end(garbage);
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    cleanups.push(async () => {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    });
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        garbage = body;
        gets = 0;
        const socket = io(url, { forceNew: true, transports: ["polling"], reconnection: false });
        cleanups.push(() => socket.disconnect());
        const outcome = await Promise.race([
          waitFor<[string]>(socket, "disconnect", 3000).then(([r]) => r),
          waitFor<[Error]>(socket, "connect_error", 3000).then(
            ([e]) => `connect_error ${e.message}`,
          ),
        ]);
        expect(
          [...REASONS, "connect_error parse error", "connect_error xhr poll error"],
          outcome,
        ).toContain(outcome);
        socket.disconnect();
      }),
      { seed: SEED + 1, numRuns: 40, endOnFailure: true },
    );
  });
});

describe("a flooding server", () => {
  it("payloads just under and over maxPayload: delivered or refused, nothing piles up", async () => {
    const MAX = 100_000;
    const COUNT = 40;
    const url = await fakeServer((ws) => {
      ws.send(open(MAX));
      ws.on("message", (data) => {
        if (!String(data).startsWith("40")) return;
        ws.send('40{"sid":"socket-sid"}');
        for (let i = 0; i < COUNT; i++) {
          const size = i % 2 === 0 ? MAX - 20 : MAX + 20;
          ws.send(`42["big",${i},"${"x".repeat(size)}"]`);
          ws.send(`451-["bin",${i},{"_placeholder":true,"num":0}]`);
          ws.send(Buffer.alloc(size, i));
        }
        ws.send('42["done"]');
      });
    });
    const socket = client(url);
    let got = 0;
    let bytes = 0;
    let maxBacklog = 0;
    const check = () => {
      maxBacklog = Math.max(maxBacklog, socket.receiveBuffer.length, socket.sendBuffer.length);
    };
    socket.on("big", (_i: number, text: string) => {
      got++;
      bytes += text.length;
      check();
    });
    socket.on("bin", (_i: number, bin: Buffer) => {
      got++;
      bytes += bin.length;
      check();
    });
    const outcome = await Promise.race([
      waitFor(socket, "done", 10_000).then(() => "done"),
      waitFor<[string]>(socket, "disconnect", 10_000).then(([r]) => r),
    ]);
    // Either every message arrived (the client accepts what the socket hands it) or the
    // client cut the flood with a documented reason; never a pile-up in its buffers.
    if (outcome === "done") expect(got).toBe(2 * COUNT);
    else expect(REASONS).toContain(outcome);
    expect(maxBacklog).toBe(0);
    expect(socket.receiveBuffer.length).toBe(0);
    expect(socket.sendBuffer.length).toBe(0);
    expect(bytes).toBeGreaterThan(0);
  });

  it("events before the namespace CONNECT answer are held and handed over right after connect", async () => {
    const EARLY = 200;
    const url = await fakeServer((ws) => {
      ws.send(open());
      ws.on("message", (data) => {
        if (!String(data).startsWith("40")) return;
        for (let i = 0; i < EARLY; i++) ws.send(`42["early",${i}]`);
        ws.send('40{"sid":"socket-sid"}');
      });
    });
    const socket = client(url);
    const early: number[] = [];
    socket.on("early", (i: number) => early.push(i));
    await waitFor(socket, "connect");
    // handed over in order right after connect, and the buffer is emptied
    expect(early).toEqual(Array.from({ length: EARLY }, (_v, i) => i));
    expect(socket.receiveBuffer.length).toBe(0);
  });
});

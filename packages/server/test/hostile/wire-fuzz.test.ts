import { connect as netConnect } from "node:net";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import {
  type Arena,
  expectOnlyHealthy,
  MAX_BUFFER,
  startArena,
  until,
  watchProcess,
} from "./harness.js";

const SEED = 20240611;

let arena: Arena;
let watch: ReturnType<typeof watchProcess>;

beforeEach(async () => {
  watch = watchProcess();
  arena = await startArena();
});

afterEach(async () => {
  await arena.close();
  const faults = watch.stop();
  expect(faults).toEqual([]);
});

// ---- generators: Socket.IO packets (text) and Engine.IO frames ----

const NAMESPACES = [
  "",
  "/",
  "/admin",
  "/dyn-1",
  "/dyn-22",
  "/nope",
  "/dyn-x",
  `/${"n".repeat(300)}`,
];
const nspPart = fc.constantFrom(...NAMESPACES).map((n) => (n === "" || n === "/" ? "" : `${n},`));

const EVENT_NAMES = [
  "echo",
  "join",
  "leave",
  "shout",
  "ask",
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
  "error",
  "__proto__",
  "constructor",
  "x".repeat(300),
];

const json = fc.jsonValue({ maxDepth: 3 });
const eventName = fc.oneof(fc.constantFrom(...EVENT_NAMES), fc.string({ maxLength: 8 }));
const ackId = fc.oneof(
  fc.constant(""),
  fc.nat({ max: 1000 }).map(String),
  fc.stringMatching(/^[0-9]{15,40}$/), // huge, past MAX_SAFE_INTEGER or MAX_ACK_ID_DIGITS
);

/** JSON nested `depth` levels deep, as text (never built as an object). */
function deep(depth: number, inner = "1"): string {
  return `${"[".repeat(depth)}${inner}${"]".repeat(depth)}`;
}

const authPart = fc.oneof(
  fc.constant(""),
  fc.constant('{"token":"ok"}'),
  fc.constant('{"token":"bad"}'),
  fc.constantFrom('"token"', "[1]", "null", "42", "true", '{"__proto__":{"x":1}}', "{"),
  json.map((v) => JSON.stringify(v)),
);

const placeholder = (num: unknown) => ({ _placeholder: true, num });

/** A BINARY_EVENT / BINARY_ACK header plus a number of binary frames that may not match. */
const binaryPacket = fc
  .record({
    type: fc.constantFrom("5", "6"),
    declared: fc.oneof(fc.nat({ max: 4 }), fc.constantFrom(64, 65, 1000, 999999999)),
    nums: fc.array(fc.oneof(fc.integer({ min: -2, max: 6 }), fc.constantFrom(1.5, "0", null)), {
      maxLength: 3,
    }),
    nsp: nspPart,
    id: ackId,
    frames: fc.nat({ max: 5 }),
    extraKey: fc.boolean(),
  })
  .map(({ type, declared, nums, nsp, id, frames, extraKey }) => {
    const args = nums.map((n) => (extraKey ? { ...placeholder(n), x: 1 } : placeholder(n)));
    const data = type === "5" ? ["echo", ...args] : args;
    const text = `${type}${declared}-${nsp}${type === "6" && id === "" ? "1" : id}${JSON.stringify(data)}`;
    const out: Frame[] = [{ text: `4${text}` }];
    for (let i = 0; i < frames; i++) out.push({ binary: new Uint8Array([i, 1, 2]) });
    return out;
  });

const sioText: fc.Arbitrary<string> = fc.oneof(
  // CONNECT, with any auth (objects, non-objects, broken JSON)
  fc.tuple(nspPart, authPart).map(([nsp, auth]) => `0${nsp}${auth}`),
  // DISCONNECT, sometimes with garbage after it
  fc.tuple(nspPart, fc.constantFrom("", '["x"]', "1", "{}")).map(([nsp, tail]) => `1${nsp}${tail}`),
  // EVENT with reserved or random names, ack ids small and huge
  fc
    .tuple(nspPart, ackId, eventName, fc.array(json, { maxLength: 3 }))
    .map(([nsp, id, name, args]) => `2${nsp}${id}${JSON.stringify([name, ...args])}`),
  // ACK for ids never issued (small and huge)
  fc
    .tuple(nspPart, ackId, fc.array(json, { maxLength: 2 }))
    .map(([nsp, id, args]) => `3${nsp}${id}${JSON.stringify(args)}`),
  // CONNECT_ERROR from a client
  fc.tuple(nspPart, json).map(([nsp, v]) => `4${nsp}${JSON.stringify(v)}`),
  // deep JSON: as event arguments, as auth, in an ack
  fc
    .constantFrom(10, 999, 1001, 5000, 100_000)
    .chain((d) =>
      fc.constantFrom(
        `2["echo",${deep(d)}]`,
        `21["echo",${deep(d)}]`,
        `2["join",${deep(d)}]`,
        `0/dyn-3,{"a":${deep(d)}}`,
        `31${deep(d)}`,
        `51-["echo",${deep(d, '{"_placeholder":true,"num":0}')}]`,
      ),
    ),
  // the header alone, bad types, raw junk
  fc.constantFrom(
    "",
    "7",
    "9",
    "0/",
    "2/",
    "21",
    "2/admin",
    "5",
    "5-",
    "51",
    "51-",
    "6-1[]",
    "2[",
    "2{}",
  ),
  fc.string({ maxLength: 12 }),
);

/** One WebSocket frame (or polling packet) sent by a hostile peer. */
type Frame = { text: string } | { binary: Uint8Array };

/** Well-formed packets for the namespaces of the prelude, so sessions live long enough to matter. */
const validNsp = fc.constantFrom("", "/admin,", "/dyn-7,");
const validFrames: fc.Arbitrary<Frame[]> = fc.oneof(
  fc
    .tuple(validNsp, fc.nat({ max: 50 }), fc.array(json, { maxLength: 3 }))
    .map(([nsp, id, args]) => [{ text: `42${nsp}${id}${JSON.stringify(["echo", ...args])}` }]),
  fc
    .tuple(validNsp, fc.constantFrom("lobby", "r1", "r2"), fc.constantFrom("join", "leave"))
    .map(([nsp, room, ev]) => [{ text: `42${nsp}${JSON.stringify([ev, room])}` }]),
  fc
    .tuple(validNsp, fc.constantFrom("lobby", "r1"), json)
    .map(([nsp, room, msg]) => [{ text: `42${nsp}${JSON.stringify(["shout", room, msg])}` }]),
  validNsp.map((nsp) => [{ text: `42${nsp}["ask"]` }]),
  validNsp.map((nsp) => [{ text: `41${nsp}` }]),
  fc.tuple(validNsp, fc.nat({ max: 5 })).map(([nsp, id]) => [
    {
      text: `452-${nsp}${id}["echo",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]`,
    },
    { binary: new Uint8Array([1]) },
    { binary: new Uint8Array([2, 3]) },
  ]),
  fc
    .tuple(validNsp, fc.constantFrom(999, 1001, 3000))
    .map(([nsp, d]) => [{ text: `42${nsp}7["echo",${deep(d)}]` }]),
);

const engineFrames: fc.Arbitrary<Frame[]> = fc.oneof(
  { weight: 8, arbitrary: validFrames },
  { weight: 6, arbitrary: sioText.map((t): Frame[] => [{ text: `4${t}` }]) },
  { weight: 3, arbitrary: binaryPacket },
  // binary with no pending packet
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 16 }).map((b): Frame[] => [{ binary: b }]) },
  // Engine.IO-level junk: unknown types, probe/upgrade on the wrong transport, empty
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        "",
        "0",
        "0{}",
        "2",
        "2probe",
        "3",
        "3probe",
        "5",
        "6",
        "7",
        "9x",
        "b",
        "bAAA=",
        "4",
      )
      .map((t): Frame[] => [{ text: t }]),
  },
  // mutated valid packets
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          '42["echo",1]',
          "40",
          '40/admin,{"token":"ok"}',
          '451-["echo",{"_placeholder":true,"num":0}]',
          "43[1]",
        ),
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 1 }),
      )
      .map(([s, at, c]): Frame[] => {
        const i = at % s.length;
        return [{ text: s.slice(0, i) + c + s.slice(i + 1) }];
      }),
  },
  // the engine close packet, in the middle of a sequence
  { weight: 1, arbitrary: fc.constant<Frame[]>([{ text: "1" }]) },
);

/** Namespaces the peer CONNECTs to (and waits for the answer) before the hostile frames. */
const prelude = fc.subarray(["/", "/admin", "/dyn-7"]);

// ---- WebSocket driver ----

interface Peer {
  ws: WebSocket;
  frames: string[];
  closed: Promise<void>;
  waitFor(prefix: string): Promise<void>;
}

async function openWs(query = "EIO=4&transport=websocket"): Promise<Peer> {
  const ws = new WebSocket(`ws://127.0.0.1:${arena.port}/socket.io/?${query}`);
  ws.on("error", () => {});
  const frames: string[] = [];
  const waiters: { prefix: string; done: () => void }[] = [];
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    const text = isBinary ? "<binary>" : data.toString();
    frames.push(text);
    for (const w of waiters.filter((w) => text.startsWith(w.prefix))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.done();
    }
  });
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  const waitFor = (prefix: string) =>
    frames.some((f) => f.startsWith(prefix))
      ? Promise.resolve()
      : Promise.race([
          new Promise<void>((done) => waiters.push({ prefix, done })),
          closed,
          new Promise<void>((_r, reject) =>
            setTimeout(() => reject(new Error(`no ${prefix} frame`)), 3000),
          ),
        ]);
  await waitFor("0{");
  return { ws, frames, closed, waitFor };
}

function send(ws: WebSocket, frame: Frame): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  ws.send("text" in frame ? frame.text : frame.binary, () => {});
}

async function endWs(peer: Peer): Promise<void> {
  if (peer.ws.readyState === WebSocket.OPEN) peer.ws.close();
  await Promise.race([
    peer.closed,
    new Promise<void>((resolve) =>
      setTimeout(() => {
        peer.ws.terminate();
        resolve();
      }, 2000),
    ),
  ]);
}

/** A WebSocket upgrade with `query`: refused with a JSON error, or accepted and closed at once. */
async function rawUpgrade(query: string): Promise<void> {
  const ws = new WebSocket(`ws://127.0.0.1:${arena.port}/socket.io/?${query}`);
  ws.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error("upgrade neither accepted nor refused"));
    }, 3000);
    ws.on("open", () => {
      clearTimeout(timer);
      ws.close();
      ws.once("close", () => resolve());
    });
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => {
        clearTimeout(timer);
        expect([400, 403]).toContain(res.statusCode);
        const parsed = JSON.parse(body) as JsonError;
        expect([0, 1, 2, 3, 4, 5]).toContain(parsed.code);
        expect(typeof parsed.message).toBe("string");
        ws.terminate();
        resolve();
      });
    });
  });
}

/** Writes raw bytes on a TCP connection and waits (bounded) for the server to answer or hang up. */
function rawTcp(request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = netConnect(arena.port, "127.0.0.1");
    let answer = "";
    const timer = setTimeout(() => socket.destroy(), 500);
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.write(request);
  });
}

// ---- polling driver ----

interface JsonError {
  code: number;
  message: string;
}

/** Checks an answer is a 200, or a 400/403 with a JSON `{code, message}` body, or a bare 413. */
async function expectCleanAnswer(res: Response, method = "GET"): Promise<string> {
  const body = await res.text();
  if (res.status === 200) return body;
  expect([400, 403, 404, 413], `${res.status} ${body}`).toContain(res.status);
  // Node's HTTP parser itself answers a bare 400 to a method it does not know
  const nodeRefused = method === "FOO" && res.status === 400 && body === "";
  if ((res.status === 400 || res.status === 403) && method !== "HEAD" && !nodeRefused) {
    const parsed = JSON.parse(body) as JsonError;
    expect(typeof parsed.code).toBe("number");
    expect([0, 1, 2, 3, 4, 5]).toContain(parsed.code);
    expect(typeof parsed.message).toBe("string");
  }
  return body;
}

function pollingBody(frames: Frame[]): string {
  return frames
    .map((f) => ("text" in f ? f.text : `b${Buffer.from(f.binary).toString("base64")}`))
    .join("\x1e");
}

async function pollingHandshake(): Promise<string> {
  const res = await fetch(`${arena.url}/socket.io/?EIO=4&transport=polling`);
  const body = await expectCleanAnswer(res);
  expect(body.startsWith("0{")).toBe(true);
  return (JSON.parse(body.slice(1)) as { sid: string }).sid;
}

const pollUrl = (sid: string) => `${arena.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`;

async function post(sid: string, body: string): Promise<void> {
  const res = await fetch(pollUrl(sid), { method: "POST", body });
  await expectCleanAnswer(res, "POST");
}

/** A GET that is cut after `ms` if nothing comes (the session then closes, "transport error"). */
async function getOnce(sid: string, ms = 300): Promise<string | null> {
  try {
    const res = await fetch(pollUrl(sid), { signal: AbortSignal.timeout(ms) });
    return await expectCleanAnswer(res);
  } catch (err) {
    if ((err as Error).name === "TimeoutError" || (err as Error).name === "AbortError") return null;
    throw err;
  }
}

/** Ends a polling session however it stands: close packet, then a GET to take a pending close. */
async function endPolling(sid: string): Promise<void> {
  if (arena.io.engine.clients.has(sid)) await post(sid, "1");
  if (arena.io.engine.clients.has(sid)) await getOnce(sid);
  await until(() => !arena.io.engine.clients.has(sid), 5000, "polling session closed");
}

// ---- the properties ----

describe("hostile input over the wire", () => {
  it("WebSocket: random and mutated frames close only the sender, with a documented reason", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        prelude,
        fc.array(engineFrames, { minLength: 1, maxLength: 8 }),
        async (connects, groups) => {
          const peer = await openWs();
          for (const nsp of connects) {
            send(peer.ws, {
              text:
                nsp === "/admin" ? '40/admin,{"token":"ok"}' : `40${nsp === "/" ? "" : `${nsp},`}`,
            });
            await peer.waitFor(`40${nsp === "/" ? "" : `${nsp},`}`);
          }
          for (const group of groups) for (const frame of group) send(peer.ws, frame);
          await endWs(peer);
          await arena.settle();
          await arena.check(n++);
        },
      ),
      { seed: SEED, numRuns: 300, endOnFailure: true },
    );
    expectOnlyHealthy(arena);
  });

  it("polling: random payloads, oversize and broken bodies close only the sender", async () => {
    let n = 0;
    const action = fc.oneof(
      {
        weight: 5,
        arbitrary: fc
          .array(engineFrames, { minLength: 1, maxLength: 4 })
          .map((g) => ({ body: pollingBody(g.flat()) })),
      },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom("b!!!", "\x1e", "4a\x1e\x1e4b", "bYQ", "", "4".repeat(3))
          .map((body) => ({ body })),
      },
      { weight: 1, arbitrary: fc.constant({ body: "4".padEnd(MAX_BUFFER + 10, "x") }) },
      {
        weight: 1,
        arbitrary: fc.constant({ body: Array.from({ length: 300 }, () => "6").join("\x1e") }),
      },
      { weight: 1, arbitrary: fc.constant({ get: true as const }) },
    );
    await fc.assert(
      fc.asyncProperty(
        prelude,
        fc.array(action, { minLength: 1, maxLength: 4 }),
        async (connects, actions) => {
          const sid = await pollingHandshake();
          for (const nsp of connects) {
            const head = nsp === "/" ? "40" : `40${nsp},`;
            await post(sid, nsp === "/admin" ? `${head}{"token":"ok"}` : head);
            expect(await getOnce(sid, 3000)).toMatch(/^4[04]/);
          }
          for (const a of actions) {
            if ("get" in a) await getOnce(sid, 50);
            else await post(sid, a.body);
          }
          await endPolling(sid);
          await arena.settle();
          await arena.check(n++);
        },
      ),
      { seed: SEED + 1, numRuns: 100, endOnFailure: true },
    );
    expectOnlyHealthy(arena);
  });

  it("query parameters, methods and headers: a clean 200/400/403 answer, no session leaks", async () => {
    let n = 0;
    const value = (name: string, values: string[]) =>
      fc.option(
        fc
          .oneof(fc.constantFrom(...values), fc.string({ maxLength: 6 }))
          .map((v) => `${name}=${encodeURIComponent(v)}`),
        { nil: undefined },
      );
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          eio: value("EIO", ["4", "3", "5", "abc", "", "04", "4.0"]),
          transport: value("transport", [
            "polling",
            "websocket",
            "x",
            "",
            "POLLING",
            "polling\u0000",
          ]),
          sid: fc.option(
            fc.constantFrom(
              "healthy",
              "live",
              "closed",
              "",
              "../..",
              "%00",
              "a".repeat(300),
              "<script>",
              "AAAAAAAAAAAAAAAAAAAA",
            ),
            { nil: undefined },
          ),
          j: value("j", ["0", "1", "abc", ""]),
          b64: value("b64", ["1", "0", "true", ""]),
          dup: fc.boolean(),
          method: fc.constantFrom(
            "GET",
            "GET",
            "POST",
            "PUT",
            "DELETE",
            "PATCH",
            "HEAD",
            "OPTIONS",
            "FOO",
          ),
          headers: fc.dictionary(
            fc.constantFrom(
              "content-type",
              "x-forwarded-for",
              "origin",
              "cookie",
              "accept-encoding",
              "x-junk",
            ),
            fc.constantFrom(
              "",
              "*",
              "gzip, deflate, br",
              "io=abc",
              "application/octet-stream",
              "text/plain;charset=UTF-8",
              "\t",
            ),
          ),
          body: fc.constantFrom(undefined, "", "40", "1", "b!!", "4".repeat(50)),
          ws: fc.boolean(),
        }),
        async (c) => {
          const live = await pollingHandshake();
          await endPolling(await pollingHandshake());
          const sid =
            c.sid === undefined
              ? undefined
              : c.sid === "healthy"
                ? arena.healthySid
                : c.sid === "live"
                  ? live
                  : c.sid === "closed"
                    ? "gone"
                    : c.sid;
          const parts = [
            c.eio,
            c.transport,
            sid === undefined ? undefined : `sid=${encodeURIComponent(sid)}`,
            c.j,
            c.b64,
          ];
          if (c.dup) parts.push("EIO=4", "transport=polling");
          const query = parts.filter((p) => p !== undefined).join("&");
          if (c.ws) {
            await rawUpgrade(query);
          } else {
            const init: RequestInit = { method: c.method, headers: c.headers };
            if (c.body !== undefined && c.method !== "GET" && c.method !== "HEAD")
              init.body = c.body;
            let res: Response | null = null;
            try {
              res = await fetch(`${arena.url}/socket.io/?${query}`, {
                ...init,
                signal: AbortSignal.timeout(300),
              });
            } catch (err) {
              // a GET held on a live session: cut, which closes that session (transport error)
              expect(["TimeoutError", "AbortError"]).toContain((err as Error).name);
            }
            if (res !== null) {
              const body = await expectCleanAnswer(res, c.method);
              if (res.status === 200 && body.startsWith("0{")) {
                await endPolling((JSON.parse(body.slice(1)) as { sid: string }).sid);
              }
            }
          }
          if (arena.io.engine.clients.has(live)) await endPolling(live);
          await arena.settle();
          await arena.check(n++);
        },
      ),
      { seed: SEED + 2, numRuns: 150, endOnFailure: true },
    );
    expectOnlyHealthy(arena);
  });

  it("garbage HTTP on a raw TCP socket: the parser refuses it, nothing else is touched", async () => {
    const requests = [
      "GARBAGE\r\n\r\n",
      "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "POST /socket.io/?EIO=4&transport=polling&sid=SID HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n4x",
      "POST /socket.io/?EIO=4&transport=polling&sid=SID HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "POST /socket.io/?EIO=4&transport=polling&sid=SID HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n4x",
      `GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
      "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n",
      "GET /socket.io/?EIO=4&transport=websocket&sid=SID HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: x\r\nSec-WebSocket-Version: 99\r\n\r\n",
      "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
    ];
    let n = 0;
    for (const template of requests) {
      const sid = await pollingHandshake();
      await rawTcp(template.replace("SID", sid));
      // cut mid-body or refused: that session ends; a body never completed is cut here
      if (arena.io.engine.clients.has(sid)) await endPolling(sid);
      await arena.settle();
      await arena.check(n++);
    }
    expectOnlyHealthy(arena);
  });

  it("JSON nested past the encoder's depth limit closes the sender with parse error", async () => {
    const peer = await openWs();
    send(peer.ws, { text: "40" });
    await peer.waitFor("40");
    send(peer.ws, { text: `421["echo",${deep(1500)}]` });
    await peer.closed;
    expect(peer.frames.some((f) => f.startsWith("431"))).toBe(false);
    await arena.settle();
    await arena.check(0);
    expect(arena.socketReasons).toEqual(["parse error"]);
    expectOnlyHealthy(arena);
  });

  it("a refused or abandoned CONNECT to a dynamic namespace leaves no child namespace behind", async () => {
    const peer = await openWs();
    send(peer.ws, { text: '40/dyn-5,{"token":"bad"}' });
    await peer.waitFor("44/dyn-5,");
    expect(arena.dynamic.children.size).toBe(0);
    expect([...arena.io.namespaces.keys()]).not.toContain("/dyn-5");
    // the connection closes (garbage) while the middleware of /dyn-6 still runs
    send(peer.ws, { text: '40/dyn-6,{"token":"slow"}' });
    send(peer.ws, { text: "42{}" });
    await peer.closed;
    await arena.settle();
    expectOnlyHealthy(arena);
  });

  it("WebSocket: a message over maxHttpBufferSize closes with 1009, transport error", async () => {
    const peer = await openWs();
    send(peer.ws, { text: "40" });
    await peer.waitFor("40");
    const code = new Promise<number>((resolve) => peer.ws.once("close", (c: number) => resolve(c)));
    send(peer.ws, { text: `42["echo","${"x".repeat(MAX_BUFFER)}"]` });
    expect(await code).toBe(1009);
    await arena.settle();
    await arena.check(0);
    expect(arena.engineReasons).toEqual(["transport error"]);
    expect(arena.socketReasons).toEqual(["transport error"]);
    expectOnlyHealthy(arena);
  });
});

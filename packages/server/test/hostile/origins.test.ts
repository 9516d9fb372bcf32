import type { IncomingMessage } from "node:http";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeAll } from "../engine/helpers.js";
import {
  openWebSocket,
  PATHS,
  type RawPeer,
  rawRequest,
  startTarget,
  type Target,
  type TargetOptions,
} from "./frames-kit.js";
import { until, watchProcess } from "./harness.js";

// Issue 12: `allowedOrigins` refuses any request (polling handshake, GET/POST of a live
// session, preflight, WebSocket upgrade on either path) whose Origin header is present and
// not allowed, with 403 and {"code":4,"message":"Origin not allowed"}; a request without
// Origin (a non-browser client) passes. Plus: an oversized request head gets Node's 431.

let watch: ReturnType<typeof watchProcess>;
beforeEach(() => {
  watch = watchProcess();
});
afterEach(async () => {
  await closeAll();
  expect(watch.stop()).toEqual([]);
});

const REFUSED = { code: 4, message: "Origin not allowed" };
const GOOD = "https://good.example";
/** A foreign site, a look-alike with the good origin as a prefix, and an opaque origin. */
const EVIL = ["https://evil.example", "https://good.example.evil.example", "null"];
const PATH = "/socket.io/?EIO=4&transport=polling";

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request on a fresh connection, with exactly the headers given. */
function send(
  t: Target,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port: t.port, method, path, headers, agent: false },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          data += chunk;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }),
        );
      },
    );
    req.on("error", reject);
    // Bounded: a request wrongly let through to a long poll would otherwise hang.
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${path}: no answer in time`)));
    req.end(body);
  });
}

function expectRefused(a: Answer): void {
  expect(a.status).toBe(403);
  expect(a.headers["content-type"]).toMatch(/^application\/json/);
  expect(JSON.parse(a.body)).toEqual(REFUSED);
}

/** A polling handshake with optional Origin; returns the session id. */
async function handshake(t: Target, origin?: string): Promise<string> {
  const a = await send(t, "GET", PATH, origin === undefined ? {} : { Origin: origin });
  expect(a.status).toBe(200);
  expect(a.body.startsWith("0{")).toBe(true);
  return (JSON.parse(a.body.slice(1)) as { sid: string }).sid;
}

/** A WebSocket upgrade that must be refused: its status and JSON body, read off the raw socket. */
async function refusedUpgrade(t: Target, origin: string, query = ""): Promise<RawPeer> {
  const peer = await rawRequest(
    t.port,
    `GET /socket.io/?EIO=4&transport=websocket${query} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n` +
      "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: ${origin}\r\n\r\n`,
  );
  await peer.waitEnd();
  expect(peer.status).toBe(403);
  expect(JSON.parse(peer.body.toString())).toEqual(REFUSED);
  return peer;
}

interface Form {
  form: string;
  allowedOrigins: NonNullable<TargetOptions["allowedOrigins"]>;
  /** An origin the rule allows. */
  good: string;
}

const FORMS: Form[] = [
  { form: "a string", allowedOrigins: GOOD, good: GOOD },
  {
    form: "a RegExp",
    allowedOrigins: /^https:\/\/(app|www)\.good\.example$/,
    good: "https://app.good.example",
  },
  {
    form: "an array",
    allowedOrigins: ["https://other.example", /^https:\/\/good\.example$/],
    good: GOOD,
  },
  {
    form: "a function",
    allowedOrigins: (origin: string, req: IncomingMessage) =>
      origin === GOOD && req.headers.origin === origin,
    good: GOOD,
  },
];

describe.each(FORMS)("allowedOrigins as $form", ({ allowedOrigins, good }) => {
  /** A server with the rule; `errors` collects the codes of connection_error events. */
  async function start(options: TargetOptions = {}): Promise<{ t: Target; errors: number[] }> {
    const t = await startTarget({ allowedOrigins, ...options });
    const errors: number[] = [];
    t.io.engine.on("connection_error", (err: { code: number }) => errors.push(err.code));
    return { t, errors };
  }

  it("polling handshake: evil origins get 403 code 4; a good one and none are accepted", async () => {
    const { t, errors } = await start();
    for (const origin of EVIL) expectRefused(await send(t, "GET", PATH, { Origin: origin }));
    expect(errors).toEqual(EVIL.map(() => 4));
    await handshake(t, good);
    await handshake(t);
    expect(errors).toHaveLength(EVIL.length);
    expect(t.io.engine.clientsCount).toBe(3);
    await t.check(1);
  });

  it("GET and POST of a live session from an evil origin get 403; the session is untouched", async () => {
    const { t, errors } = await start();
    const sid = await handshake(t, good);
    const url = `${PATH}&sid=${sid}`;
    for (const origin of EVIL) {
      expectRefused(await send(t, "GET", url, { Origin: origin }));
      expectRefused(await send(t, "POST", url, { Origin: origin }, "40"));
    }
    expect(errors).toEqual([...EVIL, ...EVIL].map(() => 4));
    // The refusals came before the session was looked at: its owner carries on.
    const post = await send(t, "POST", url, { Origin: good }, "40");
    expect(post).toMatchObject({ status: 200, body: "ok" });
    const get = await send(t, "GET", url, {});
    expect(get.status).toBe(200);
    expect(get.body.startsWith("40{")).toBe(true);
    await t.check(1);
  });

  it.each([
    ["without cors", {}],
    ["with cors reflecting any origin", { cors: { origin: true } }],
  ] as const)("a preflight from an evil origin gets 403 (%s)", async (_name, options) => {
    const { t, errors } = await start(options);
    const preflight = (origin: string) =>
      send(t, "OPTIONS", PATH, {
        Origin: origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
      });
    for (const origin of EVIL) {
      const a = await preflight(origin);
      expectRefused(a);
      expect(a.headers["access-control-allow-origin"]).toBeUndefined();
    }
    expect(errors).toEqual(EVIL.map(() => 4));
    const ok = await preflight(good);
    expect(ok.status).not.toBe(403);
    if ("cors" in options) {
      expect(ok.status).toBe(204);
      expect(ok.headers["access-control-allow-origin"]).toBe(good);
    }
    await t.check(1);
  });

  it.each(PATHS)(
    "WebSocket upgrade on the $path path: evil refused, good and none accepted",
    async ({ perMessageDeflate }) => {
      const { t, errors } = await start({ perMessageDeflate });
      for (const origin of EVIL) await refusedUpgrade(t, origin);
      // A probe for a live polling session is refused too.
      const sid = await handshake(t);
      await refusedUpgrade(t, EVIL[0]!, `&sid=${sid}`);
      expect(errors).toEqual([...EVIL, EVIL[0]].map(() => 4));
      const accepted = await openWebSocket(t.port, { Origin: good });
      const none = await openWebSocket(t.port);
      expect(accepted.closed || none.closed).toBe(false);
      // The healthy client (no Origin, like every non-browser client) still connected.
      await t.check(1);
    },
  );
});

describe("a request head over Node's 16 KiB maxHeaderSize", () => {
  it.each([
    ["a polling handshake", `GET ${PATH} HTTP/1.1\r\n`],
    [
      "a WebSocket upgrade",
      "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nUpgrade: websocket\r\n" +
        "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
    ],
  ])("%s gets 431 and the server keeps serving", async (_name, start) => {
    const t = await startTarget({ allowedOrigins: GOOD });
    const big = `X-Filler: ${"f".repeat(20 * 1024)}\r\n`;
    const peer = await rawRequest(t.port, `${start}Host: 127.0.0.1:${t.port}\r\n${big}\r\n`);
    await until(() => peer.status !== 0 || peer.closed, 3000, "an answer");
    expect(peer.status).toBe(431);
    await peer.waitEnd();
    await t.check(1);
    await handshake(t);
  });
});

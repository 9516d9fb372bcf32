import { request } from "node:http";
import { type AddressInfo, createServer as createTcpServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { FORWARDED_HEADER } from "../../src/engine/forwarding/forwarder.js";
import {
  createMemoryDirectory,
  type HandshakeError,
  HandshakeRefusal,
  type NodeDirectory,
  Server,
} from "../../src/index.js";
import { onCleanup, startNode, type TestNode, until } from "./cluster.js";

/** A directory that counts lookups (to prove a garbage sid causes none). */
function countingDirectory(): NodeDirectory & { lookups: string[] } {
  const inner = createMemoryDirectory();
  const lookups: string[] = [];
  return {
    lookups,
    register: (node, address, ttl) => inner.register(node, address, ttl),
    lookup: (node) => {
      lookups.push(node);
      return inner.lookup(node);
    },
    unregister: (node) => inner.unregister(node),
  };
}

/** A TCP listener that counts connections and never answers (a node that hangs, or a trap). */
async function trap(): Promise<{ address: string; connections: () => number }> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => count,
  };
}

interface Answer {
  status: number;
  body: string;
}

/** A polling request (GET, or POST with `body`) for `sid`, answered with status and body. */
function pollRequest(
  node: TestNode,
  sid: string,
  opts: { body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: node.port,
        method: opts.body === undefined ? "GET" : "POST",
        path: `/socket.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`,
        headers: opts.headers,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** A WebSocket upgrade request for `sid`; resolves with the refusal's status and body. */
function upgradeRequest(node: TestNode, sid: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: "127.0.0.1",
      port: node.port,
      path: `/socket.io/?EIO=4&transport=websocket&sid=${encodeURIComponent(sid)}`,
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
      },
    });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("upgrade", (_res, socket) => {
      socket.destroy();
      reject(new Error("upgrade accepted"));
    });
    req.on("error", reject);
    req.end();
  });
}

const UNKNOWN = { status: 400, body: JSON.stringify({ code: 1, message: "Session ID unknown" }) };

/** Records every refusal a node emits (its `connection_error`s). */
function refusals(node: TestNode): HandshakeError[] {
  const list: HandshakeError[] = [];
  node.io.engine.on("connection_error", (error: HandshakeError) => list.push(error));
  return list;
}

describe("forwarding: forged and stale session ids", () => {
  it("a garbage sid is answered 400 (code 1) without a directory lookup or a connection", async () => {
    const directory = countingDirectory();
    const node = await startNode(directory);
    const garbage = [
      "a",
      "",
      "../../etc/passwd",
      "127.0.0.1:22xxxxxxxxx",
      "%00%00%00%00%00%00x",
      "é€漢字ab",
    ];
    for (const sid of garbage) {
      expect(await pollRequest(node, sid)).toEqual(UNKNOWN);
      expect(await pollRequest(node, sid, { body: "4x" })).toEqual(UNKNOWN);
      expect(await upgradeRequest(node, sid)).toEqual(UNKNOWN);
    }
    expect(directory.lookups).toEqual([]);
    expect(node.io.engine.forwardingSizes()).toEqual({
      cached: 0,
      lookups: 0,
      requests: 0,
      tunnels: 0,
    });
  });

  it("a tag no node has is looked up, answered 400 (code 1), and connects nowhere", async () => {
    const directory = countingDirectory();
    const node = await startNode(directory);
    const sid = "Zz_-09abcdefghijklmn";
    expect(await pollRequest(node, sid)).toEqual(UNKNOWN);
    expect(await upgradeRequest(node, sid)).toEqual(UNKNOWN);
    expect(await pollRequest(node, sid, { body: "4hello" })).toEqual(UNKNOWN);
    // The answer "no such node" is cached: one lookup for the three requests.
    expect(directory.lookups).toEqual(["Zz_-09"]);
    expect(node.io.engine.forwardingSizes()?.requests).toBe(0);
  });

  it("the tag of a node whose lease expired: 400 (code 1), no connection to its old address", async () => {
    const directory = countingDirectory();
    const node = await startNode(directory);
    const old = await trap();
    await directory.register("gone00", old.address, 20);
    while ((await directory.lookup("gone00")) !== undefined) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    directory.lookups.length = 0;
    expect(await pollRequest(node, "gone00abcdefghijklmn")).toEqual(UNKNOWN);
    expect(await upgradeRequest(node, "gone00abcdefghijklmn")).toEqual(UNKNOWN);
    expect(directory.lookups).toEqual(["gone00"]);
    expect(old.connections()).toBe(0);
  });

  it("a forwarded request for a session its owner does not have: the owner answers 400, no second hop", async () => {
    const directory = createMemoryDirectory();
    const a = await startNode(directory);
    const b = await startNode(directory);
    const atA = refusals(a);
    const atB = refusals(b);
    const sid = `${a.tag}abcdefghijklmn`;
    expect(await pollRequest(b, sid)).toEqual(UNKNOWN);
    expect(await upgradeRequest(b, sid)).toEqual(UNKNOWN);
    // a refused both (marked as forwarded); b only passed a's answers on.
    expect(atA.map((e) => [e.errorCode, e.req.headers[FORWARDED_HEADER]])).toEqual([
      [HandshakeRefusal.UNKNOWN_SID, "1"],
      [HandshakeRefusal.UNKNOWN_SID, "1"],
    ]);
    expect(atB).toEqual([]);
    await until(
      () =>
        b.io.engine.forwardingSizes()?.requests === 0 &&
        b.io.engine.forwardingSizes()?.tunnels === 0,
      5000,
      "the request and the tunnel to end",
    );
  });

  it("a request already marked as forwarded is never forwarded again, even to a tag the directory knows", async () => {
    const directory = createMemoryDirectory();
    const a = await startNode(directory);
    const b = await startNode(directory);
    const atA = refusals(a);
    const sid = `${a.tag}abcdefghijklmn`;
    expect(await pollRequest(b, sid, { headers: { [FORWARDED_HEADER]: "1" } })).toEqual(UNKNOWN);
    expect(atA).toEqual([]);
  });

  it("a directory entry pointing back at the node itself ends after one hop", async () => {
    const directory = createMemoryDirectory();
    const node = await startNode(directory);
    const own = await directory.lookup(node.tag);
    await directory.register("loop00", own!, 60_000);
    const errors = refusals(node);
    expect(await pollRequest(node, "loop00abcdefghijklmn")).toEqual(UNKNOWN);
    // Refused once: by the forwarded request, on the internal listener; the front passed it on.
    expect(errors.map((e) => e.req.headers[FORWARDED_HEADER])).toEqual(["1"]);
  });

  it("an owner that accepts the connection and never answers: 400 (code 1) after forwarding.timeout", async () => {
    const directory = createMemoryDirectory();
    const node = await startNode(directory, {
      forwarding: { directory, timeout: 200 },
      pingInterval: 300,
    });
    const hung = await trap();
    await directory.register("hung00", hung.address, 60_000);
    expect(await pollRequest(node, "hung00abcdefghijklmn", { body: "4x" })).toEqual(UNKNOWN);
    expect(await pollRequest(node, "hung00abcdefghijklmn")).toEqual(UNKNOWN);
    expect(await upgradeRequest(node, "hung00abcdefghijklmn")).toEqual(UNKNOWN);
    expect(hung.connections()).toBeGreaterThanOrEqual(2);
    await until(
      () =>
        node.io.engine.forwardingSizes()?.requests === 0 &&
        node.io.engine.forwardingSizes()?.tunnels === 0,
      5000,
      "requests and tunnels to end",
    );
  });

  it("an address in the directory that refuses connections: 400 (code 1)", async () => {
    const directory = createMemoryDirectory();
    const node = await startNode(directory);
    // Port 1 on loopback: nothing listens there, the connection is refused.
    await directory.register("dead00", "127.0.0.1:1", 60_000);
    expect(await pollRequest(node, "dead00abcdefghijklmn")).toEqual(UNKNOWN);
    expect(await upgradeRequest(node, "dead00abcdefghijklmn")).toEqual(UNKNOWN);
  });
});

describe("forwarding: options and lifecycle", () => {
  it("refuses invalid forwarding options with a TypeError", () => {
    const directory = createMemoryDirectory();
    expect(() => new Server({ forwarding: {} as never })).toThrow(TypeError);
    expect(() => new Server({ forwarding: { directory, host: "0.0.0.0" } })).toThrow(TypeError);
    expect(() => new Server({ forwarding: { directory, timeout: -1 } })).toThrow(TypeError);
    expect(() => new Server({ forwarding: { directory, lease: 0 } })).toThrow(TypeError);
    expect(
      () => new Server({ forwarding: { directory, host: "0.0.0.0", advertiseHost: "10.0.0.7" } }),
    ).not.toThrow();
  });

  it("session ids start with the node tag, 20 url-safe characters; a generateId override gets the tag", async () => {
    const directory = createMemoryDirectory();
    const node = await startNode(directory);
    expect(node.tag).toMatch(/^[A-Za-z0-9_-]{6}$/);
    const open = await fetch(`${node.url}/socket.io/?EIO=4&transport=polling`);
    const sid = (JSON.parse((await open.text()).slice(1)) as { sid: string }).sid;
    expect(sid).toMatch(new RegExp(`^${node.tag.replace(/[-]/g, "\\-")}[A-Za-z0-9_-]{14}$`));
    node.io.engine.generateId = () => "custom-id";
    const second = await fetch(`${node.url}/socket.io/?EIO=4&transport=polling`);
    const custom = (JSON.parse((await second.text()).slice(1)) as { sid: string }).sid;
    expect(custom).toBe(`${node.tag}custom-id`);
  });

  it("registers on listen, renews the lease, unregisters on close", async () => {
    const inner = createMemoryDirectory();
    const registered: [string, string, number][] = [];
    const directory: NodeDirectory = {
      register: (node, address, ttl) => {
        registered.push([node, address, ttl]);
        return inner.register(node, address, ttl);
      },
      lookup: (node) => inner.lookup(node),
      unregister: (node) => inner.unregister(node),
    };
    const http = (await import("node:http")).createServer();
    const io = new Server(http, { forwarding: { directory, lease: 90 } });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    await io.engine.forwardingReady();
    const tag = io.engine.nodeTag!;
    const address = await directory.lookup(tag);
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    // Renewed every third of the lease: the same entry, written again.
    await until(() => registered.length >= 4, 5000, "three renewals");
    expect(new Set(registered.map((r) => r.join(" ")))).toEqual(new Set([`${tag} ${address} 90`]));
    await io.close();
    expect(await directory.lookup(tag)).toBeUndefined();
  });
});

describe("forwarding: a failing directory", () => {
  it("a lookup that fails: 400 (code 1) and a forwarding_error; close does not wait for a directory that never answers", async () => {
    const inner = createMemoryDirectory();
    let broken = false;
    const directory: NodeDirectory = {
      register: (node, address, ttl) => inner.register(node, address, ttl),
      lookup: (node) => (broken ? Promise.reject(new Error("directory down")) : inner.lookup(node)),
      unregister: (node) => (broken ? new Promise<void>(() => {}) : inner.unregister(node)),
    };
    const node = await startNode(directory, { forwarding: { directory, timeout: 300 } });
    const errors: Error[] = [];
    node.io.engine.on("forwarding_error", (error: Error) => errors.push(error));
    broken = true;
    expect(await pollRequest(node, "Zz_-09abcdefghijklmn")).toEqual(UNKNOWN);
    expect(errors.map((e) => e.message)).toEqual(["directory down"]);
    await node.io.close(); // resolves although unregister never settles
    expect(node.io.engine.forwardingSizes()).toEqual({
      cached: 0,
      lookups: 0,
      requests: 0,
      tunnels: 0,
    });
  });
});

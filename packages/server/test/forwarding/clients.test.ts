import { io as sbio } from "@switchboard/client";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { describe, expect, it } from "vitest";
import { onCleanup, once, startCluster, type TestNode, until } from "./cluster.js";

/** Every node answers `ping` with n + 1, and greets each socket with its own tag. */
function serveEcho(nodes: readonly TestNode[]): void {
  for (const node of nodes) {
    node.io.on("connection", (socket) => {
      socket.on("ping", (n: number, ack: (answer: number) => void) => ack(n + 1));
      socket.on("ask", (ack: () => void) => {
        socket.emit("question", 41, (answer: number) => socket.emit("answered", answer));
        ack();
      });
    });
  }
}

/** What the tests use of either client. */
interface EchoClient {
  on(event: "question", fn: (n: number, ack: (answer: number) => void) => void): unknown;
  once(event: string, fn: (...args: never[]) => void): unknown;
  timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> };
}

function official(url: string, opts: Parameters<typeof ioc>[1] = {}): ClientSocket {
  const socket = ioc(url, { forceNew: true, reconnection: false, ...opts });
  onCleanup(() => socket.disconnect());
  return socket;
}

/** The node that owns the session `sid` (by its tag). */
function ownerOf(nodes: readonly TestNode[], sid: string): TestNode {
  const owner = nodes.find((node) => sid.startsWith(node.tag));
  if (owner === undefined) throw new Error(`no node owns ${sid}`);
  return owner;
}

describe("forwarding behind a round-robin balancer", () => {
  it("official socket.io-client, default transports: connects, upgrades, acks both ways, reconnects", async () => {
    const { nodes, lb } = await startCluster(3);
    serveEcho(nodes);
    const socket = official(lb.url, { reconnection: true, reconnectionDelay: 50 });
    socket.on("question", (n: number, ack: (answer: number) => void) => ack(n + 1));
    await once(socket, "connect");
    const engine = socket.io.engine;
    const owner = ownerOf(nodes, engine.id);
    // The client switches when it sends the upgrade packet, the owner when it receives it.
    await until(
      () =>
        engine.transport.name === "websocket" &&
        owner.io.engine.clients.get(engine.id)?.transport.name === "websocket",
      10_000,
      "the upgrade",
    );
    // Every node took requests of this one session: nothing was sticky.
    for (const node of nodes)
      expect(lb.stats.byTarget[`127.0.0.1:${node.port}`]).toBeGreaterThan(0);
    expect(lb.stats.upgrades).toBe(1);

    expect(await socket.timeout(5000).emitWithAck("ping", 1)).toBe(2);
    const answered = once<[number]>(socket, "answered");
    await socket.timeout(5000).emitWithAck("ask");
    expect((await answered)[0]).toBe(42);

    // The server ends the engine connection: the client reconnects through the balancer.
    const firstSid = engine.id;
    owner.io.engine.clients.get(firstSid)?.close();
    await once(socket, "disconnect");
    await once(socket, "connect");
    expect(socket.io.engine.id).not.toBe(firstSid);
    expect(await socket.timeout(5000).emitWithAck("ping", 10)).toBe(11);
  });

  it("official socket.io-client, polling only: every request alternates nodes, 200 messages each way in order", async () => {
    const { nodes, lb } = await startCluster(2);
    const received: number[] = [];
    let sent = false;
    for (const node of nodes) {
      node.io.on("connection", (socket) => {
        socket.on("m", (i: number) => received.push(i));
        socket.on("start", () => {
          for (let i = 0; i < 200; i++) socket.emit("s", i);
          sent = true;
        });
      });
    }
    const socket = official(lb.url, { transports: ["polling"] });
    const got: number[] = [];
    socket.on("s", (i: number) => got.push(i));
    await once(socket, "connect");
    for (let i = 0; i < 200; i++) socket.emit("m", i);
    socket.emit("start");
    await until(() => received.length === 200 && got.length === 200, 20_000, "400 messages");
    expect(sent).toBe(true);
    expect(received).toEqual([...Array(200).keys()]);
    expect(got).toEqual([...Array(200).keys()]);
    const [a, b] = nodes.map((node) => lb.stats.byTarget[`127.0.0.1:${node.port}`] ?? 0);
    // Strict alternation: the two counts differ by at most one.
    expect(Math.abs(a! - b!)).toBeLessThanOrEqual(1);
    expect(a! + b!).toBeGreaterThan(4);
    expect(socket.io.engine.transport.name).toBe("polling");
  });

  it("@switchboard/client, default transports: connects, upgrades, acks both ways", async () => {
    const { nodes, lb } = await startCluster(2);
    serveEcho(nodes);
    const socket = sbio(lb.url, { forceNew: true, reconnection: false });
    onCleanup(() => socket.disconnect());
    socket.on("question", (n: number, ack: (answer: number) => void) => ack(n + 1));
    await once(socket, "connect");
    await until(
      () =>
        nodes.some((node) =>
          [...node.io.engine.clients.values()].some((c) => c.transport.name === "websocket"),
        ),
      10_000,
      "the upgrade",
    );
    expect(lb.stats.upgrades).toBe(1);
    expect(await socket.timeout(5000).emitWithAck("ping", 1)).toBe(2);
    const answered = once<[number]>(socket, "answered");
    await socket.timeout(5000).emitWithAck("ask");
    expect((await answered)[0]).toBe(42);
  });

  it.each([
    ["socket.io-client", (url: string): EchoClient => official(url)],
    [
      "@switchboard/client",
      (url: string): EchoClient => {
        const socket = sbio(url, { forceNew: true, reconnection: false });
        onCleanup(() => socket.disconnect());
        return socket;
      },
    ],
  ] as const)(
    "%s: handshake on one node, every later request (polls, upgrade) forwarded by another",
    async (_name, connect) => {
      const { nodes, lb } = await startCluster(2);
      const [a, b] = nodes as [TestNode, TestNode];
      serveEcho(nodes);
      lb.setTargets([`127.0.0.1:${a.port}`]);
      // The handshake is answered by a; from then on the balancer sends everything to b.
      a.io.engine.once("connection", () => lb.setTargets([`127.0.0.1:${b.port}`]));
      const socket = connect(lb.url);
      socket.on("question", (n: number, ack: (answer: number) => void) => ack(n + 1));
      await once(socket, "connect");
      await until(
        () => [...a.io.engine.clients.values()].some((c) => c.transport.name === "websocket"),
        10_000,
        "the upgrade",
      );
      expect(lb.stats.byTarget[`127.0.0.1:${a.port}`]).toBe(1);
      expect(lb.stats.byTarget[`127.0.0.1:${b.port}`]).toBeGreaterThan(1);
      expect(b.io.engine.clientsCount).toBe(0);
      expect(await socket.timeout(5000).emitWithAck("ping", 1)).toBe(2);
      const answered = once<[number]>(socket, "answered");
      await socket.timeout(5000).emitWithAck("ask");
      expect((await answered)[0]).toBe(42);
      expect(b.io.engine.forwardingSizes()?.tunnels).toBe(1);
    },
  );

  it("@switchboard/client, polling only: messages both ways in order", async () => {
    const { nodes, lb } = await startCluster(3);
    const received: number[] = [];
    for (const node of nodes) {
      node.io.on("connection", (socket) => {
        socket.on("m", (i: number) => received.push(i));
        socket.on("start", () => {
          for (let i = 0; i < 200; i++) socket.emit("s", i);
        });
      });
    }
    const socket = sbio(lb.url, { forceNew: true, reconnection: false, transports: ["polling"] });
    onCleanup(() => socket.disconnect());
    const got: number[] = [];
    socket.on("s", (i: number) => got.push(i));
    await once(socket, "connect");
    for (let i = 0; i < 200; i++) socket.emit("m", i);
    socket.emit("start");
    await until(() => received.length === 200 && got.length === 200, 20_000, "400 messages");
    expect(received).toEqual([...Array(200).keys()]);
    expect(got).toEqual([...Array(200).keys()]);
  });

  it("large messages both ways over forwarded polling (streamed POST bodies)", async () => {
    const { nodes, lb } = await startCluster(2, { maxHttpBufferSize: 2e6 });
    const [a, b] = nodes as [TestNode, TestNode];
    for (const node of nodes) {
      node.io.on("connection", (socket) => {
        socket.on("echo", (data: string, ack: (answer: string) => void) => ack(data));
      });
    }
    lb.setTargets([`127.0.0.1:${a.port}`]);
    a.io.engine.once("connection", () => lb.setTargets([`127.0.0.1:${b.port}`]));
    const socket = official(lb.url, { transports: ["polling"] });
    await once(socket, "connect");
    const big = "x".repeat(200_000) + "é漢".repeat(50_000);
    expect(await socket.timeout(10_000).emitWithAck("echo", big)).toBe(big);
    expect(lb.stats.byTarget[`127.0.0.1:${a.port}`]).toBe(1);
  });

  it("CORS headers are set once on a forwarded answer", async () => {
    const { nodes } = await startCluster(2, { cors: { origin: "https://app.example" } });
    const [a, b] = nodes as [TestNode, TestNode];
    const open = await fetch(`${a.url}/socket.io/?EIO=4&transport=polling`, {
      headers: { Origin: "https://app.example" },
    });
    const sid = (JSON.parse((await open.text()).slice(1)) as { sid: string }).sid;
    const poll = await fetch(`${b.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
      method: "POST",
      body: "40",
      headers: { Origin: "https://app.example", "Content-Type": "text/plain" },
    });
    expect(poll.status).toBe(200);
    expect(await poll.text()).toBe("ok");
    expect(poll.headers.get("access-control-allow-origin")).toBe("https://app.example");
  });

  it("a compressed poll answer is passed through as the owner encoded it", async () => {
    const { nodes } = await startCluster(2);
    const [a, b] = nodes as [TestNode, TestNode];
    const big = "y".repeat(50_000);
    a.io.on("connection", (socket) => socket.emit("big", big));
    const open = await fetch(`${a.url}/socket.io/?EIO=4&transport=polling`);
    const sid = (JSON.parse((await open.text()).slice(1)) as { sid: string }).sid;
    const q = `/socket.io/?EIO=4&transport=polling&sid=${sid}`;
    expect(await (await fetch(`${b.url}${q}`, { method: "POST", body: "40" })).text()).toBe("ok");
    let body = "";
    let encoding: string | null = null;
    while (!body.includes("big")) {
      const poll = await fetch(`${b.url}${q}`, { headers: { "Accept-Encoding": "gzip" } });
      if (poll.headers.get("content-encoding") !== null)
        encoding = poll.headers.get("content-encoding");
      body += await poll.text();
    }
    expect(encoding).toBe("gzip");
    expect(body).toContain(`42["big","${big}"]`);
  });

  it("a node that stops accepting sessions (draining) still serves its sessions forwarded by another node", async () => {
    const { nodes, lb } = await startCluster(2);
    const [a, b] = nodes as [TestNode, TestNode];
    serveEcho(nodes);
    lb.setTargets([`127.0.0.1:${a.port}`]);
    a.io.engine.once("connection", () => lb.setTargets([`127.0.0.1:${b.port}`]));
    const socket = official(lb.url, { transports: ["polling"] });
    await once(socket, "connect");
    a.io.engine.stopAccepting();
    expect(await socket.timeout(5000).emitWithAck("ping", 7)).toBe(8);
    const refused = await fetch(`${a.url}/socket.io/?EIO=4&transport=polling`);
    expect(refused.status).toBe(503);
  });
});

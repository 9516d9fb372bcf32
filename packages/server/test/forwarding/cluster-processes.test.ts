import { type ChildProcess, fork } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { describe, expect, it } from "vitest";
import { createMemoryDirectory, type NodeDirectory } from "../../src/index.js";
import { createBalancer } from "../../src/testing/index.js";
import { onCleanup, once, until } from "./cluster.js";

const SCRIPT = fileURLToPath(new URL("./node-process.mjs", import.meta.url));

interface ChildNode {
  child: ChildProcess;
  port: number;
  tag: string;
  target: string;
  refusals(): Promise<{ code: number; sid: string | null }[]>;
}

/** Starts node-process.mjs; its directory calls are answered from `directory`. */
async function startChild(directory: NodeDirectory): Promise<ChildNode> {
  createRequire(import.meta.url).resolve("@switchboard/server"); // built? (npm run build)
  const child = fork(SCRIPT, [], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  const directoryOps = directory as unknown as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >;
  child.on("message", (msg: { type: string; id?: number; op?: string; args?: unknown[] }) => {
    if (msg.type !== "dir") return;
    directoryOps[msg.op!]!(...msg.args!).then((value) => {
      // The child may be SIGKILLed while the answer is on its way: EPIPE goes to the callback.
      if (child.connected)
        child.send({ type: "dir-answer", id: msg.id, value: value ?? null }, () => {});
    });
  });
  const ready = await new Promise<{ port: number; tag: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("node process not ready")), 10_000);
    const listen = (msg: { type: string; port: number; tag: string }) => {
      if (msg.type !== "ready") return;
      clearTimeout(timer);
      child.off("message", listen);
      resolve(msg);
    };
    child.on("message", listen);
  });
  return {
    child,
    port: ready.port,
    tag: ready.tag,
    target: `127.0.0.1:${ready.port}`,
    refusals: async () => {
      const answer = new Promise<{ code: number; sid: string | null }[]>((resolve) => {
        const listen = (msg: { type: string; list?: { code: number; sid: string | null }[] }) => {
          if (msg.type !== "refusals") return;
          child.off("message", listen);
          resolve(msg.list!);
        };
        child.on("message", listen);
      });
      child.send({ type: "refusals" });
      return answer;
    },
  };
}

function official(url: string, transports: ("polling" | "websocket")[]): ClientSocket {
  const socket = ioc(url, {
    forceNew: true,
    transports,
    reconnectionDelay: 50,
    reconnectionDelayMax: 200,
  });
  onCleanup(() => socket.disconnect());
  return socket;
}

describe.each([
  { name: "polling only", transports: ["polling"] as ("polling" | "websocket")[] },
  {
    name: "default transports",
    transports: ["polling", "websocket"] as ("polling" | "websocket")[],
  },
])("forwarding across processes ($name)", ({ transports }) => {
  it("3 node processes behind a round-robin balancer: acks through any node; owner killed → a live node answers 400 (code 1), the client reconnects there", async () => {
    // The directory's entries are plain data: the parent's memory directory answers all three.
    const directory = createMemoryDirectory();
    const nodes = [
      await startChild(directory),
      await startChild(directory),
      await startChild(directory),
    ];
    const lb = await createBalancer(nodes.map((n) => n.target));
    onCleanup(() => lb.close());
    const socket = official(lb.url, transports);
    await once(socket, "connect");
    if (transports.includes("websocket")) {
      await until(() => socket.io.engine.transport.name === "websocket", 10_000, "the upgrade");
    }
    const first = (await socket.timeout(5000).emitWithAck("ping", 1)) as { n: number; tag: string };
    expect(first.n).toBe(2);
    const owner = nodes.find((n) => socket.io.engine.id.startsWith(n.tag))!;
    expect(first.tag).toBe(owner.tag);
    for (const n of nodes) expect(lb.stats.byTarget[n.target]).toBeGreaterThan(0);

    // From now on only the two other nodes get requests, then the owner dies.
    const live = nodes.filter((n) => n !== owner);
    lb.setTargets(live.map((n) => n.target));
    // One round trip after the switch: the poll now held for the client went to a live node.
    expect(((await socket.timeout(5000).emitWithAck("ping", 2)) as { n: number }).n).toBe(3);
    const oldSid = socket.io.engine.id;
    const disconnected = once(socket, "disconnect");
    owner.child.kill("SIGKILL");
    await disconnected;
    await once(socket, "connect", 15_000);
    const again = (await socket.timeout(5000).emitWithAck("ping", 5)) as { n: number; tag: string };
    expect(again.n).toBe(6);
    expect(live.map((n) => n.tag)).toContain(again.tag);
    expect(socket.io.engine.id.startsWith(again.tag)).toBe(true);
    if (!transports.includes("websocket")) {
      // The held poll (or the next request) of the dead session reached a live node, which
      // could not reach the owner and answered as for an unknown session.
      const refused = [...(await live[0]!.refusals()), ...(await live[1]!.refusals())];
      expect(refused.filter((r) => r.sid === oldSid).map((r) => r.code)).toContain(1);
    }
  });
});

describe("forwarding under Node's cluster module", () => {
  it("each worker has its own internal listener; a polling session spread over both workers works", async () => {
    const primary = fork(fileURLToPath(new URL("./cluster-primary.mjs", import.meta.url)), [], {
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    onCleanup(() => {
      if (primary.connected) primary.disconnect();
    });
    const [ready] = await once<[{ workers: { tag: string; address: string; port: number }[] }]>(
      primary,
      "message",
    );
    const [w1, w2] = ready.workers as [(typeof ready.workers)[0], (typeof ready.workers)[0]];
    expect(w1.port).toBe(w2.port); // one public port
    expect(w1.address).not.toBe(w2.address); // two internal listeners (exclusive)
    expect(w1.tag).not.toBe(w2.tag);
    const socket = ioc(`http://127.0.0.1:${w1.port}`, {
      forceNew: true,
      reconnection: false,
      transports: ["polling"],
    });
    onCleanup(() => socket.disconnect());
    await once(socket, "connect");
    const tags = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const answer = (await socket.timeout(5000).emitWithAck("ping", i)) as {
        n: number;
        tag: string;
      };
      expect(answer.n).toBe(i + 1);
      tags.add(answer.tag);
    }
    // Every answer came from the session's owner, whichever worker took the request.
    expect([...tags]).toEqual([socket.io.engine.id.slice(0, 6)]);
  });
});

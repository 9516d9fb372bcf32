import {
  type AdapterNamespace,
  type ClusterAdapter,
  type ClusterMessage,
  Server,
} from "@switchboard/server";
import { afterEach, describe, expect, it } from "vitest";
import { Bus, BusAdapter, busAdapter } from "./bus.js";
import { adapterContract } from "./contract.js";

// ClusterAdapter over an in-memory bus: one to three nodes. It does not recover sessions
// (persistSession/restoreSession are the in-memory adapter's no-ops).
adapterContract(
  "ClusterAdapter over an in-memory bus",
  (nodes, serverOptions) => {
    const bus = new Bus();
    return {
      servers: Array.from(
        { length: nodes },
        () => new Server({ ...serverOptions, adapter: busAdapter(bus) }),
      ),
    };
  },
  { maxNodes: 3 },
);

// What the contract cannot see from outside: the ClusterAdapter's own bookkeeping.
describe("ClusterAdapter over an in-memory bus: bookkeeping", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((io) => io.close()));
  });

  async function nodes(count: number, answer = true) {
    const bus = new Bus();
    const ios = Array.from({ length: count }, (_, n) => {
      const io = new Server({ adapter: busAdapter(bus, { requestsTimeout: 200 }) });
      if (answer) io.on("whoami", (cb: (n: number) => void) => cb(n));
      servers.push(io);
      return io;
    });
    for (const io of ios) await expect.poll(() => io.of("/").adapter.serverCount()).toBe(count);
    return { bus, ios };
  }

  it("leaves no pending request behind, answered or timed out", async () => {
    const { ios } = await nodes(3);
    const adapter = ios[0]!.of("/").adapter as ClusterAdapter;
    await ios[0]!.fetchSockets();
    await ios[0]!.serverSideEmitWithAck("whoami");
    expect(adapter.pendingRequests).toBe(0);
    ios[2]!.removeAllListeners("whoami");
    ios[2]!.of("/").removeAllListeners("whoami");
    await expect(ios[0]!.serverSideEmitWithAck("whoami")).rejects.toBeInstanceOf(Error);
    expect(adapter.pendingRequests).toBe(0);
  });

  it("publishes nothing for local operations", async () => {
    const { bus, ios } = await nodes(2);
    const before = bus.published;
    ios[0]!.local.emit("x");
    ios[0]!.local.socketsJoin("r");
    ios[0]!.local.disconnectSockets();
    expect(await ios[0]!.local.fetchSockets()).toEqual([]);
    expect(bus.published).toBe(before);
  });

  it("with heartbeats off, publishes no heartbeat and counts nodes as its subclass says", async () => {
    const bus = new Bus();
    class Counted extends BusAdapter {
      protected readonly bus = bus;
      constructor(nsp: AdapterNamespace) {
        super(nsp, { heartbeats: false, requestsTimeout: 200 });
      }
      override serverCount(): Promise<number> {
        return Promise.resolve(bus.adapters.size);
      }
    }
    const ios = [0, 1].map(() => new Server({ adapter: Counted }));
    servers.push(...ios);
    ios[1]!.on("whoami", (cb: (n: number) => void) => cb(1));
    expect(await ios[0]!.serverSideEmitWithAck("whoami")).toEqual([1]);
    // only the request and its answer crossed the bus: no initial-heartbeat, no heartbeat
    expect(bus.published).toBe(2);
  });

  it("a request whose publish fails ends at once with that error, not at its timeout", async () => {
    const bus = new Bus();
    const refused = new Error("refused");
    class Refusing extends BusAdapter {
      protected readonly bus = bus;
      constructor(nsp: AdapterNamespace) {
        super(nsp, { requestsTimeout: 20_000 });
      }
      protected override publish(message: ClusterMessage): Promise<void> {
        if (message.type === "fetch-sockets" || message.type === "server-side-emit") {
          return Promise.reject(refused);
        }
        super.publish(message);
        return Promise.resolve();
      }
    }
    const ios = [0, 1].map(() => new Server({ adapter: Refusing }));
    servers.push(...ios);
    for (const io of ios) await expect.poll(() => io.of("/").adapter.serverCount()).toBe(2);
    await expect(ios[0]!.fetchSockets()).rejects.toBe(refused);
    await expect(ios[0]!.serverSideEmitWithAck("x")).rejects.toBe(refused);
    expect((ios[0]!.of("/").adapter as ClusterAdapter).pendingRequests).toBe(0);
  });
});

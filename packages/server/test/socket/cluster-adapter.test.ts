import {
  type AdapterNamespace,
  ClusterAdapter,
  type ClusterMessage,
  Server,
} from "@switchboard/server";
import { TestClient, type TestSocket } from "@switchboard/server/testing";
import { afterEach, describe, expect, it } from "vitest";

/** An in-memory pub/sub bus standing in for Redis. Delivery is asynchronous, like a network. */
class Bus {
  readonly adapters = new Set<BusAdapter>();
  publish(message: ClusterMessage): void {
    for (const adapter of this.adapters) queueMicrotask(() => adapter.onMessage(message));
  }
}

abstract class BusAdapter extends ClusterAdapter {
  protected abstract readonly bus: Bus;
  override init(): void {
    this.bus.adapters.add(this);
    super.init();
  }
  override close(): void {
    super.close();
    this.bus.adapters.delete(this);
  }
  protected publish(message: ClusterMessage): void {
    this.bus.publish(message);
  }
}

function adapterFor(bus: Bus) {
  return class extends BusAdapter {
    protected readonly bus = bus;
    constructor(nsp: AdapterNamespace) {
      super(nsp, { requestsTimeout: 1000 });
    }
  };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((io) => io.close()));
});

/** N servers on one bus, each with `perNode` clients; client k of node n joins `room-${k}`. */
async function cluster(nodes: number, perNode: number) {
  const bus = new Bus();
  const ios: Server[] = [];
  const clients: TestSocket[][] = [];
  for (let n = 0; n < nodes; n++) {
    const io = new Server({ adapter: adapterFor(bus) });
    servers.push(io);
    io.on("connection", (socket) => {
      socket.join(`room-${socket.handshake.auth.k}`);
      socket.data.node = n;
      socket.on("ask", (cb: (v: string) => void) => cb(`node-${n}`));
    });
    ios.push(io);
  }
  // let the initial heartbeats go round so every node knows the others
  await expect.poll(() => ios[0]!.of("/").adapter.serverCount()).toBe(nodes);
  for (let n = 0; n < nodes; n++) {
    const list: TestSocket[] = [];
    for (let k = 0; k < perNode; k++)
      list.push(await new TestClient(ios[n]!).connect("/", { auth: { k } }));
    clients.push(list);
  }
  return { bus, ios, clients };
}

describe("cluster adapter over an in-memory bus", () => {
  it("broadcasts reach sockets on every node, rooms and except included", async () => {
    const { ios, clients } = await cluster(3, 2);
    ios[0]!.emit("all", 1);
    await Promise.all(clients.flat().map((c) => c.waitFor("all")));
    ios[1]!.to("room-1").emit("r1");
    await Promise.all(clients.map((list) => list[1]!.waitFor("r1")));
    ios[2]!.except("room-1").emit("not-r1");
    await Promise.all(clients.map((list) => list[0]!.waitFor("not-r1")));
    ios[0]!.emit("done");
    await Promise.all(clients.flat().map((c) => c.waitFor("done")));
    expect(clients.flat().filter((c) => c.received.some(([e]) => e === "r1"))).toHaveLength(3);
    expect(clients.flat().filter((c) => c.received.some(([e]) => e === "not-r1"))).toHaveLength(3);
  });

  it("local broadcasts stay on their node", async () => {
    const { ios, clients } = await cluster(2, 1);
    ios[0]!.local.emit("here");
    await clients[0]![0]!.waitFor("here");
    ios[0]!.emit("done");
    await clients[1]![0]!.waitFor("done");
    expect(clients[1]![0]!.received.map(([e]) => e)).toEqual(["done"]);
  });

  it("collects broadcast acks from every node", async () => {
    const { ios, clients } = await cluster(3, 1);
    for (const c of clients.flat()) c.on("ping", (cb: (v: number) => void) => cb(7));
    const responses = await ios[0]!.timeout(2000).emitWithAck("ping");
    expect(responses).toEqual([7, 7, 7]);
  });

  it("fetchSockets, socketsJoin, socketsLeave and disconnectSockets span nodes", async () => {
    const { ios, clients } = await cluster(3, 2);
    const all = await ios[0]!.fetchSockets();
    expect(all.map((s) => s.data.node).sort()).toEqual([0, 0, 1, 1, 2, 2]);
    const remote = all.find((s) => s.data.node === 2)!;
    remote.emit("direct", "hi");
    expect(await clients[2]!.find((c) => c.id === remote.id)!.waitFor("direct")).toEqual(["hi"]);
    ios[1]!.in("room-0").socketsJoin("zero");
    await expect.poll(async () => (await ios[0]!.in("zero").fetchSockets()).length).toBe(3);
    ios[1]!.socketsLeave("zero");
    await expect.poll(async () => (await ios[0]!.in("zero").fetchSockets()).length).toBe(0);
    ios[0]!.in("room-1").disconnectSockets();
    await Promise.all(clients.map((list) => list[1]!.waitForDisconnect()));
    expect((await ios[2]!.fetchSockets()).length).toBe(3);
  });

  it("serverSideEmit reaches the other nodes and gathers their answers", async () => {
    const { ios } = await cluster(3, 0);
    const heard: unknown[] = [];
    ios.forEach((io, n) => {
      io.on("hello", (v: unknown) => heard.push([n, v]));
      io.on("whoami", (cb: (n: number) => void) => cb(n));
    });
    ios[0]!.serverSideEmit("hello", "x");
    await expect.poll(() => heard.length).toBe(2);
    expect(heard).not.toContainEqual([0, "x"]);
    const answers = await ios[1]!.serverSideEmitWithAck("whoami");
    expect((answers as number[]).sort()).toEqual([0, 2]);
  });

  it("counts servers through heartbeats and forgets closed ones", async () => {
    const { ios } = await cluster(3, 0);
    expect(await ios[0]!.of("/").adapter.serverCount()).toBe(3);
    await ios[2]!.close();
    await expect.poll(() => ios[0]!.of("/").adapter.serverCount()).toBe(2);
    const adapter = ios[0]!.of("/").adapter as ClusterAdapter;
    expect(adapter.pendingRequests).toBe(0);
  });
});

import type { Server, ServerOptions } from "@switchboard/server";
import { TestClient, type TestSocket } from "@switchboard/server/testing";
import { expect, it } from "vitest";

/** What a {@link MakeCluster} returns: the nodes, and how to release the backend they share. */
export interface ClusterHandle {
  /** `nodes` Servers, each with the adapter under test, all on one backend. */
  readonly servers: Server[];
  /** Called after the suite closed every server (quit Redis clients, stop a bus, …). */
  close?(): void | Promise<void>;
}

/**
 * Builds `nodes` Server nodes sharing one backend, each created with `serverOptions` (the
 * suite passes `connectionStateRecovery` for the recovery tests) plus the adapter under test.
 * Called with 1 up to `maxNodes`.
 */
export type MakeCluster = (
  nodes: number,
  serverOptions: Partial<ServerOptions>,
) => ClusterHandle | Promise<ClusterHandle>;

/** What the adapter under test can do beyond the core contract. */
export interface AdapterContractOptions {
  /** Most nodes `makeCluster` can build: 1 for a single-node adapter. */
  maxNodes: number;
  /**
   * Connection state recovery: `"none"` (persistSession/restoreSession do nothing, the
   * default), `"node"` (a session is restored on the node it left), `"cluster"` (on any node).
   */
  recovery?: "none" | "node" | "cluster";
  /**
   * Whether the adapter has `allRooms()` (not part of the Adapter interface; socket.io's
   * cluster adapters and @switchboard/redis have it). Default false: the test is not run.
   */
  allRooms?: boolean;
  /** Bounded wait for effects that cross nodes, in ms. Default 2000. */
  waitMs?: number;
}

/** A test cluster: its nodes and the in-process clients connected to each node. */
export interface Cluster {
  readonly nodes: Server[];
  /** `clients[n][k]`: client k of node n, connected to "/" with `auth: { k }`. */
  readonly clients: TestSocket[][];
  /** Every client, node by node. */
  all(): TestSocket[];
}

/** Options of {@link ContractHarness.cluster}. */
export interface ClusterSetup {
  /** Clients to connect to "/" on each node. Default 0. */
  perNode?: number;
  serverOptions?: Partial<ServerOptions>;
  /** Called for each node before any client connects (listeners, namespaces). */
  setup?(io: Server, node: number): void;
}

/**
 * Builds clusters for the contract's tests and tears them down after each test. On "/", a
 * client connected with `auth: { k }` joins room `room-<k>` and gets `data = { node, k }`;
 * the event "ask" answers `node-<n>`.
 */
export class ContractHarness {
  readonly #makeCluster: MakeCluster;
  readonly options: Required<AdapterContractOptions>;
  #handles: ClusterHandle[] = [];
  #clients: TestClient[] = [];

  constructor(makeCluster: MakeCluster, options: AdapterContractOptions) {
    this.#makeCluster = makeCluster;
    this.options = { recovery: "none", allRooms: false, waitMs: 2000, ...options };
  }

  /** Node counts to run a cross-node test with: 1 and `maxNodes` (3 at most). */
  get nodeCounts(): number[] {
    const max = Math.min(this.options.maxNodes, 3);
    return max === 1 ? [1] : [1, max];
  }

  /** The largest cluster the adapter supports, 3 nodes at most. */
  get maxNodes(): number {
    return Math.min(this.options.maxNodes, 3);
  }

  async cluster(nodes: number, setup: ClusterSetup = {}): Promise<Cluster> {
    const handle = await this.#makeCluster(nodes, setup.serverOptions ?? {});
    this.#handles.push(handle);
    const servers = handle.servers;
    expect(servers).toHaveLength(nodes);
    servers.forEach((io, n) => {
      io.on("connection", (socket) => {
        const k = socket.handshake.auth.k;
        if (!socket.recovered) {
          socket.data = { node: n, k };
          if (k !== undefined) socket.join(`room-${k}`);
        }
        socket.on("ask", (cb: (v: string) => void) => cb(`node-${n}`));
      });
      setup.setup?.(io, n);
    });
    await this.ready(servers, "/");
    const clients: TestSocket[][] = [];
    for (const io of servers) {
      const list: TestSocket[] = [];
      for (let k = 0; k < (setup.perNode ?? 0); k++) list.push(await this.connect(io, "/", { k }));
      clients.push(list);
    }
    return { nodes: servers, clients, all: () => clients.flat() };
  }

  /** Waits until every node counts every node on namespace `nsp`. */
  async ready(servers: Server[], nsp: string): Promise<void> {
    for (const io of servers) {
      await expect
        .poll(() => io.of(nsp).adapter.serverCount(), { timeout: this.options.waitMs })
        .toBe(servers.length);
    }
  }

  /** A new in-process client of `io`, connected to `nsp`. */
  async connect(io: Server, nsp = "/", auth: Record<string, unknown> = {}): Promise<TestSocket> {
    const client = new TestClient(io);
    this.#clients.push(client);
    return client.connect(nsp, { auth, timeout: this.options.waitMs });
  }

  /** Closes every client, server and backend of the test. */
  async teardown(): Promise<void> {
    for (const client of this.#clients.splice(0)) client.close();
    const handles = this.#handles.splice(0);
    await Promise.all(handles.flatMap((h) => h.servers.map((io) => io.close())));
    for (const handle of handles) await handle.close?.();
  }

  /** Polls `read` until it passes `assert`, within the harness's wait. */
  eventually<T>(read: () => T | Promise<T>) {
    return expect.poll(read, { timeout: this.options.waitMs });
  }
}

/** The events of `client`'s sockets received so far, by name. */
export function eventNames(socket: TestSocket): string[] {
  return socket.received.map(([event]) => event);
}

/**
 * Sends a marker broadcast from `io` to everyone and waits until `clients` all got it: what
 * they received before it is all they will get from earlier broadcasts of `io` (one node's
 * broadcasts keep their order on the backend).
 */
export async function settle(io: Server, clients: TestSocket[], marker = "settled"): Promise<void> {
  io.emit(marker);
  await Promise.all(clients.map((c) => c.waitFor(marker)));
}

/**
 * `it` when `applies`, else nothing: a contract test that does not apply to an adapter is not
 * registered at all (no "skipped" tests in a run).
 */
export function itWhen(applies: boolean): typeof it {
  return applies ? it : ((() => {}) as unknown as typeof it);
}

// Helpers of the multi-process recovery tests (test/recovery/*): node processes of
// fixtures/recovery-node.mjs, a round-robin TCP proxy in front of them (what a balancer does
// for websocket: one backend per connection, the next live one when a backend is gone), and
// reading a session as the store wrote it.
import { createServer as createHttpServer } from "node:http";
import {
  connect,
  createServer,
  type Server as NetServer,
  type Socket as NetSocket,
} from "node:net";
import { fileURLToPath } from "node:url";
import { io as switchboardConnect } from "@switchboard/client";
import { Server } from "@switchboard/server";
import { spawnNode } from "@switchboard/server/testing";
import type { Redis } from "ioredis";
import { io as officialConnect } from "socket.io-client";
import { createAdapter } from "../../src/index.js";
import { decode } from "../../src/msgpack/index.js";
import { type ClientKind, clientPair } from "./redis.js";
import { listen } from "./sockets.js";

const NODE = fileURLToPath(new URL("../fixtures/recovery-node.mjs", import.meta.url));

/** A node process of fixtures/recovery-node.mjs. */
export interface NodeProcess {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
}

/**
 * Starts a node process (the built package, through `spawnNode` of the server's testing
 * helpers); resolves once it listens and follows the log.
 */
export async function startNodeProcess(
  redisPort: number,
  key: string,
  kind: "ioredis" | "node-redis",
  name: string,
  timeoutMs = 15_000,
): Promise<NodeProcess> {
  const node = await spawnNode<{ url: string }>(NODE, {
    args: [String(redisPort), key, kind, name],
    readyTimeout: timeoutMs,
  });
  const url = node.info.url;
  return {
    name,
    url,
    port: Number(new URL(url).port),
    kill: async () => {
      await node.kill("SIGKILL");
    },
  };
}

/**
 * A connection-level round-robin proxy: each accepted connection goes to the next target;
 * a target that refuses (a killed node) is skipped for the next one. Either side closing
 * closes the other, as a balancer's connection to a dead backend does.
 */
export class RoundRobinProxy {
  readonly #server: NetServer;
  readonly #open = new Set<NetSocket>();
  #targets: number[] = [];
  #next = 0;
  /** Connections forwarded, per target port. */
  readonly forwarded = new Map<number, number>();
  port = 0;

  private constructor() {
    this.#server = createServer((client) => this.#accept(client));
  }

  static async start(targets: number[]): Promise<RoundRobinProxy> {
    const proxy = new RoundRobinProxy();
    proxy.setTargets(targets);
    await new Promise<void>((resolve) => proxy.#server.listen(0, "127.0.0.1", resolve));
    const address = proxy.#server.address();
    proxy.port = typeof address === "object" && address !== null ? address.port : 0;
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  setTargets(targets: number[]): void {
    this.#targets = [...targets];
  }

  #accept(client: NetSocket): void {
    this.#open.add(client);
    client.once("close", () => this.#open.delete(client));
    client.on("error", () => client.destroy());
    client.pause();
    const tried = new Set<number>();
    const attempt = (): void => {
      const targets = this.#targets;
      if (tried.size >= targets.length || client.destroyed) {
        client.destroy();
        return;
      }
      const port = targets[this.#next++ % targets.length]!;
      if (tried.has(port)) {
        attempt();
        return;
      }
      tried.add(port);
      const upstream = connect(port, "127.0.0.1");
      let connected = false;
      this.#open.add(upstream);
      upstream.once("close", () => {
        this.#open.delete(upstream);
        // Refused (a dead backend): the next one; otherwise the backend went away.
        if (connected) client.destroy();
        else attempt();
      });
      upstream.on("error", () => upstream.destroy());
      upstream.once("connect", () => {
        connected = true;
        this.forwarded.set(port, (this.forwarded.get(port) ?? 0) + 1);
        client.once("close", () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt();
  }

  /** Cuts every connection (as a balancer restart would) without stopping. */
  cutAll(): void {
    for (const socket of this.#open) socket.destroy();
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A session as the store keeps it (`<prefix><pid>`), or `undefined`. */
export interface StoredSession {
  pid: string;
  sid: string;
  rooms: string[];
  data: unknown;
  /** `c` connected, `d` disconnected, `r` being restored. */
  state: string;
  owner: string;
  gen: number;
}

/** Reads one session hash of the store. */
export async function readSession(
  redis: Redis,
  prefix: string,
  pid: string,
): Promise<StoredSession | undefined> {
  const [g, s, o, v] = await redis.hmgetBuffer(`${prefix}${pid}`, "g", "s", "o", "v");
  if (g === null || g === undefined || v === null || v === undefined) return undefined;
  const [sid, , , rooms, data] = decode(v) as [string, string, string, string[], unknown];
  return {
    pid,
    sid,
    rooms: [...rooms].sort(),
    data,
    state: s?.toString() ?? "",
    owner: o?.toString() ?? "",
    gen: Number(g.toString()),
  };
}

/** Every session hash under `prefix` (SCAN). */
export async function readSessions(redis: Redis, prefix: string): Promise<StoredSession[]> {
  const out: StoredSession[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    for (const key of keys) {
      const session = await readSession(redis, prefix, key.slice(prefix.length));
      if (session !== undefined) out.push(session);
    }
  } while (cursor !== "0");
  return out;
}

/** The session of socket `sid` under `prefix`, as stored now. */
export async function sessionOf(
  redis: Redis,
  prefix: string,
  sid: string,
): Promise<StoredSession | undefined> {
  return (await readSessions(redis, prefix)).find((session) => session.sid === sid);
}

/** The two client libraries the recovery tests run: the official one and Switchboard's. */
export const RECOVERY_CLIENTS = ["socket.io-client", "switchboard"] as const;
export type RecoveryClientKind = (typeof RECOVERY_CLIENTS)[number];

/** One received event: its name, its first argument, and the offset the server appended. */
export interface Received {
  ev: string;
  n: number;
  offset: string;
}

/** What the tests use of either client library's socket. */
interface AnySocket {
  readonly id: string | undefined;
  readonly connected: boolean;
  readonly recovered: boolean;
  on(ev: string, listener: (...args: never[]) => void): unknown;
  once(ev: string, listener: (...args: never[]) => void): unknown;
  emit(ev: string, ...args: unknown[]): unknown;
  disconnect(): unknown;
}

/** A websocket client of either library recording every event of `events`, and each (re)connection. */
export class RecordingClient {
  readonly kind: RecoveryClientKind;
  readonly socket: AnySocket;
  readonly got: Received[] = [];
  /** One entry per CONNECT answered: whether it recovered, and the id it got. */
  readonly connects: Array<{ recovered: boolean; id: string; at: number }> = [];

  constructor(kind: RecoveryClientKind, socket: AnySocket, events: readonly string[]) {
    this.kind = kind;
    this.socket = socket;
    for (const ev of events) {
      socket.on(ev, (...args: never[]) => {
        const values = args as unknown[];
        const offset = values[values.length - 1];
        this.got.push({
          ev,
          n: values[0] as number,
          offset: typeof offset === "string" ? offset : "",
        });
      });
    }
    socket.on("connect", () => {
      this.connects.push({ recovered: socket.recovered, id: socket.id ?? "", at: Date.now() });
    });
  }

  /** The numbers received for `ev`, in arrival order. */
  numbers(ev: string): number[] {
    return this.got.filter((r) => r.ev === ev).map((r) => r.n);
  }

  /** Resolves on the next `connect` (bounded). */
  nextConnect(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.kind}: no connect`)), timeoutMs);
      this.socket.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** `emit(ev, ...args, cb)` as a promise (bounded). */
  call<T>(ev: string, ...args: unknown[]): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.kind}: no answer to ${ev}`)), 10_000);
      this.socket.emit(ev, ...args, (value: T) => {
        clearTimeout(timer);
        resolve(value);
      });
    });
  }
}

/** Options both libraries understand: websocket only, quick reconnection. */
export interface ClientOptions {
  reconnectionDelay?: number;
  reconnectionDelayMax?: number;
  reconnection?: boolean;
  auth?: Record<string, unknown>;
}

/** A client of `kind` to `url` (websocket only, a connection of its own). */
export function recordingClient(
  kind: RecoveryClientKind,
  url: string,
  events: readonly string[],
  opts: ClientOptions = {},
): RecordingClient {
  const options = {
    transports: ["websocket"],
    forceNew: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 400,
    ...opts,
  };
  const socket =
    kind === "switchboard"
      ? (switchboardConnect(url, options as Parameters<typeof switchboardConnect>[1]) as AnySocket)
      : (officialConnect(url, options as Parameters<typeof officialConnect>[1]) as AnySocket);
  return new RecordingClient(kind, socket, events);
}

/** What the tests read of a recovery-enabled adapter (monitoring getters, restoreSession). */
export interface RecoveryAdapterView {
  readonly trackedSessions: number;
  readonly restoringSessions: number;
  readonly recovery: {
    readonly started: boolean;
    readonly pendingAppends: number;
    readonly uid: string;
  };
  restoreSession(pid: string, offset: string | undefined): Promise<{ sid: string } | null>;
}

/** A recovery-enabled node in the test process. */
export interface LocalNode {
  readonly io: Server;
  readonly url: string;
  readonly port: number;
  readonly adapter: RecoveryAdapterView;
  close(): Promise<void>;
}

/**
 * A node in the test process on the Redis at `redisPort` (same handlers as the fixture's),
 * resolved once it follows the log.
 */
export async function startLocalNode(
  kind: ClientKind,
  key: string,
  redisPort: number,
  options: { window?: number; pythonChannel?: string; claimTimeout?: number } = {},
): Promise<LocalNode> {
  const pair = await clientPair(kind, redisPort);
  const http = createHttpServer();
  const io = new Server(http, {
    connectionStateRecovery: { maxDisconnectionDuration: options.window ?? 60_000 },
    adapter: createAdapter(pair.pub, pair.sub, {
      key,
      recovery: {
        logKey: `${key}:{log}`,
        sessionPrefix: `${key}:session:`,
        ...(options.claimTimeout === undefined ? {} : { claimTimeout: options.claimTimeout }),
      },
      ...(options.pythonChannel === undefined ? {} : { pythonChannel: options.pythonChannel }),
    }),
  });
  io.on("connection", (socket) => {
    socket.on(
      "setup",
      ({ rooms, data }: { rooms: string[]; data: unknown }, cb: (v: unknown) => void) => {
        socket.join(rooms);
        socket.data = data;
        cb({ id: socket.id, node: "local" });
      },
    );
    socket.on("whoami", (cb: (v: unknown) => void) =>
      cb({
        id: socket.id,
        rooms: [...socket.rooms].sort(),
        data: socket.data,
        recovered: socket.recovered,
        node: "local",
      }),
    );
  });
  const url = await listen(http);
  const adapter = io.of("/").adapter as unknown as RecoveryAdapterView;
  const deadline = Date.now() + 10_000;
  while (!adapter.recovery.started) {
    if (Date.now() > deadline) throw new Error("the node did not start following the log");
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    io,
    url,
    port: Number(new URL(url).port),
    adapter,
    close: async () => {
      await io.close();
      await pair.quit();
    },
  };
}

import { EventEmitter } from "node:events";
import type { DefaultEventsMap, EventsMap, SocketPacket } from "@switchboard/protocol";
import type {
  Adapter,
  AdapterNamespace,
  BroadcastOptions,
  SocketDetails,
} from "../adapter/types.js";
import { kGuards, kInitAdapter, type ServerOf } from "./internal.js";
import { Namespace, type NamespaceGuards } from "./namespace.js";
import type { RestoredSession, Room, SocketId } from "./types.js";

/** Decides whether a dynamic namespace may be created: `next(err, allow)`. */
export type ParentNspNameMatchFn = (
  name: string,
  auth: Record<string, unknown>,
  next: (err: Error | null, allow: boolean) => void,
) => void;

/**
 * The namespace returned by `io.of(regexp)` or `io.of(fn)`: a template for the child
 * namespaces created on demand when a client connects to a matching name. Middlewares and
 * `connection` listeners registered on it apply to every child; broadcasting on it reaches
 * every child.
 *
 * @example
 * ```ts
 * const workspaces = io.of(/^\/workspace-\d+$/);
 * workspaces.on("connection", (socket) => socket.emit("hello", socket.nsp.name));
 * workspaces.emit("maintenance"); // every child namespace
 * ```
 */
export class ParentNamespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's default
  SocketData = any,
> extends Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  static #count = 0;
  /** The child namespaces created so far. */
  readonly children = new Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();

  constructor(server: ServerOf<ListenEvents, EmitEvents, ServerSideEvents, SocketData>) {
    super(server, `/_${ParentNamespace.#count++}`);
  }

  override [kInitAdapter](): void {
    this.adapter = new ParentBroadcastAdapter(this, () => this.children);
  }

  /**
   * Create the child namespace `name`, with this namespace's middlewares and listeners.
   * Called by the server when a client connects to a matching name.
   */
  createChild(name: string): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    const parent = this;
    const cleanup = this.server.cleanupEmptyChildNamespaces;
    const child = new (class extends Namespace<
      ListenEvents,
      EmitEvents,
      ServerSideEvents,
      SocketData
    > {
      protected override onSocketRemoved(): void {
        if (cleanup && this.sockets.size === 0) parent.removeChild(this);
      }

      protected override createGuards(): NamespaceGuards {
        // The parent's schema table and rate limit, live (set before or after this child
        // was created), until the child sets its own with validate() / rateLimit().
        const own: Partial<NamespaceGuards> = {};
        return {
          get schemas() {
            return "schemas" in own ? own.schemas : parent[kGuards].schemas;
          },
          set schemas(value) {
            own.schemas = value;
          },
          get rateLimit() {
            return "rateLimit" in own ? own.rateLimit : parent[kGuards].rateLimit;
          },
          set rateLimit(value) {
            own.rateLimit = value;
          },
        };
      }
    })(this.server, name);
    for (const fn of this.fns) child.use(fn);
    for (const event of ["connect", "connection"] as const) {
      for (const listener of this.listeners(event)) child.on(event, listener);
    }
    this.children.add(child);
    return child;
  }

  /** Forget an (empty) child namespace and close its adapter. */
  removeChild(child: Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>): void {
    if (!this.children.delete(child)) return;
    void child.adapter.close();
    this.server.forgetNamespace(child);
  }
}

/** What the parent adapter needs of a child namespace. */
interface Child {
  readonly name: string;
  readonly adapter: Adapter;
}

/** Forwards every operation of a parent namespace to its children's adapters. */
class ParentBroadcastAdapter extends EventEmitter implements Adapter {
  readonly nsp: AdapterNamespace;
  readonly rooms = new Map<Room, Set<SocketId>>();
  readonly sids = new Map<SocketId, Set<Room>>();
  readonly #children: () => Iterable<Child>;

  constructor(nsp: AdapterNamespace, children: () => Iterable<Child>) {
    super();
    this.nsp = nsp;
    this.#children = children;
  }

  init(): void {}
  close(): void {}
  serverCount(): Promise<number> {
    const first = this.#children()[Symbol.iterator]().next();
    return first.done === true ? Promise.resolve(1) : first.value.adapter.serverCount();
  }
  addAll(): void {}
  del(): void {}
  delAll(): void {}

  broadcast(packet: SocketPacket, opts: BroadcastOptions): void {
    for (const child of this.#children()) {
      child.adapter.broadcast(forChild(packet, child.name), opts);
    }
  }

  broadcastWithAck(
    packet: SocketPacket,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    let total = 0;
    for (const child of this.#children()) {
      child.adapter.broadcastWithAck(
        forChild(packet, child.name),
        opts,
        (count) => {
          total += count;
        },
        ack,
      );
    }
    clientCountCallback(total);
  }

  async sockets(rooms: ReadonlySet<Room>): Promise<Set<SocketId>> {
    const all = new Set<SocketId>();
    for (const child of this.#children()) {
      for (const id of await child.adapter.sockets(rooms)) all.add(id);
    }
    return all;
  }

  socketRooms(): undefined {
    return undefined;
  }

  async fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const all: SocketDetails[] = [];
    for (const child of this.#children()) all.push(...(await child.adapter.fetchSockets(opts)));
    return all;
  }

  addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const child of this.#children()) child.adapter.addSockets(opts, rooms);
  }

  delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const child of this.#children()) child.adapter.delSockets(opts, rooms);
  }

  disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    for (const child of [...this.#children()]) child.adapter.disconnectSockets(opts, close);
  }

  serverSideEmit(packet: unknown[]): void {
    for (const child of this.#children()) child.adapter.serverSideEmit(packet);
  }

  persistSession(): void {}

  restoreSession(): Promise<RestoredSession | null> {
    return Promise.resolve(null);
  }
}

function forChild(packet: SocketPacket, nsp: string): SocketPacket {
  // Each child encodes its own copy: the namespace is part of the wire form.
  return packet.type === 2 || packet.type === 5
    ? { ...packet, nsp, data: [...packet.data] }
    : { ...packet, nsp };
}

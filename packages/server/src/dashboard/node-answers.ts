import { hostname } from "node:os";
import type { DisconnectRecord, NodeStats, SecondSample } from "./node-stats.js";
import { safeJson } from "./safe-json.js";

/** What one node is asked through the adapter (the dashboard's own namespace). */
export type NodeRequest =
  | { kind: "stats" }
  | { kind: "sockets"; nsp: string; query: string; after: string; limit: number }
  | { kind: "rooms"; nsp: string; query: string; limit: number };

/** A node, as the dashboard shows it. */
export interface NodeInfo {
  id: string;
  host: string;
  pid: number;
  /** Seconds since the process started. */
  uptime: number;
  /** `process.version`. */
  version: string;
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number };
  /** Open engine sessions, by current transport. */
  sessions: Record<string, number>;
  /** Connected sockets, by namespace (the dashboard's own left out; the largest 50). */
  sockets: Record<string, number>;
  history: SecondSample[];
  disconnects: DisconnectRecord[];
}

/** A socket, as the dashboard lists it. */
export interface SocketRow {
  id: string;
  nsp: string;
  node: string;
  transport: string;
  address: string;
  /** When the handshake was made, ms since the epoch. */
  connectedAt: number;
  /** Its rooms (its own id room left out), the first 20. */
  rooms: string[];
  roomCount: number;
  /** `socket.data` as JSON text, cut at `maxDataBytes`. */
  data: string;
}

export interface SocketsAnswer {
  node: string;
  /** Matching sockets on the node. */
  total: number;
  /** The first `limit` matching sockets with an id after `after`, by id. */
  sockets: SocketRow[];
}

export interface RoomsAnswer {
  node: string;
  /** Matching rooms on the node. */
  total: number;
  /** The largest `limit` of them: [room, sockets of this node in it]. */
  rooms: [string, number][];
}

/** What the answers read of the server (whatever its event maps). */
export interface AnswerSource {
  readonly namespaces: ReadonlyMap<string, AnswerNamespace>;
  readonly engine: { readonly clients: ReadonlyMap<string, { transport: { name: string } }> };
}

export interface AnswerNamespace {
  readonly sockets: ReadonlyMap<string, AnswerSocket>;
  readonly adapter: {
    readonly rooms: ReadonlyMap<string, ReadonlySet<string>>;
    readonly sids: ReadonlyMap<string, ReadonlySet<string>>;
  };
}

export interface AnswerSocket {
  readonly id: string;
  readonly rooms: ReadonlySet<string>;
  readonly data: unknown;
  readonly conn: { readonly transport: { readonly name: string } };
  readonly handshake: { readonly address: string; readonly issued: number };
}

/** Bounds of the answers. */
export interface AnswerLimits {
  maxDataBytes: number;
  maxNamespaces: number;
  roomsPerSocket: number;
}

/** A node's identity for the dashboard, and its answers to {@link NodeRequest}s. */
export class NodeAnswers {
  readonly id: string;
  readonly #io: AnswerSource;
  readonly #stats: NodeStats;
  readonly #own: string;
  readonly #limits: AnswerLimits;

  constructor(
    id: string,
    io: AnswerSource,
    stats: NodeStats,
    ownNamespace: string,
    limits: AnswerLimits,
  ) {
    this.id = id;
    this.#io = io;
    this.#stats = stats;
    this.#own = ownNamespace;
    this.#limits = limits;
  }

  answer(request: NodeRequest): NodeInfo | SocketsAnswer | RoomsAnswer {
    switch (request.kind) {
      case "stats":
        return this.stats();
      case "sockets":
        return this.sockets(request.nsp, request.query, request.after, request.limit);
      case "rooms":
        return this.rooms(request.nsp, request.query, request.limit);
    }
  }

  stats(): NodeInfo {
    const sessions: Record<string, number> = { polling: 0, websocket: 0 };
    for (const conn of this.#io.engine.clients.values()) {
      const t = conn.transport.name;
      sessions[t] = (sessions[t] ?? 0) + 1;
    }
    const namespaces: [string, number][] = [];
    for (const [name, nsp] of this.#io.namespaces) {
      if (name !== this.#own) namespaces.push([name, nsp.sockets.size]);
    }
    namespaces.sort((a, b) => b[1] - a[1]);
    const m = process.memoryUsage();
    return {
      id: this.id,
      host: hostname(),
      pid: process.pid,
      uptime: Math.round(process.uptime()),
      version: process.version,
      memory: { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external },
      sessions,
      sockets: Object.fromEntries(namespaces.slice(0, this.#limits.maxNamespaces)),
      history: this.#stats.history(),
      disconnects: this.#stats.disconnects(),
    };
  }

  /**
   * The node's sockets of `nsp` whose id or one of whose rooms contains `query`, the first
   * `limit` after `after` by id (keyset paging: the cluster's pages merge by id). One pass
   * over the namespace's sockets, keeping only the `limit` smallest ids.
   */
  sockets(nspName: string, query: string, after: string, limit: number): SocketsAnswer {
    const nsp = nspName === this.#own ? undefined : this.#io.namespaces.get(nspName);
    if (nsp === undefined) return { node: this.id, total: 0, sockets: [] };
    let total = 0;
    const page: AnswerSocket[] = [];
    for (const socket of nsp.sockets.values()) {
      if (query !== "" && !matches(socket, query)) continue;
      total++;
      if (socket.id <= after) continue;
      if (page.length === limit && socket.id >= page[limit - 1]!.id) continue;
      let i = page.length;
      while (i > 0 && page[i - 1]!.id > socket.id) i--;
      page.splice(i, 0, socket);
      if (page.length > limit) page.pop();
    }
    return { node: this.id, total, sockets: page.map((s) => this.#row(nspName, s)) };
  }

  /** The node's rooms of `nsp` containing `query` (sockets' own id rooms left out), largest first. */
  rooms(nspName: string, query: string, limit: number): RoomsAnswer {
    const nsp = nspName === this.#own ? undefined : this.#io.namespaces.get(nspName);
    if (nsp === undefined) return { node: this.id, total: 0, rooms: [] };
    const { rooms, sids } = nsp.adapter;
    const found: [string, number][] = [];
    for (const [room, members] of rooms) {
      if (sids.has(room) && members.has(room)) continue;
      if (query !== "" && !room.includes(query)) continue;
      found.push([room, members.size]);
    }
    found.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    return { node: this.id, total: found.length, rooms: found.slice(0, limit) };
  }

  #row(nsp: string, socket: AnswerSocket): SocketRow {
    const rooms: string[] = [];
    let roomCount = 0;
    for (const room of socket.rooms) {
      if (room === socket.id) continue;
      roomCount++;
      if (rooms.length < this.#limits.roomsPerSocket) rooms.push(room);
    }
    return {
      id: socket.id,
      nsp,
      node: this.id,
      transport: socket.conn.transport.name,
      address: socket.handshake.address,
      connectedAt: socket.handshake.issued,
      rooms,
      roomCount,
      data: safeJson(socket.data, this.#limits.maxDataBytes).text,
    };
  }
}

function matches(socket: AnswerSocket, query: string): boolean {
  if (socket.id.includes(query)) return true;
  for (const room of socket.rooms) if (room !== socket.id && room.includes(query)) return true;
  return false;
}

/** A {@link NodeRequest} from another node or from the page, checked; null when malformed. */
export function parseNodeRequest(value: unknown, maxLimit: number): NodeRequest | null {
  if (typeof value !== "object" || value === null) return null;
  const r = value as Record<string, unknown>;
  if (r.kind === "stats") return { kind: "stats" };
  if (r.kind !== "sockets" && r.kind !== "rooms") return null;
  const nsp = shortString(r.nsp, 256);
  const query = shortString(r.query ?? "", 256);
  const limit = r.limit ?? maxLimit;
  if (nsp === null || query === null || !nsp.startsWith("/")) return null;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > maxLimit) {
    return null;
  }
  if (r.kind === "rooms") return { kind: "rooms", nsp, query, limit };
  const after = shortString(r.after ?? "", 256);
  if (after === null) return null;
  return { kind: "sockets", nsp, query, after, limit };
}

/** `value` when it is a string of at most `max` characters, else null. */
export function shortString(value: unknown, max: number): string | null {
  return typeof value === "string" && value.length <= max ? value : null;
}

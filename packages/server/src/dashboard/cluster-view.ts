import type {
  NodeAnswers,
  NodeInfo,
  NodeRequest,
  RoomsAnswer,
  SocketRow,
  SocketsAnswer,
} from "./node-answers.js";

/** The event the nodes' dashboards ask each other with (on the dashboard's namespace). */
export const NODE_REQUEST_EVENT = "sb:dashboard:request";

/** A node that answered before and did not answer the last request. */
export interface MissingNode {
  id: string;
  host: string;
  pid: number;
  /** When it last answered, ms since the epoch. */
  lastSeen: number;
}

/** Every node's answers to one request, and who did not answer. */
export interface ClusterAnswer<T> {
  answers: T[];
  missing: MissingNode[];
  /** The adapter's error (a timeout: some nodes did not answer in `requestsTimeout`). */
  error: string | null;
}

export interface SocketsPage {
  /** Matching sockets in the cluster (the nodes that answered). */
  total: number;
  sockets: SocketRow[];
  /** The `after` of the next page, or null on the last one. */
  next: string | null;
  missing: MissingNode[];
  error: string | null;
}

export interface RoomsPage {
  /** Matching rooms, at least (each node reports its own count; rooms span nodes). */
  total: number;
  rooms: { name: string; size: number; nodes: number }[];
  missing: MissingNode[];
  error: string | null;
}

/** What the view needs of the dashboard's namespace: a server-side emit with every answer. */
export type AskOthers = (
  request: NodeRequest,
  done: (err: Error | null, responses: unknown[]) => void,
) => void;

/**
 * The cluster as the page sees it: asks every node (this one directly, the others through
 * the adapter's server-side emit, bounded by its `requestsTimeout`), merges their answers,
 * and tells which nodes did not answer: those that answered within the last `forgetAfter`
 * ms and not this time (at most `maxNodes` remembered).
 */
export class ClusterView {
  readonly #local: NodeAnswers;
  readonly #ask: AskOthers;
  readonly #seen = new Map<string, MissingNode>();
  readonly #forgetAfter: number;
  readonly #maxNodes: number;

  constructor(local: NodeAnswers, ask: AskOthers, forgetAfter: number, maxNodes: number) {
    this.#local = local;
    this.#ask = ask;
    this.#forgetAfter = forgetAfter;
    this.#maxNodes = maxNodes;
  }

  async stats(): Promise<ClusterAnswer<NodeInfo>> {
    const result = await this.#request<NodeInfo>({ kind: "stats" });
    for (const info of result.answers) {
      const seen = this.#seen.get(info.id);
      if (seen) {
        seen.host = info.host;
        seen.pid = info.pid;
      }
    }
    result.answers.sort((a, b) => (a.id === this.#local.id ? -1 : b.id === this.#local.id ? 1 : 0));
    return result;
  }

  async sockets(nsp: string, query: string, after: string, limit: number): Promise<SocketsPage> {
    const result = await this.#request<SocketsAnswer>({
      kind: "sockets",
      nsp,
      query,
      after,
      limit,
    });
    let total = 0;
    const all: SocketRow[] = [];
    for (const answer of result.answers) {
      total += answer.total;
      all.push(...answer.sockets);
    }
    all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const more = all.length > limit || result.answers.some((a) => a.sockets.length === limit);
    const sockets = all.slice(0, limit);
    const next = more && sockets.length > 0 ? sockets[sockets.length - 1]!.id : null;
    return { total, sockets, next, missing: result.missing, error: result.error };
  }

  async rooms(nsp: string, query: string, limit: number): Promise<RoomsPage> {
    const result = await this.#request<RoomsAnswer>({ kind: "rooms", nsp, query, limit });
    const merged = new Map<string, { name: string; size: number; nodes: number }>();
    let total = 0;
    for (const answer of result.answers) {
      total = Math.max(total, answer.total);
      for (const [name, size] of answer.rooms) {
        const room = merged.get(name);
        if (room) {
          room.size += size;
          room.nodes++;
        } else merged.set(name, { name, size, nodes: 1 });
      }
    }
    const rooms = [...merged.values()].sort(
      (a, b) => b.size - a.size || (a.name < b.name ? -1 : 1),
    );
    total = Math.max(total, merged.size);
    return { total, rooms: rooms.slice(0, limit), missing: result.missing, error: result.error };
  }

  /** Nodes remembered (leak checks). */
  get remembered(): number {
    return this.#seen.size;
  }

  #request<T extends object>(request: NodeRequest): Promise<ClusterAnswer<T>> {
    const local = this.#local.answer(request) as unknown as T;
    return new Promise((resolve) => {
      this.#ask(request, (err, responses) => {
        const answers = [local];
        for (const r of responses) {
          if (typeof r === "object" && r !== null) answers.push(r as T);
        }
        resolve({
          answers,
          missing: this.#track(answers.map(answerNode)),
          error: err === null ? null : err.message,
        });
      });
    });
  }

  /** Remembers who answered; returns the remembered nodes that did not. */
  #track(answered: string[]): MissingNode[] {
    const now = Date.now();
    const ids = new Set(answered);
    for (const id of ids) {
      const seen = this.#seen.get(id);
      if (seen) seen.lastSeen = now;
      else this.#seen.set(id, { id, host: "", pid: 0, lastSeen: now });
    }
    const missing: MissingNode[] = [];
    for (const [id, node] of this.#seen) {
      if (now - node.lastSeen > this.#forgetAfter) this.#seen.delete(id);
      else if (!ids.has(id)) missing.push({ ...node });
    }
    // Oldest first out when over the bound (a churning cluster of short-lived nodes).
    while (this.#seen.size > this.#maxNodes) {
      const oldest = [...this.#seen.values()].reduce((a, b) => (a.lastSeen <= b.lastSeen ? a : b));
      this.#seen.delete(oldest.id);
    }
    return missing;
  }
}

/** The node that made an answer: `id` of a stats answer, `node` of the others. */
function answerNode(answer: object): string {
  const a = answer as { kind?: unknown; id?: unknown; node?: unknown; history?: unknown };
  const id = a.history !== undefined ? a.id : a.node;
  return typeof id === "string" ? id : "";
}

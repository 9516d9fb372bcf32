import type { SocketId } from "../socket/types.js";

/** A presence set: a room's, or the namespace-wide one (`null`, the room omitted). */
export type PresenceRoom = string | null;

/**
 * One identity present in a room, cluster-wide: its id, its metadata (the one most recently
 * set by any of its sockets still tracked) and how many sockets (tabs, devices) track it.
 */
export interface PresenceEntry<Meta = unknown> {
  readonly id: string;
  readonly meta: Meta;
  readonly count: number;
}

/** What a client subscribed with `presence.subscribe(socket)` receives as `"presence"` events. */
export type PresenceMessage<Meta = unknown> =
  | { type: "sync"; room: PresenceRoom; entries: PresenceEntry<Meta>[] }
  | { type: "join" | "leave" | "update"; room: PresenceRoom; entry: PresenceEntry<Meta> };

/**
 * One socket's presence in one room: the unit nodes replicate. `at` orders metadata
 * updates (the most recent wins for the identity's `meta`).
 */
export interface PresenceRecord {
  readonly room: PresenceRoom;
  readonly sid: SocketId;
  readonly id: string;
  readonly meta: unknown;
  readonly at: number;
}

/** A change of one of this node's records: set (tracked or updated) or deleted. */
export type PresenceChange =
  | { readonly op: "set"; readonly record: PresenceRecord }
  | { readonly op: "del"; readonly room: PresenceRoom; readonly sid: SocketId };

/**
 * How a {@link PresenceBackend} hands the other nodes' records to a namespace's presence
 * and reads this node's own (for snapshots and resyncs).
 */
export interface PresenceReplica {
  /** Every record this node owns now (tracked by its sockets, pending leaves included). */
  own(): Iterable<PresenceRecord>;
  /** `node`'s records are exactly `records` now (a snapshot). */
  reset(node: string, records: readonly PresenceRecord[]): void;
  /** One change of `node`'s records, in the order `node` made them. */
  apply(node: string, change: PresenceChange): void;
  /** `node` is gone (left, or its lease expired): its records are removed. */
  drop(node: string): void;
}

/**
 * Carries a namespace's presence between nodes. Each node owns the records of its own
 * sockets and publishes their changes (deltas, never full lists on a change); the backend
 * gives it the other nodes' records through the {@link PresenceReplica}. The in-memory
 * default ({@link LocalPresenceBackend}) has no other node; `@switchboard/redis`'s adapter
 * provides a cluster one (an adapter provides its backend with `presenceBackend()`).
 *
 * @example
 * ```ts
 * class MyAdapter extends InMemoryAdapter {
 *   presenceBackend(): PresenceBackend {
 *     return myBus.presenceFor(this.nsp.name); // start / publish / stop
 *   }
 * }
 * ```
 */
export interface PresenceBackend {
  /**
   * Start replicating into `replica`. Resolves once this node knows the other nodes'
   * records (its first sync), or gave up waiting; `list()` waits for it.
   */
  start(replica: PresenceReplica): Promise<void>;
  /** A change of this node's records, to send to the other nodes. */
  publish(change: PresenceChange): void;
  /** Stop replicating (the namespace's adapter closes). */
  stop(): void;
}

/** Limits and timing of presence (the `presence` server option). */
export interface PresenceOptions {
  /**
   * How long the records of a socket that disconnected for a recoverable reason (transport
   * close, ping timeout, …) stay, in ms: if its session recovers within it (on any node),
   * no leave/join fires. Default: `connectionStateRecovery.maxDisconnectionDuration` when
   * recovery is on, else 0 (leave at once). With recovery on, at most that window.
   */
  leaveDelay: number;
  /** Identities per room a node admits (counted in its cluster-wide view). Default 10000. */
  maxEntriesPerRoom: number;
  /** Rooms one socket may track (and subscribe to, counted apart). Default 32. */
  maxRoomsPerSocket: number;
  /** Size of an entry's `meta` as JSON, in bytes (UTF-16 code units). Default 2048. */
  maxMetaBytes: number;
  /** Length of an identity id. Default 256. */
  maxIdLength: number;
}

import { EventEmitter } from "node:events";
import type { PresenceRegistry, PresenceSocket } from "./registry.js";
import type { PresenceEntry, PresenceRoom } from "./types.js";

const EVENTS = new Set<string | symbol>(["join", "leave", "update"]);

/** The events of a {@link Presence} view. */
export interface PresenceEvents<Meta> {
  /** An identity's first socket was tracked (cluster-wide). */
  join: (entry: PresenceEntry<Meta>) => void;
  /** An identity's last socket left (its leave delay, if any, is over); `count` is 0. */
  leave: (entry: PresenceEntry<Meta>) => void;
  /** An identity's metadata or socket count changed. */
  update: (entry: PresenceEntry<Meta>) => void;
}

// Typed listeners over EventEmitter's (declaration merging with the class below).
export interface Presence<Meta> {
  on<E extends keyof PresenceEvents<Meta>>(event: E, listener: PresenceEvents<Meta>[E]): this;
  on(event: "newListener" | "removeListener", listener: (event: string | symbol) => void): this;
  once<E extends keyof PresenceEvents<Meta>>(event: E, listener: PresenceEvents<Meta>[E]): this;
  off<E extends keyof PresenceEvents<Meta>>(event: E, listener: PresenceEvents<Meta>[E]): this;
}

/**
 * Who is in a room (or the whole namespace), cluster-wide: one entry per identity (a user
 * id, say) however many sockets (tabs, devices) track it. Get one with `io.presence(room)`
 * or `nsp.presence(room)`; sockets join it with `socket.presence.track(room, …)`.
 *
 * A view is a cheap handle: make as many as you like; those with `join`/`leave`/`update`
 * listeners are kept (and reached) until their last listener is removed.
 *
 * @example
 * ```ts
 * const lobby = io.presence<{ name: string }>("lobby");
 * lobby.on("join", (entry) => console.log(entry.meta.name, "is online"));
 * lobby.on("leave", (entry) => console.log(entry.id, "left"));
 * io.on("connection", (socket) => {
 *   socket.presence.track("lobby", { id: socket.data.userId, meta: { name: socket.data.name } });
 *   lobby.subscribe(socket); // the client gets "presence" events: a sync, then deltas
 * });
 * console.log(await lobby.list()); // [{ id, meta: { name }, count }]
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: typed listeners over EventEmitter's
export class Presence<Meta = unknown> extends EventEmitter {
  /** The room (`null`: the namespace-wide set). */
  readonly room: PresenceRoom;
  readonly #registry: PresenceRegistry;

  /** @internal made by `nsp.presence(room)`. */
  constructor(registry: PresenceRegistry, room: PresenceRoom) {
    super();
    this.room = room;
    this.#registry = registry;
    this.on("newListener", (event: string | symbol) => {
      if (EVENTS.has(event)) registry.listen(room, this, true);
    });
    this.on("removeListener", (event: string | symbol) => {
      if (EVENTS.has(event) && this.#listeners() === 0) registry.listen(room, this, false);
    });
  }

  /**
   * Every identity present, cluster-wide. On a node that just started, waits for its first
   * sync with the other nodes (bounded by the backend's sync timeout).
   *
   * @example
   * ```ts
   * const online = await io.presence("lobby").list(); // [{ id: "u1", meta: {…}, count: 2 }]
   * ```
   */
  async list(): Promise<PresenceEntry<Meta>[]> {
    await this.#registry.ready;
    return this.#registry.entries(this.room) as PresenceEntry<Meta>[];
  }

  /**
   * The entry of one identity as this node sees it now (no waiting), or `undefined`.
   *
   * @example
   * ```ts
   * if (io.presence("lobby").get(userId) === undefined) sendPushNotification(userId);
   * ```
   */
  get(id: string): PresenceEntry<Meta> | undefined {
    return this.#registry.entry(this.room, id) as PresenceEntry<Meta> | undefined;
  }

  /**
   * Send this room's presence to a socket's client as `"presence"` events: first
   * `{ type: "sync", room, entries }`, then `{ type: "join" | "leave" | "update", room, entry }`
   * for each change. Subscribing again sends a fresh sync. Ends when the socket disconnects
   * (a socket recovered on the same node keeps it, with a new sync).
   *
   * @throws PresenceError `SB_ERR_PRESENCE_TOO_MANY_ROOMS` past `maxRoomsPerSocket`
   *   subscriptions, `SB_ERR_PRESENCE_DISCONNECTED` for a disconnected socket
   * @example
   * ```ts
   * io.on("connection", (socket) => io.presence("lobby").subscribe(socket));
   * // client: socket.on("presence", (msg) => msg.type === "sync" ? render(msg.entries) : apply(msg));
   * ```
   */
  subscribe(socket: PresenceSocket): this {
    this.#registry.subscribe(this.room, socket);
    return this;
  }

  /**
   * Stop sending this room's presence to a socket.
   *
   * @example
   * ```ts
   * socket.on("hide-online-list", () => io.presence("lobby").unsubscribe(socket));
   * ```
   */
  unsubscribe(socket: PresenceSocket): this {
    this.#registry.unsubscribe(this.room, socket);
    return this;
  }

  #listeners(): number {
    return this.listenerCount("join") + this.listenerCount("leave") + this.listenerCount("update");
  }
}

/** What a socket tracks: an identity id and its metadata. */
export interface PresenceTrack<Meta = unknown> {
  id: string;
  meta?: Meta;
}

/**
 * A socket's presence (`socket.presence`): put the socket in a room's presence set under an
 * identity, change its metadata, take it out. Disconnecting takes it out of every room (after
 * `leaveDelay` for a recoverable reason; a session recovered within it, on any node, keeps
 * its presence without a leave/join).
 *
 * @example
 * ```ts
 * io.on("connection", (socket) => {
 *   socket.presence.track("lobby", { id: socket.data.userId, meta: { name: "Ada" } });
 *   socket.on("typing", (typing) => socket.presence.update("lobby", { name: "Ada", typing }));
 *   socket.on("leave-lobby", () => socket.presence.untrack("lobby"));
 * });
 * ```
 */
export class SocketPresence {
  readonly #socket: PresenceSocket;
  readonly #registry: PresenceRegistry;

  /** @internal made by `socket.presence`. */
  constructor(socket: PresenceSocket, registry: PresenceRegistry) {
    this.#socket = socket;
    this.#registry = registry;
  }

  /**
   * Track this socket in `room` (or, with the room omitted, the namespace-wide set) as
   * identity `id`. The identity joins on its first socket; tracking the room again replaces
   * the socket's id and metadata there. `meta` must be JSON (it is copied).
   *
   * @throws PresenceError `SB_ERR_PRESENCE_INVALID_ID`, `SB_ERR_PRESENCE_INVALID_META`,
   *   `SB_ERR_PRESENCE_ROOM_FULL`, `SB_ERR_PRESENCE_TOO_MANY_ROOMS`,
   *   `SB_ERR_PRESENCE_DISCONNECTED`
   * @example
   * ```ts
   * socket.presence.track("lobby", { id: "u1", meta: { name: "Ada" } });
   * socket.presence.track({ id: "u1" }); // the namespace-wide set
   * ```
   */
  track<Meta>(entry: PresenceTrack<Meta>): this;
  track<Meta>(room: string | null, entry: PresenceTrack<Meta>): this;
  track(room: string | null | PresenceTrack, entry?: PresenceTrack): this {
    const [r, e] =
      typeof room === "object" && room !== null ? [null, room] : [room, entry as PresenceTrack];
    if (r !== null && typeof r !== "string") throw new TypeError("room must be a string");
    this.#registry.track(this.#socket, r, e?.id, e?.meta);
    return this;
  }

  /**
   * Set the metadata of this socket's identity in `room` (`null`: the namespace-wide set),
   * for every socket of it on this node; every node's listeners and subscribers get an
   * `update`. The identity shows the metadata set last on any node.
   *
   * @throws PresenceError `SB_ERR_PRESENCE_NOT_TRACKED`, `SB_ERR_PRESENCE_INVALID_META`,
   *   `SB_ERR_PRESENCE_DISCONNECTED`
   * @example
   * ```ts
   * socket.presence.update("lobby", { name: "Ada", typing: true });
   * ```
   */
  update<Meta>(room: string | null, meta: Meta): this {
    this.#registry.update(this.#socket, room, meta);
    return this;
  }

  /**
   * Take this socket out of `room` (omitted: the namespace-wide set) at once; the identity
   * leaves if it was its last socket. Returns whether it was tracked there.
   *
   * @example
   * ```ts
   * socket.presence.untrack("lobby");
   * ```
   */
  untrack(room: string | null = null): boolean {
    return this.#registry.untrack(this.#socket, room);
  }

  /**
   * The rooms this socket tracks (`null` for the namespace-wide set).
   *
   * @example
   * ```ts
   * for (const room of socket.presence.rooms) socket.presence.untrack(room);
   * ```
   */
  get rooms(): PresenceRoom[] {
    return this.#registry.roomsOf(this.#socket.id);
  }
}

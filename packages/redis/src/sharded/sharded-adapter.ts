import {
  type AdapterConstructor,
  type AdapterNamespace,
  ClusterAdapter,
  type ClusterMessage,
  type Room,
  type SocketId,
} from "@switchboard/server";
import debugModule from "debug";
import { RedisAdapterError, RedisAdapterErrorCode } from "../errors.js";
import { ClientsHealth } from "../health.js";
import { LagProbe } from "../lag-probe.js";
import { nonNegative } from "../options.js";
import {
  type AnyRedisClient,
  type RedisClient,
  type RedisState,
  wrapRedisClient,
} from "../redis-client.js";
import { UnsentAnswers } from "../unsent-answers.js";
import { decodeShardedMessage, encodeShardedMessage } from "./wire.js";

const debug = debugModule("switchboard:redis:sharded");

/** How many sharded channels a namespace uses; see {@link ShardedRedisAdapterOptions.subscriptionMode}. */
export type SubscriptionMode = "static" | "dynamic" | "dynamic-private";

/** Options of {@link createShardedAdapter}. */
export interface ShardedRedisAdapterOptions {
  /** Prefix of every channel: `<prefix>#<nsp>#`, `<prefix>#<nsp>#<room>#`, …. Default `"socket.io"`. */
  channelPrefix?: string;
  /**
   * How many sharded channels each namespace uses (every node of a cluster must use the
   * same mode). Default `"dynamic"`.
   *
   * - `"static"`: 2 per node and namespace (the namespace's channel and the node's response
   *   channel); every broadcast goes to every node. Best with many dynamic namespaces.
   * - `"dynamic"`: 2, plus one per public room: a broadcast to one room goes only to the
   *   nodes with members in it. Rooms that look like a socket id (20 characters) and
   *   broadcasts that expect acks still go through the namespace's channel.
   * - `"dynamic-private"`: like `"dynamic"`, and each socket's own room gets a channel
   *   too: good for much 1:1 messaging (`io.to(socketId).emit(…)`).
   */
  subscriptionMode?: SubscriptionMode;
  /** How long fetchSockets and serverSideEmit with an ack wait for every node, in ms. Default 5000. */
  requestsTimeout?: number;
  /**
   * While requests wait, how often the nodes are counted again, in ms, so that a node that
   * left is not waited for until the timeout. Default 1000.
   */
  nodeCheckInterval?: number;
  /** Largest channel message this node accepts, in bytes; larger ones are dropped unread. Default 32 MiB. */
  maxMessageBytes?: number;
  /**
   * How often the publish lag is probed (SPUBLISH of a small message on a channel of this
   * node's own, timed until it comes back; see the adapter's `publishLag`), in ms. `0`:
   * never. Default 5000.
   */
  lagProbeInterval?: number;
}

type Resolved = Required<ShardedRedisAdapterOptions>;

const MODES: readonly SubscriptionMode[] = ["static", "dynamic", "dynamic-private"];

/** How often the response channel's subscription is checked after (re)connecting, in ms. */
const RESUBSCRIBE_POLL_MS = 20;

/** socket.io's and Switchboard's socket ids are 20 characters long. */
const SOCKET_ID_LENGTH = 20;

function resolve(options: ShardedRedisAdapterOptions): Resolved {
  const resolved: Resolved = {
    channelPrefix: "socket.io",
    subscriptionMode: "dynamic",
    requestsTimeout: 5000,
    nodeCheckInterval: 1000,
    maxMessageBytes: 32 * 1024 * 1024,
    lagProbeInterval: 5000,
    ...options,
  };
  if (!MODES.includes(resolved.subscriptionMode)) {
    throw new TypeError(`subscriptionMode must be one of ${MODES.join(", ")}`);
  }
  if (typeof resolved.channelPrefix !== "string")
    throw new TypeError("channelPrefix must be a string");
  for (const key of ["requestsTimeout", "nodeCheckInterval", "maxMessageBytes"] as const) {
    if (!Number.isFinite(resolved[key]) || resolved[key] <= 0) {
      throw new TypeError(`${key} must be a positive number`);
    }
  }
  nonNegative(resolved.lagProbeInterval, "lagProbeInterval", "ms");
  return resolved;
}

/**
 * The `adapter` option of a Server for Redis 7 sharded pub/sub (SSUBSCRIBE / SPUBLISH),
 * wire-compatible with `createShardedAdapter` of @socket.io/redis-adapter 8.x: Switchboard
 * and socket.io nodes using it share one Redis (standalone or Cluster). Nodes are counted
 * with `PUBSUB SHARDNUMSUB`; give each server its own subscriber client.
 *
 * With an ioredis `Cluster`, create it with `shardedSubscribers: true`.
 *
 * @param pubClient publishes: an ioredis `Redis` or `Cluster`, or a connected node-redis
 *   client from `createClient` or `createCluster`
 * @param subClient subscribes (a separate connection: `pubClient.duplicate()`)
 * @throws TypeError for a client that is neither library's, or an invalid option
 * @example
 * ```ts
 * import { createClient } from "redis";
 * import { Server } from "@switchboard/server";
 * import { createShardedAdapter } from "@switchboard/redis";
 *
 * const pubClient = createClient({ url: "redis://localhost:6379" });
 * const subClient = pubClient.duplicate();
 * await Promise.all([pubClient.connect(), subClient.connect()]);
 * const io = new Server({ adapter: createShardedAdapter(pubClient, subClient) });
 * ```
 */
export function createShardedAdapter(
  pubClient: AnyRedisClient,
  subClient: AnyRedisClient,
  options: ShardedRedisAdapterOptions = {},
): AdapterConstructor {
  const resolved = resolve(options);
  const pub = wrapRedisClient(pubClient);
  const sub = wrapRedisClient(subClient);
  // One publish-lag probe for the pair of clients, whatever the number of namespaces.
  const lagProbe =
    resolved.lagProbeInterval > 0
      ? new LagProbe(pub, sub, {
          interval: resolved.lagProbeInterval,
          channelPrefix: `switchboard:lag#${resolved.channelPrefix}#`,
          sharded: true,
        })
      : undefined;
  return class extends ShardedRedisAdapter {
    constructor(nsp: AdapterNamespace) {
      super(nsp, pub, sub, resolved, lagProbe);
    }
  };
}

/**
 * The adapter of one namespace over sharded pub/sub. Channels: `<prefix>#<nsp>#` (every
 * node), `<prefix>#<nsp>#<uid>#` (answers to this node's requests) and, in the dynamic
 * modes, `<prefix>#<nsp>#<room>#` for each room with a member on this node.
 *
 * Events: those of every adapter; `"health"` (`"ready" | "down"`, error?) when the Redis
 * clients' state changes (requests waiting then fail with `SB_ERR_REDIS_CONNECTION_LOST`,
 * new ones with `SB_ERR_REDIS_UNAVAILABLE` until both are back); and `"error"` (a dropped
 * channel message or a failed subscription) when a listener is attached.
 */
export class ShardedRedisAdapter extends ClusterAdapter {
  readonly #pub: RedisClient;
  readonly #sub: RedisClient;
  readonly #options: Resolved;
  readonly #channel: string;
  readonly #responseChannel: string;
  /** Rooms whose channel this node subscribed to (dynamic modes). */
  readonly #roomChannels = new Set<Room>();
  readonly #listener = (channel: string, message: Buffer) => this.#onRaw(channel, message);
  readonly #onJoin = (room: Room, id: SocketId) => this.#subscribeRoom(room, id);
  readonly #onDelete = (room: Room) => this.#unsubscribeRoom(room);
  #closed = false;
  readonly #health: ClientsHealth;
  readonly #stopWatching: Array<() => void> = [];
  #nodeCheck: NodeJS.Timeout | undefined;
  /**
   * Settles once Redis counts this node's response channel, after init and after each
   * reconnection: answers published before that would be lost, and the request would wait
   * its whole timeout (seen in the faults test under traffic through a restart).
   */
  #responseChannelReady: Promise<void> = Promise.resolve();
  /** Answers to other nodes' requests, kept while the publisher is down. */
  readonly #unsent: UnsentAnswers;
  readonly #lagProbe: LagProbe | undefined;

  protected constructor(
    nsp: AdapterNamespace,
    pub: RedisClient,
    sub: RedisClient,
    options: Resolved,
    lagProbe?: LagProbe,
  ) {
    super(nsp, { heartbeats: false, requestsTimeout: options.requestsTimeout });
    this.#lagProbe = lagProbe;
    this.#pub = pub;
    this.#sub = sub;
    this.#options = options;
    this.#channel = `${options.channelPrefix}#${nsp.name}#`;
    this.#responseChannel = `${this.#channel}${this.uid}#`;
    this.#unsent = new UnsentAnswers(pub, {
      send: (channel, payload) => pub.spublish(channel, payload),
      maxAge: options.requestsTimeout,
    });
    this.#health = new ClientsHealth(pub, sub, nsp.name, {
      // The answers to what waits may have gone with the connection.
      onLost: (err) => this.failRequests(err),
      onChange: (health, err) => {
        if (health === "ready") this.#awaitResponseChannel();
        this.emit("health", health, err);
      },
    });
  }

  /** `"ready"` when both Redis clients are connected; see the `"health"` event. */
  get health(): RedisState {
    return this.#health.state;
  }

  /**
   * The publish lag, seconds: how long the last probe SPUBLISHed by `pubClient` took to come
   * back through `subClient` (every `lagProbeInterval` ms; one not back within the interval,
   * or not sent because Redis is down, counts as the interval). While the probe in flight
   * has waited longer than the last lag, the time it has waited so far. `undefined` before
   * the first probe, and with `lagProbeInterval: 0`. Read by `@switchboard/server/metrics`.
   */
  get publishLag(): number | undefined {
    return this.#lagProbe?.lag;
  }

  /**
   * Answers to other nodes' requests waiting for the publisher to be back, for leak checks
   * and monitoring (at most 100; one older than `requestsTimeout` by then is dropped).
   */
  get unsentAnswers(): number {
    return this.#unsent.size;
  }

  override init(): void {
    super.init();
    this.#stopWatching.push(this.#health.watch(), this.#unsent.watch());
    if (this.#lagProbe !== undefined) this.#stopWatching.push(this.#lagProbe.acquire());
    this.#ssubscribe(this.#channel);
    this.#ssubscribe(this.#responseChannel);
    this.#awaitResponseChannel();
    this.#nodeCheck = setInterval(() => this.#checkNodes(), this.#options.nodeCheckInterval);
    this.#nodeCheck.unref();
    if (this.#options.subscriptionMode !== "static") {
      this.on("join-room", this.#onJoin);
      this.on("delete-room", this.#onDelete);
    }
  }

  override async close(): Promise<void> {
    this.#closed = true;
    super.close();
    for (const stop of this.#stopWatching.splice(0)) stop();
    clearInterval(this.#nodeCheck);
    this.off("join-room", this.#onJoin);
    this.off("delete-room", this.#onDelete);
    const channels = [this.#channel, this.#responseChannel];
    for (const room of this.#roomChannels) channels.push(this.#roomChannel(room));
    this.#roomChannels.clear();
    this.#unsent.clear();
    const undone = Promise.all(
      channels.map((channel) =>
        this.#sub.sunsubscribe(channel, this.#listener).catch((err: unknown) => {
          debug("unsubscribing %s failed: %s", channel, err);
        }),
      ),
    );
    // The listeners are gone already; the SUNSUBSCRIBEs are awaited so that other nodes stop
    // counting this one, but not longer than requestsTimeout: while Redis is down a client
    // holds them until it reconnects, and io.close() must not wait for Redis (not at all when
    // the adapter already knows Redis is down).
    if (this.#health.state !== "ready") return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#options.requestsTimeout);
      timer.unref();
    });
    await Promise.race([undone, bound]);
    clearTimeout(timer);
  }

  /** The nodes subscribed to this namespace's channel (`PUBSUB SHARDNUMSUB`), this one included. */
  override async serverCount(): Promise<number> {
    // With the subscriber down, answers could not come back: fail now.
    if (this.#health.state !== "ready") {
      throw new RedisAdapterError(
        RedisAdapterErrorCode.REDIS_UNAVAILABLE,
        "Redis is not connected (see the adapter's health)",
      );
    }
    // A connection lost meanwhile fails the count (fetchSockets and serverSideEmit wait on
    // it before their request is registered, where a lost connection would fail them).
    return this.#health.guard(
      this.#responseChannelReady.then(() => this.#pub.shardNumsub(this.#channel)),
    );
  }

  /** While requests wait: a node that left (unsubscribed) is not waited for. */
  #checkNodes(): void {
    if (this.pendingRequests === 0 || this.#health.state !== "ready") return;
    const countedAt = Date.now();
    this.#pub.shardNumsub(this.#channel).then(
      (nodes) => this.nodesLeft(nodes, countedAt),
      (err: unknown) => debug("node count failed: %s", err),
    );
  }

  #awaitResponseChannel(): void {
    const deadline = Date.now() + this.#options.requestsTimeout;
    this.#responseChannelReady = (async () => {
      while (!this.#closed && Date.now() < deadline) {
        try {
          if ((await this.#pub.shardNumsub(this.#responseChannel)) > 0) return;
        } catch {
          return; // Redis is down: serverCount() fails fast by itself
        }
        await new Promise((resolve) => setTimeout(resolve, RESUBSCRIBE_POLL_MS));
      }
    })();
  }

  protected async publish(message: ClusterMessage): Promise<void> {
    const channel = this.#channelOf(message);
    const payload = encodeShardedMessage(message);
    if ("requester" in message) this.#unsent.send(channel, payload);
    else await this.#pub.spublish(channel, payload);
  }

  #channelOf(message: ClusterMessage): string {
    if ("requester" in message) return `${this.#channel}${message.requester}#`;
    if (
      message.type === "broadcast" &&
      message.requestId === undefined &&
      message.opts.rooms.length === 1 &&
      this.#options.subscriptionMode !== "static"
    ) {
      const room = message.opts.rooms[0] as Room;
      // In "dynamic" mode nobody listens on a socket's own room channel.
      const privateRoom = room.length === SOCKET_ID_LENGTH;
      if (this.#options.subscriptionMode === "dynamic-private" || !privateRoom) {
        return this.#roomChannel(room);
      }
    }
    return this.#channel;
  }

  #roomChannel(room: Room): string {
    return `${this.#channel}${room}#`;
  }

  #subscribeRoom(room: Room, id: SocketId): void {
    if (this.#closed || this.#roomChannels.has(room)) return;
    if (room === id && this.#options.subscriptionMode !== "dynamic-private") return;
    this.#roomChannels.add(room);
    this.#ssubscribe(this.#roomChannel(room));
  }

  #unsubscribeRoom(room: Room): void {
    if (!this.#roomChannels.delete(room)) return;
    const channel = this.#roomChannel(room);
    this.#sub.sunsubscribe(channel, this.#listener).catch((err: unknown) => {
      this.#report(err, `unsubscribing ${channel}`);
    });
  }

  #ssubscribe(channel: string): void {
    this.#sub.ssubscribe(channel, this.#listener).catch((err: unknown) => {
      this.#report(err, `subscribing to ${channel}`);
    });
  }

  #onRaw(channel: string, raw: Buffer): void {
    let message: ClusterMessage;
    try {
      message = decodeShardedMessage(raw, {
        maxMessageBytes: this.#options.maxMessageBytes,
        self: this.uid,
      });
    } catch (err) {
      this.#report(err, `dropped a message of ${channel}`);
      return;
    }
    this.onMessage(message);
  }

  #report(err: unknown, what: string): void {
    debug("%s: %s", what, err);
    if (this.listenerCount("error") > 0) this.emit("error", err);
  }
}

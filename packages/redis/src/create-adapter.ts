import type { AdapterConstructor, AdapterNamespace, PresenceBackend } from "@switchboard/server";
import { RedisAdapter } from "./classic/redis-adapter.js";
import { LagProbe } from "./lag-probe.js";
import { type RedisAdapterOptions, resolveOptions } from "./options.js";
import { RedisPresenceHub, type RedisPresenceOptions } from "./presence/hub.js";
import { PythonIngest } from "./python/ingest.js";
import { RecoveryHub, type RecoveryOptions } from "./recovery/hub.js";
import { RedisStreamLog } from "./recovery/log.js";
import { withRecovery } from "./recovery/recovery-adapter.js";
import { RedisSessionStore } from "./recovery/sessions.js";
import { type AnyRedisClient, type RedisClient, wrapRedisClient } from "./redis-client.js";

/** Options of {@link createAdapter}: the adapter's, plus the Python channel. */
export interface CreateAdapterOptions extends RedisAdapterOptions {
  /**
   * Also carry out what python-socketio's `RedisManager` / Flask-SocketIO's `message_queue`
   * publish on this Redis channel (`"socketio"`, python-socketio's default; `"flask-socketio"`,
   * Flask-SocketIO's): emit, enter_room, leave_room, close_room, disconnect, on this node's
   * sockets. Default: none (off).
   */
  pythonChannel: string | undefined;
  /** Python channel messages larger than this are dropped unread. Default 1 MiB (bytes). */
  pythonMaxBytes: number;
  /**
   * Cluster-wide connection state recovery, on when the server has
   * `connectionStateRecovery`: sessions written through to Redis, a durable log on a Redis
   * stream, restores on any node. `false` turns it off (then, as with socket.io's Redis
   * adapter, nothing is recovered). See the README's "Recovery on any node".
   */
  recovery: false | Partial<ClusterRecoveryOptions>;
  /**
   * Cluster-wide presence (`io.presence(room)`): on by default, replicated over Redis
   * pub/sub on its own channel (see the README's "Presence across nodes"). `false` keeps
   * each node's presence to itself.
   */
  presence: false | Partial<RedisPresenceOptions>;
}

/** Options of cluster-wide recovery. */
export interface ClusterRecoveryOptions extends RecoveryOptions {
  /** Key of the log's stream. Default `"switchboard:{<key>}:log"` (`key`: the adapter's). */
  logKey: string;
  /** Prefix of the session keys. Default `"switchboard:<key>:session:"`. */
  sessionPrefix: string;
}
/**
 * The adapter for `io.adapter(...)` / `new Server({ adapter })`: every namespace of this
 * server joins the cluster of the nodes that share `pubClient`'s Redis and `key`, speaking
 * @socket.io/redis-adapter 8.x's classic format (socket.io nodes can be in the same cluster).
 *
 * `pubClient` publishes and counts nodes; `subClient` (a second connection, e.g.
 * `pubClient.duplicate()`) subscribes. Both may be ioredis `Redis`/`Cluster` or node-redis
 * (v4+) clients from `createClient`/`createCluster` (connected by you).
 *
 * @throws TypeError for a client that is neither library's, or a non-positive time or size
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { Server } from "@switchboard/server";
 * import { createAdapter } from "@switchboard/redis";
 *
 * const pubClient = new Redis();
 * const subClient = pubClient.duplicate();
 * const io = new Server({ adapter: createAdapter(pubClient, subClient) });
 * io.of("/").adapter.on("health", (state) => console.log("redis is", state));
 * ```
 */
export function createAdapter(
  pubClient: AnyRedisClient,
  subClient: AnyRedisClient,
  options: Partial<CreateAdapterOptions> = {},
): AdapterConstructor {
  const {
    pythonChannel,
    pythonMaxBytes = 1024 * 1024,
    recovery,
    presence,
    ...adapterOptions
  } = options;
  const opts = resolveOptions(adapterOptions);
  const presenceOptions =
    presence === false ? undefined : resolvePresenceOptions(presence ?? {}, opts.key);
  if (pythonChannel !== undefined && (typeof pythonChannel !== "string" || pythonChannel === "")) {
    throw new TypeError("pythonChannel must be a non-empty string");
  }
  if (
    typeof pythonMaxBytes !== "number" ||
    !(pythonMaxBytes > 0) ||
    !Number.isFinite(pythonMaxBytes)
  ) {
    throw new TypeError("pythonMaxBytes must be a positive number (bytes)");
  }
  const pub = wrapRedisClient(pubClient);
  const sub = wrapRedisClient(subClient);
  let presenceHub: RedisPresenceHub | undefined;
  // One publish-lag probe for the pair of clients, whatever the number of namespaces.
  const lagProbe =
    opts.lagProbeInterval > 0
      ? new LagProbe(pub, sub, {
          interval: opts.lagProbeInterval,
          channelPrefix: `switchboard:lag#${opts.key}#`,
          sharded: false,
        })
      : undefined;
  const python =
    pythonChannel === undefined
      ? undefined
      : new PythonIngest(sub, pythonChannel, { maxBytes: pythonMaxBytes });
  const Classic = class extends RedisAdapter {
    constructor(nsp: AdapterNamespace) {
      super(nsp, pub, sub, opts, lagProbe);
    }

    override init(): void {
      super.init();
      python?.add(this);
    }

    override close(): void {
      python?.delete(this);
      super.close();
    }

    /** Presence across the nodes of this Redis (one hub per `createAdapter` call). */
    presenceBackend(): PresenceBackend | undefined {
      if (presenceOptions === undefined) return undefined;
      presenceHub ??= new RedisPresenceHub(pub, sub, presenceOptions);
      return presenceHub.backend(this.nsp.name);
    }
  };
  if (recovery === false) return Classic;
  const recoveryOptions = recovery ?? {};
  let hub: RecoveryHub | undefined;
  let WithRecovery: typeof Classic | undefined;
  // The hub needs the recovery window, which the first namespace's options tell.
  return class extends Classic {
    constructor(nsp: AdapterNamespace) {
      super(nsp);
      const window = nsp.connectionStateRecovery?.maxDisconnectionDuration;
      if (window === undefined) return;
      hub ??= createHub(pub, sub, window, opts.key, recoveryOptions);
      WithRecovery ??= withRecovery(Classic, hub);
      // A class constructor may return another object: the recovery-enabled adapter.
      // biome-ignore lint/correctness/noConstructorReturn: chosen per namespace options.
      return new WithRecovery(nsp);
    }
  };
}

function createHub(
  pub: RedisClient,
  sub: RedisClient,
  window: number,
  key: string,
  options: Partial<ClusterRecoveryOptions>,
): RecoveryHub {
  const { logKey, sessionPrefix, ...rest } = options;
  // A crashed node's sessions stay claimable for their lease (the window plus up to two
  // renewal periods): the log keeps entries at least that long.
  // Whole milliseconds: the stream's MINID is `<ms>-0` (a window that is not a multiple of
  // 3 ms made it fractional, and every XADD failed).
  const retention = Math.ceil(window + 2 * Math.min(20_000, window / 3) + 6000);
  for (const name of [
    "maxConcurrentRestores",
    "maxQueuedRestores",
    "maxQueuedAppends",
    "maxHeldPackets",
    "claimTimeout",
    "dedupeTtl",
    "replayRing",
    "flushTimeout",
  ] as const) {
    const v = rest[name];
    const least = name === "flushTimeout" ? 0 : 1;
    if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v) || v < least)) {
      throw new TypeError(`recovery.${name} must be an integer of at least ${least}`);
    }
  }
  return new RecoveryHub(pub, sub, {
    // Per cluster (the adapter's `key`): two clusters on one Redis never share a log.
    log: new RedisStreamLog(pub, { retention, key: logKey ?? `switchboard:{${key}}:log` }),
    sessions: new RedisSessionStore(pub, sessionPrefix ?? `switchboard:${key}:session:`),
    controlChannel: `switchboard:${key}:recovery#ctl`,
    maxConcurrentRestores: 32,
    maxQueuedRestores: 10_000,
    maxQueuedAppends: 10_000,
    maxHeldPackets: 10_000,
    claimTimeout: 10_000,
    dedupeTtl: 60_000,
    replayRing: 10_000,
    flushTimeout: 2000,
    ...rest,
  });
}

/** The `presence` option over its defaults, checked (a `TypeError` when invalid). */
function resolvePresenceOptions(
  options: Partial<RedisPresenceOptions>,
  key: string,
): RedisPresenceOptions {
  const resolved: RedisPresenceOptions = {
    channel: options.channel ?? `switchboard:presence#${key}`,
    heartbeatInterval: options.heartbeatInterval ?? 2000,
    nodeTimeout: options.nodeTimeout ?? 10_000,
    syncTimeout: options.syncTimeout ?? 3000,
    maxMessageBytes: options.maxMessageBytes ?? 4 * 1024 * 1024,
  };
  if (typeof resolved.channel !== "string" || resolved.channel === "") {
    throw new TypeError("presence.channel must be a non-empty string");
  }
  for (const name of [
    "heartbeatInterval",
    "nodeTimeout",
    "syncTimeout",
    "maxMessageBytes",
  ] as const) {
    const v = resolved[name];
    if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) {
      throw new TypeError(`presence.${name} must be a positive number`);
    }
  }
  if (resolved.nodeTimeout < 2 * resolved.heartbeatInterval) {
    throw new TypeError("presence.nodeTimeout must be at least twice presence.heartbeatInterval");
  }
  return resolved;
}

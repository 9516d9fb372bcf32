import type { AdapterConstructor, AdapterNamespace } from "@switchboard/server";
import { RedisAdapter } from "./classic/redis-adapter.js";
import { type RedisAdapterOptions, resolveOptions } from "./options.js";
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
  const { pythonChannel, pythonMaxBytes = 1024 * 1024, recovery, ...adapterOptions } = options;
  const opts = resolveOptions(adapterOptions);
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
  const python =
    pythonChannel === undefined
      ? undefined
      : new PythonIngest(sub, pythonChannel, { maxBytes: pythonMaxBytes });
  const Classic = class extends RedisAdapter {
    constructor(nsp: AdapterNamespace) {
      super(nsp, pub, sub, opts);
    }

    override init(): void {
      super.init();
      python?.add(this);
    }

    override close(): void {
      python?.delete(this);
      super.close();
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
  const retention = window + 2 * Math.min(20_000, window / 3) + 6000;
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
    ...rest,
  });
}

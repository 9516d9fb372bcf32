import type { AdapterConstructor, AdapterNamespace } from "@switchboard/server";
import { RedisAdapter } from "./classic/redis-adapter.js";
import { type RedisAdapterOptions, resolveOptions } from "./options.js";
import { PythonIngest } from "./python/ingest.js";
import { type AnyRedisClient, wrapRedisClient } from "./redis-client.js";

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
  const { pythonChannel, pythonMaxBytes = 1024 * 1024, ...adapterOptions } = options;
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
  return class extends RedisAdapter {
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
}

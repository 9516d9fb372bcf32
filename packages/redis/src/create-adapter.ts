import type { AdapterConstructor, AdapterNamespace } from "@switchboard/server";
import { RedisAdapter, type RedisAdapterOptions } from "./classic/redis-adapter.js";
import { msgpackParser } from "./msgpack/index.js";
import { PythonIngest } from "./python/ingest.js";
import { type AnyRedisClient, wrapRedisClient } from "./redis-client.js";

const DEFAULTS: CreateAdapterOptions = {
  key: "socket.io",
  requestsTimeout: 5000,
  publishOnSpecificResponseChannel: false,
  parser: msgpackParser,
  maxPendingRequests: 1000,
  maxMessageBytes: 32 * 1024 * 1024,
  nodeCheckInterval: 1000,
  pythonChannel: undefined,
  pythonMaxBytes: 1024 * 1024,
};

function positive(value: unknown, name: string): void {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new TypeError(
      `${name} must be a positive number of ${name.endsWith("Bytes") ? "bytes" : "ms"}`,
    );
  }
}

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
  const opts: CreateAdapterOptions = { ...DEFAULTS };
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined) (opts as unknown as Record<string, unknown>)[name] = value;
  }
  if (typeof opts.key !== "string" || opts.key === "")
    throw new TypeError("key must be a non-empty string");
  positive(opts.requestsTimeout, "requestsTimeout");
  positive(opts.maxPendingRequests, "maxPendingRequests");
  positive(opts.maxMessageBytes, "maxMessageBytes");
  positive(opts.nodeCheckInterval, "nodeCheckInterval");
  if (typeof opts.parser?.encode !== "function" || typeof opts.parser.decode !== "function") {
    throw new TypeError("parser must have encode and decode");
  }
  if (
    opts.pythonChannel !== undefined &&
    (typeof opts.pythonChannel !== "string" || opts.pythonChannel === "")
  ) {
    throw new TypeError("pythonChannel must be a non-empty string");
  }
  positive(opts.pythonMaxBytes, "pythonMaxBytes");
  const pub = wrapRedisClient(pubClient);
  const sub = wrapRedisClient(subClient);
  const python =
    opts.pythonChannel === undefined
      ? undefined
      : new PythonIngest(sub, opts.pythonChannel, { maxBytes: opts.pythonMaxBytes });
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

import type { EventEmitter } from "node:events";
import debugModule from "debug";
import { RedisAdapterError, RedisAdapterErrorCode } from "./errors.js";

const debug = debugModule("switchboard:redis:client");

/**
 * A Redis client as the user passes it: an `ioredis` `Redis` or `Cluster`, or a node-redis
 * (`redis` v4+) client from `createClient` or `createCluster`. Typed structurally (the
 * clients are optional peer dependencies); {@link wrapRedisClient} tells them apart.
 */
export type AnyRedisClient = object;

/** The connection state of a client: commands only go out when `"ready"`. */
export type RedisState = "ready" | "down";

/** Called for every message of a subscribed channel (or pattern), payload as raw bytes. */
export type MessageListener = (channel: string, message: Buffer) => void;

/**
 * The one small interface the adapter and emitter use over both Redis clients: publish,
 * (p|s)subscribe with Buffer payloads, PUBSUB NUMSUB across a cluster, and the state.
 * One instance per client object ({@link wrapRedisClient} caches it), so listeners of
 * several namespaces sharing one subscriber client are reference-counted per channel.
 */
export interface RedisClient {
  /** Which library and topology: for logs and tests. */
  readonly kind: "ioredis" | "ioredis-cluster" | "node-redis" | "node-redis-cluster";
  /** `"ready"` when commands can be sent now. */
  readonly state: RedisState;
  publish(channel: string, message: Buffer | string): Promise<void>;
  /** SPUBLISH (Redis 7 sharded pub/sub). */
  spublish(channel: string, message: Buffer | string): Promise<void>;
  subscribe(channel: string, listener: MessageListener): Promise<void>;
  unsubscribe(channel: string, listener: MessageListener): Promise<void>;
  psubscribe(pattern: string, listener: MessageListener): Promise<void>;
  punsubscribe(pattern: string, listener: MessageListener): Promise<void>;
  ssubscribe(channel: string, listener: MessageListener): Promise<void>;
  sunsubscribe(channel: string, listener: MessageListener): Promise<void>;
  /**
   * Subscribers of `channel` (PUBSUB NUMSUB). On a Redis Cluster, the sum over every node:
   * a classic subscription lives on exactly one node and PUBLISH reaches all of them.
   */
  numsub(channel: string): Promise<number>;
  /** SHARDNUMSUB for sharded channels (asked of the node owning the channel's slot). */
  shardNumsub(channel: string): Promise<number>;
  /** Listen to state changes; returns the function that stops listening. */
  onState(listener: (state: RedisState, err?: Error) => void): () => void;
  /**
   * Any command, e.g. `["XADD", key, "*", "d", payload]`. Bulk string replies come back as
   * Buffers when `buffers` is set, as strings otherwise; arrays as arrays, integers as
   * numbers, a nil as `null`. `key` routes the command on a cluster (its first key).
   */
  command(args: ReadonlyArray<string | Buffer>, opts?: CommandOptions): Promise<unknown>;
  /**
   * A new connection of the same library and topology, for commands that block it (XREAD
   * BLOCK). Connected when the promise resolves; `quit()` closes it.
   */
  duplicate(): Promise<RedisClient & { quit(): Promise<void> }>;
}

/** Options of {@link RedisClient.command}. */
export interface CommandOptions {
  /** Bulk strings as Buffers (binary payloads) instead of strings. */
  buffers?: boolean;
  /** The command's first key: routes it to the right node of a cluster. */
  key?: string;
}

type Kind = "classic" | "pattern" | "sharded";

/** Duck-typed methods of the libraries, as far as this file calls them. */
type Fn = (...args: unknown[]) => unknown;
type Loose = EventEmitter & Record<string, unknown>;

const clients = new WeakMap<object, RedisClient>();

/**
 * The {@link RedisClient} of `client`, created on first use. Throws `TypeError` for an
 * object that is neither an ioredis nor a node-redis client.
 *
 * @example
 * ```ts
 * const pub = wrapRedisClient(new Redis());
 * await pub.publish("chan", Buffer.from([1, 2, 3]));
 * ```
 */
export function wrapRedisClient(client: AnyRedisClient): RedisClient {
  let wrapped = clients.get(client);
  if (wrapped === undefined) {
    wrapped = new Wrapped(client as Loose);
    clients.set(client, wrapped);
  }
  return wrapped;
}

function isFn(value: unknown): value is Fn {
  return typeof value === "function";
}

function detect(c: Loose): RedisClient["kind"] {
  if (c.isCluster === true && isFn(c.nodes)) return "ioredis-cluster";
  if (isFn(c.pSubscribe) && isFn(c.sendCommand)) {
    return isFn(c.nodeClient) ? "node-redis-cluster" : "node-redis";
  }
  if (isFn(c.psubscribe) && isFn(c.publish) && typeof c.status === "string") return "ioredis";
  throw new TypeError(
    "not a Redis client: pass an ioredis Redis/Cluster or a node-redis (redis v4+) client",
  );
}

const toBuffer = (value: unknown): Buffer =>
  Buffer.isBuffer(value) ? value : Buffer.from(String(value));

class Wrapped implements RedisClient {
  readonly kind: RedisClient["kind"];
  readonly #c: Loose;
  readonly #io: boolean;
  /** kind → channel or pattern → listeners. */
  readonly #listeners: Record<Kind, Map<string, Set<MessageListener>>> = {
    classic: new Map(),
    pattern: new Map(),
    sharded: new Map(),
  };
  readonly #stateListeners = new Set<(state: RedisState, err?: Error) => void>();
  #lastState: RedisState;

  constructor(client: Loose) {
    this.kind = detect(client);
    this.#c = client;
    this.#io = this.kind.startsWith("ioredis");
    this.#lastState = this.state;
    const report = (err?: Error) => {
      const state = this.state;
      if (state === this.#lastState && err === undefined) return;
      this.#lastState = state;
      debug("%s is %s%s", this.kind, state, err ? ` (${err.message})` : "");
      for (const listener of this.#stateListeners) listener(state, err);
    };
    // An "error" listener also keeps an unhandled client error from crashing the process.
    client.on("error", (err: Error) => queueMicrotask(() => report(err)));
    for (const event of ["ready", "end", "close", "reconnecting", "connect", "disconnect"]) {
      client.on(event, () => queueMicrotask(() => report()));
    }
    if (this.#io) {
      client.on("messageBuffer", (channel: Buffer, message: Buffer) =>
        this.#dispatch("classic", channel.toString(), channel.toString(), message),
      );
      client.on("pmessageBuffer", (pattern: Buffer, channel: Buffer, message: Buffer) =>
        this.#dispatch("pattern", pattern.toString(), channel.toString(), message),
      );
      client.on("smessageBuffer", (channel: Buffer, message: Buffer) =>
        this.#dispatch("sharded", channel.toString(), channel.toString(), message),
      );
    }
  }

  get state(): RedisState {
    const c = this.#c;
    if (this.#io) return c.status === "ready" ? "ready" : "down";
    return c.isReady === true ? "ready" : "down";
  }

  onState(listener: (state: RedisState, err?: Error) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  #ensureReady(): void {
    if (this.state !== "ready") {
      throw new RedisAdapterError(
        RedisAdapterErrorCode.REDIS_UNAVAILABLE,
        `the Redis client (${this.kind}) is not connected`,
      );
    }
  }

  async #call(name: string, args: unknown[], target: Loose = this.#c): Promise<unknown> {
    this.#ensureReady();
    const method = target[name];
    if (!isFn(method)) {
      throw new RedisAdapterError(
        RedisAdapterErrorCode.UNSUPPORTED_CLIENT,
        `${this.kind} has no ${name}()`,
      );
    }
    try {
      return await method.apply(target, args);
    } catch (err) {
      throw new RedisAdapterError(
        RedisAdapterErrorCode.COMMAND_FAILED,
        `${name} failed on ${this.kind}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }

  async command(args: ReadonlyArray<string | Buffer>, opts: CommandOptions = {}): Promise<unknown> {
    this.#ensureReady();
    const c = this.#c;
    const [name, ...rest] = args;
    if (name === undefined) throw new TypeError("command() needs a command name");
    try {
      let reply: unknown;
      switch (this.kind) {
        case "ioredis":
        case "ioredis-cluster":
          reply = await (c[opts.buffers === true ? "callBuffer" : "call"] as Fn).call(
            c,
            name.toString(),
            ...rest,
          );
          break;
        case "node-redis":
          reply = await (c.sendCommand as Fn).call(
            c,
            args,
            opts.buffers === true ? BUFFER_REPLIES : undefined,
          );
          break;
        case "node-redis-cluster":
          reply = await (c.sendCommand as Fn).call(
            c,
            opts.key,
            false,
            args,
            opts.buffers === true ? BUFFER_REPLIES : undefined,
          );
          break;
      }
      return opts.buffers === true ? reply : stringReplies(reply);
    } catch (err) {
      throw new RedisAdapterError(
        RedisAdapterErrorCode.COMMAND_FAILED,
        `${name.toString()} failed on ${this.kind}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }

  async duplicate(): Promise<RedisClient & { quit(): Promise<void> }> {
    const c = this.#c;
    const copy = (c.duplicate as Fn).call(c) as Loose;
    if (this.#io) {
      // A lazyConnect client's duplicate waits for connect() too.
      if (copy.status === "wait") {
        void ((copy.connect as Fn).call(copy) as Promise<void>).catch(() => {});
      }
      if (copy.status !== "ready") {
        await new Promise<void>((resolve, reject) => {
          const onReady = () => {
            copy.off("error", onError);
            resolve();
          };
          const onError = (err: Error) => {
            copy.off("ready", onReady);
            reject(err);
          };
          copy.once("ready", onReady);
          copy.once("error", onError);
        });
      }
    } else {
      copy.on("error", () => {});
      await (copy.connect as Fn).call(copy);
    }
    const wrapped = new Wrapped(copy);
    clients.set(copy, wrapped);
    return Object.assign(wrapped, {
      quit: async () => {
        try {
          if (this.#io) (copy.disconnect as Fn).call(copy);
          else await (copy.destroy as Fn | undefined)?.call(copy);
        } catch (err) {
          debug("closing a duplicate failed: %s", err);
        }
      },
    });
  }

  async publish(channel: string, message: Buffer | string): Promise<void> {
    await this.#call("publish", [channel, message], await this.#publisher());
  }

  /**
   * Where classic PUBLISHes go. On a cluster, one master's connection for every channel:
   * the cluster forwards a PUBLISH to every node over its bus in the order the entry node
   * received them, so one entry node keeps this client's messages in the order sent. Routed
   * by channel (both libraries' default), two channels enter through two nodes and overtake
   * each other (issue 16: a room broadcast arrived after a later broadcast to everyone).
   */
  async #publisher(): Promise<Loose> {
    const c = this.#c;
    if (this.kind === "ioredis-cluster") {
      const [first] = (c.nodes as Fn).call(c, "master") as Loose[];
      return first ?? c;
    }
    if (this.kind === "node-redis-cluster") {
      const [first] = (c.masters ?? []) as object[];
      return first === undefined ? c : ((await (c.nodeClient as Fn).call(c, first)) as Loose);
    }
    return c;
  }

  async spublish(channel: string, message: Buffer | string): Promise<void> {
    await this.#call(this.#io ? "spublish" : "sPublish", [channel, message]);
  }

  subscribe(channel: string, listener: MessageListener): Promise<void> {
    return this.#add("classic", channel, listener);
  }

  unsubscribe(channel: string, listener: MessageListener): Promise<void> {
    return this.#remove("classic", channel, listener);
  }

  psubscribe(pattern: string, listener: MessageListener): Promise<void> {
    return this.#add("pattern", pattern, listener);
  }

  punsubscribe(pattern: string, listener: MessageListener): Promise<void> {
    return this.#remove("pattern", pattern, listener);
  }

  ssubscribe(channel: string, listener: MessageListener): Promise<void> {
    return this.#add("sharded", channel, listener);
  }

  sunsubscribe(channel: string, listener: MessageListener): Promise<void> {
    return this.#remove("sharded", channel, listener);
  }

  numsub(channel: string): Promise<number> {
    return this.#count("NUMSUB", channel);
  }

  shardNumsub(channel: string): Promise<number> {
    return this.#count("SHARDNUMSUB", channel);
  }

  /**
   * PUBSUB NUMSUB / SHARDNUMSUB. On a cluster, the sum over every node, masters and
   * replicas: a classic subscription lives on the one node it was made on, a sharded one
   * on a node of the shard owning the channel's slot (the others answer 0). Asking each
   * node also spares guessing how a client library routes PUBSUB, which has no key (both
   * libraries sent SHARDNUMSUB to a node of another shard, issue 16).
   */
  async #count(subcommand: "NUMSUB" | "SHARDNUMSUB", channel: string): Promise<number> {
    this.#ensureReady();
    try {
      return await this.#countOn(this.#c, subcommand, channel);
    } catch (err) {
      throw new RedisAdapterError(
        RedisAdapterErrorCode.COMMAND_FAILED,
        `PUBSUB ${subcommand} failed on ${this.kind}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }

  async #countOn(c: Loose, subcommand: "NUMSUB" | "SHARDNUMSUB", channel: string): Promise<number> {
    const args = ["PUBSUB", subcommand, channel];
    switch (this.kind) {
      case "ioredis":
        return numsubReply(await (c.pubsub as Fn).call(c, subcommand, channel));
      case "node-redis":
        return numsubReply(await (c.sendCommand as Fn).call(c, args));
      case "ioredis-cluster": {
        const nodes = (c.nodes as Fn).call(c, "all") as Loose[];
        const counts = await Promise.all(
          nodes.map(async (node) =>
            numsubReply(await (node.pubsub as Fn).call(node, subcommand, channel)),
          ),
        );
        return counts.reduce((a, b) => a + b, 0);
      }
      case "node-redis-cluster": {
        const counts = await Promise.all(
          clusterNodes(c).map(async (node) => {
            const client = (await (c.nodeClient as Fn).call(c, node)) as Loose;
            return numsubReply(await (client.sendCommand as Fn).call(client, args));
          }),
        );
        return counts.reduce((a, b) => a + b, 0);
      }
    }
  }

  async #add(kind: Kind, name: string, listener: MessageListener): Promise<void> {
    const map = this.#listeners[kind];
    let set = map.get(name);
    if (set !== undefined) {
      set.add(listener);
      return;
    }
    set = new Set([listener]);
    map.set(name, set);
    const c = this.#c;
    try {
      if (this.#io) {
        const method = { classic: "subscribe", pattern: "psubscribe", sharded: "ssubscribe" }[kind];
        await (c[method] as Fn).call(c, name);
      } else {
        const method = { classic: "subscribe", pattern: "pSubscribe", sharded: "sSubscribe" }[kind];
        // node-redis: bufferMode `true` gives (message: Buffer, channel: Buffer).
        await (c[method] as Fn).call(
          c,
          name,
          (message: Buffer, channel: Buffer) =>
            this.#dispatch(kind, name, toBuffer(channel).toString(), toBuffer(message)),
          true,
        );
      }
    } catch (err) {
      if (map.get(name) === set) map.delete(name);
      throw err;
    }
  }

  async #remove(kind: Kind, name: string, listener: MessageListener): Promise<void> {
    const map = this.#listeners[kind];
    const set = map.get(name);
    if (set === undefined || !set.delete(listener) || set.size > 0) return;
    map.delete(name);
    const c = this.#c;
    const method = this.#io
      ? { classic: "unsubscribe", pattern: "punsubscribe", sharded: "sunsubscribe" }[kind]
      : { classic: "unsubscribe", pattern: "pUnsubscribe", sharded: "sUnsubscribe" }[kind];
    // While Redis is down the subscription goes with the connection anyway; the clients
    // would otherwise resubscribe it on reconnect, so tell them even then.
    await (c[method] as Fn).call(c, name);
  }

  #dispatch(kind: Kind, name: string, channel: string, message: Buffer): void {
    const set = this.#listeners[kind].get(name);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        listener(channel, message);
      } catch (err) {
        debug("listener of %s threw: %s", channel, err);
      }
    }
  }
}

/** node-redis: bulk strings (RESP type `$`, 36) as Buffers. */
const BUFFER_REPLIES = { typeMapping: { 36: Buffer } };

/** Bulk strings as strings, recursively (node-redis may hand Buffers back for some replies). */
function stringReplies(reply: unknown): unknown {
  if (Buffer.isBuffer(reply)) return reply.toString();
  if (Array.isArray(reply)) return reply.map(stringReplies);
  return reply;
}

/**
 * node-redis cluster: master and replica nodes (a subscriber may sit on either), from the
 * `masters` and `replicas` getters (v4.6+), or `getMasters()` and each master's replicas.
 */
function clusterNodes(c: Loose): object[] {
  const masters = (Array.isArray(c.masters) ? c.masters : (c.getMasters as Fn).call(c)) as Array<
    Record<string, unknown>
  >;
  const nodes: object[] = [...masters];
  if (Array.isArray(c.replicas)) nodes.push(...(c.replicas as object[]));
  else
    for (const master of masters)
      if (Array.isArray(master.replicas)) nodes.push(...master.replicas);
  return nodes;
}

/** `[channel, count]` (array reply) or `{ channel: count }` (node-redis's typed reply). */
function numsubReply(reply: unknown): number {
  if (Array.isArray(reply)) return Number(reply[1] ?? 0);
  if (reply instanceof Map) {
    for (const value of reply.values()) return Number(value);
    return 0;
  }
  if (typeof reply === "object" && reply !== null) {
    for (const value of Object.values(reply)) return Number(value);
  }
  return 0;
}

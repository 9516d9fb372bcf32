import { randomBytes } from "node:crypto";
import type { EventPacket, SocketPacket } from "@switchboard/protocol";
import {
  type AdapterNamespace,
  type AdapterSocket,
  type BroadcastOptions,
  InMemoryAdapter,
  type Room,
  type SocketDetails,
} from "@switchboard/server";
import debugModule from "debug";
import { RedisAdapterError, RedisAdapterErrorCode } from "../errors.js";
import { ClientsHealth } from "../health.js";
import type { LagProbe } from "../lag-probe.js";
import { encode as msgpackEncode } from "../msgpack/encode.js";
import type { Parser } from "../msgpack/index.js";
import type { RedisAdapterOptions } from "../options.js";
import type { MessageListener, RedisClient, RedisState } from "../redis-client.js";
import { UnsentAnswers } from "../unsent-answers.js";
import {
  type Channels,
  channelsOf,
  parseJson,
  RequestType,
  readBroadcast,
  readHead,
  readRooms,
  readSockets,
  toWire,
  wirePacket,
} from "./format.js";
import { LocalHandshakes, RemoteHandshakes } from "./handshake-sync.js";
import { RequestHandler } from "./request-handler.js";
import { PendingRequests } from "./requests.js";

const debug = debugModule("switchboard:redis:adapter");

/**
 * How the uid of a Switchboard node starts (the rest is random): other nodes then know it
 * listens on its own response channel. A uid is an opaque string to socket.io nodes.
 */
const SWITCHBOARD_UID = "sb-";

/** The request id at the start of a JSON response (`{"requestId":…` or `{"type":8,"requestId":…`). */
const REQUEST_ID = /"requestId":"([^"\\]*)"/;

/** `"ready"` when both Redis clients are connected, `"down"` otherwise. */
export type RedisAdapterHealth = RedisState;

type Rec = Record<string, unknown>;

/**
 * The adapter of one namespace on a Redis cluster, speaking @socket.io/redis-adapter 8.x's
 * classic format (see `format.ts`): rooms live on each node, broadcasts and requests go
 * through Redis pub/sub, and the node count is PUBSUB NUMSUB of the request channel.
 * Built by `createAdapter`; emits `"health"` (`"ready" | "down"`, error?) on changes.
 */
export class RedisAdapter extends InMemoryAdapter {
  /** This node's id in the cluster (per namespace adapter). */
  readonly uid: string;
  readonly #pub: RedisClient;
  readonly #sub: RedisClient;
  readonly #opts: RedisAdapterOptions;
  readonly #ch: Channels;
  readonly #requests: PendingRequests;
  /** msgpack prefix of this node's broadcasts (`[uid, …`): own echoes skip decoding. */
  readonly #ownPrefix: Buffer | undefined;
  readonly #listeners: Array<() => void> = [];
  readonly #health: ClientsHealth;
  /** Answers to other nodes' requests, kept while the publisher is down. */
  readonly #unsent: UnsentAnswers;
  /** The node count asked by the latest ack broadcast, shared with its serverCount() call. */
  #sharedCount: Promise<number> | undefined;
  #closed = false;
  readonly #handler: RequestHandler;
  readonly #localHandshakes = new LocalHandshakes();
  readonly #remoteHandshakes = new RemoteHandshakes();
  readonly #lagProbe: LagProbe | undefined;

  /**
   * @param lagProbe the publish-lag probe of `pub` and `sub`, shared by the namespaces of
   *   one `createAdapter` call (held from `init` to `close`); none: `publishLag` stays undefined
   */
  constructor(
    nsp: AdapterNamespace,
    pub: RedisClient,
    sub: RedisClient,
    opts: RedisAdapterOptions,
    lagProbe?: LagProbe,
  ) {
    super(nsp);
    this.#lagProbe = lagProbe;
    this.uid = `${SWITCHBOARD_UID}${randomBytes(7).toString("hex")}`;
    this.#pub = pub;
    this.#sub = sub;
    this.#opts = opts;
    this.#ch = channelsOf(opts.key, nsp.name, this.uid);
    this.#requests = new PendingRequests({
      max: opts.maxPendingRequests,
      timeout: opts.requestsTimeout,
      nodeCheckInterval: opts.nodeCheckInterval,
      countNodes: () => this.#countNodes(),
    });
    this.#ownPrefix = isDefaultParser(opts.parser)
      ? Buffer.concat([Buffer.from([0x93]), msgpackEncode(this.uid)])
      : undefined;
    this.#unsent = new UnsentAnswers(pub, {
      send: (channel, payload) => pub.publish(channel, payload),
      maxAge: opts.requestsTimeout,
    });
    this.#health = new ClientsHealth(pub, sub, nsp.name, {
      onLost: (err) => this.#requests.failAll(err),
      onChange: (health, err) => this.emit("health", health, err),
    });
    // The local operations, as the in-memory adapter does them (never republished).
    this.#handler = new RequestHandler(
      {
        nsp,
        rooms: this.rooms,
        sockets: (rooms) => super.sockets(rooms),
        addSockets: (o, rooms) => super.addSockets(o, rooms),
        delSockets: (o, rooms) => super.delSockets(o, rooms),
        disconnectSockets: (o, close) => super.disconnectSockets(o, close),
        fetchSockets: (o) => super.fetchSockets(o),
        syncedAnswer: (requestId, sockets, sb) => this.#syncedAnswer(requestId, sockets, sb),
        broadcastWithAck: (packet, o, count, ack) => super.broadcastWithAck(packet, o, count, ack),
      },
      opts.parser,
      (requester, payload) => this.#respond(requester, payload),
    );
  }

  /** `"ready"` when both Redis clients are connected; see the `"health"` event. */
  get health(): RedisAdapterHealth {
    return this.#health.state;
  }

  /** Requests and ack broadcasts awaiting answers (for leak checks and monitoring). */
  get pendingRequests(): number {
    return this.#requests.size;
  }

  /**
   * Requests to other nodes (fetchSockets, serverSideEmit with ack, …) that timed out since
   * the adapter was made; read by `@switchboard/server/metrics`.
   */
  get requestTimeouts(): number {
    return this.#requests.timeouts;
  }

  /**
   * The publish lag, seconds: how long the last probe published by `pubClient` took to come
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
    this.#listeners.push(this.#health.watch(), this.#unsent.watch());
    if (this.#lagProbe !== undefined) this.#listeners.push(this.#lagProbe.acquire());
    const subs: Array<[string, boolean, MessageListener]> = [
      [`${this.#ch.broadcast}*`, true, this.#onBroadcast],
      [this.#ch.request, false, this.#onRequest],
      [this.#ch.response, false, this.#onResponse],
      [this.#ch.ownResponse, false, this.#onResponse],
    ];
    for (const [channel, pattern, listener] of subs) {
      const done = pattern
        ? this.#sub.psubscribe(channel, listener)
        : this.#sub.subscribe(channel, listener);
      done.catch((err: unknown) => debug("subscribe %s failed: %s", channel, err));
      this.#listeners.push(() => {
        const undone = pattern
          ? this.#sub.punsubscribe(channel, listener)
          : this.#sub.unsubscribe(channel, listener);
        undone.catch((err: unknown) => debug("unsubscribe %s failed: %s", channel, err));
      });
    }
  }

  override close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const stop of this.#listeners.splice(0)) stop();
    this.#remoteHandshakes.clear();
    this.#unsent.clear();
    this.#requests.clear(
      new RedisAdapterError(RedisAdapterErrorCode.ADAPTER_CLOSED, "the adapter was closed"),
    );
  }

  override serverCount(): Promise<number> {
    return this.#sharedCount ?? this.#countNodes();
  }

  #countNodes(): Promise<number> {
    if (this.#health.state !== "ready") return Promise.reject(this.#unavailable());
    return this.#health.guard(this.#pub.numsub(this.#ch.request));
  }

  #unavailable(): RedisAdapterError {
    return new RedisAdapterError(
      RedisAdapterErrorCode.REDIS_UNAVAILABLE,
      "Redis is not connected (see the adapter's health)",
    );
  }

  // ---- sending ----

  override broadcast(packet: SocketPacket, opts: BroadcastOptions): void {
    if (opts.flags?.local !== true) {
      this.#publishBroadcast(packet as EventPacket, opts);
    }
    super.broadcast(packet, opts);
  }

  #publishBroadcast(packet: EventPacket, opts: BroadcastOptions): void {
    let channel = this.#ch.broadcast;
    if (opts.rooms.size === 1) for (const room of opts.rooms) channel += `${room}#`;
    let payload: Buffer | string;
    try {
      payload = this.#opts.parser.encode([this.uid, wirePacket(packet), toWire(opts, true)]);
    } catch (err) {
      debug("broadcast not published: %s", err);
      return;
    }
    this.#publish(channel, payload);
  }

  override broadcastWithAck(
    packet: SocketPacket & { id?: number },
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    if (opts.flags?.local !== true) {
      this.#publishAckBroadcast(packet as EventPacket, opts, clientCountCallback, ack);
    } else {
      // Only this node answers: the caller's serverCount() must say so.
      this.#shareCount(Promise.resolve(1));
    }
    super.broadcastWithAck(packet, opts, clientCountCallback, ack);
  }

  /**
   * The node count that the caller of broadcastWithAck (collectAcks) gets from its
   * serverCount() call right after: the count this broadcast expects answers from.
   */
  #shareCount(count: Promise<number>): void {
    count.catch(() => {}); // observed by the caller, or by nobody
    this.#sharedCount = count;
    queueMicrotask(() => {
      if (this.#sharedCount === count) this.#sharedCount = undefined;
    });
  }

  #publishAckBroadcast(
    packet: EventPacket,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    const requestId = newRequestId();
    let payload: Buffer | string;
    try {
      // Encoded before the local delivery gives the packet its ack id.
      payload = this.#opts.parser.encode({
        uid: this.uid,
        requestId,
        type: RequestType.BROADCAST,
        packet: wirePacket(packet),
        opts: toWire(opts, true),
      });
      this.#requests.startAck(
        requestId,
        opts.flags?.timeout ?? this.#opts.requestsTimeout,
        clientCountCallback,
        (arg) => ack(arg),
      );
    } catch (err) {
      // Not published (unencodable, too many waiting): the ack fails with this error.
      debug("ack broadcast not published: %s", err);
      this.#shareCount(Promise.reject(err));
      return;
    }
    // Counted before published, on one connection (see #request).
    const count = this.#countNodes();
    this.#publish(this.#ch.request, payload);
    this.#shareCount(count);
    count.then(
      (n) => this.#requests.expectAck(requestId, n - 1),
      (err: unknown) => debug("node count failed: %s", err),
    );
  }

  override addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    if (opts.flags?.local !== true) {
      this.#publishRequest({ type: RequestType.REMOTE_JOIN, opts: toWire(opts, false), rooms });
    }
    super.addSockets(opts, rooms);
  }

  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    if (opts.flags?.local !== true) {
      this.#publishRequest({ type: RequestType.REMOTE_LEAVE, opts: toWire(opts, false), rooms });
    }
    super.delSockets(opts, rooms);
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    if (opts.flags?.local !== true) {
      this.#publishRequest({
        type: RequestType.REMOTE_DISCONNECT,
        opts: toWire(opts, false),
        close,
      });
    }
    super.disconnectSockets(opts, close);
  }

  /**
   * A socket's description, its handshake copied once: a handshake does not change after
   * the connection (fetchSockets then costs no copy, and its JSON is cached too).
   */
  protected override describe(socket: AdapterSocket): SocketDetails {
    const handshake = this.#localHandshakes.cached(socket);
    if (handshake === undefined) {
      const details = super.describe(socket);
      this.#localHandshakes.remember(socket, details.handshake);
      return details;
    }
    const rooms = this.socketRooms(socket.id) as Set<Room> | undefined;
    return { id: socket.id, handshake, rooms: rooms ?? new Set(), data: socket.data };
  }

  /** A fetch answer for a Switchboard requester (handshake-sync.ts). */
  #syncedAnswer(requestId: string, sockets: SocketDetails[], sb: Record<string, unknown>): string {
    return this.#localHandshakes.answer(requestId, sockets, sb, this.uid, this.nsp.sockets, (s) =>
      this.describe(s),
    );
  }

  /** Handshakes of other nodes' sockets remembered for fetchSockets (for leak checks). */
  get rememberedHandshakes(): number {
    return this.#remoteHandshakes.size;
  }

  override async fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const local = await super.fetchSockets(opts);
    if (opts.flags?.local === true) return local;
    const { sb, tables } = this.#remoteHandshakes.snapshot();
    await this.#request(
      { type: RequestType.REMOTE_FETCH, opts: toWire(opts, false), sb },
      (msg) => {
        const sockets =
          msg.sb === undefined
            ? readSockets(msg.sockets)
            : this.#remoteHandshakes.read(msg, tables);
        for (const socket of sockets) local.push(socket);
      },
    );
    return local;
  }

  /**
   * Every room of every node (rooms of this node plus the answers of the others).
   *
   * @example
   * ```ts
   * const rooms = await io.of("/").adapter.allRooms();
   * ```
   */
  async allRooms(): Promise<Set<Room>> {
    const rooms = new Set<Room>(this.rooms.keys());
    await this.#request({ type: RequestType.ALL_ROOMS }, (msg) => {
      for (const room of readRooms(msg.rooms)) rooms.add(room);
    });
    return rooms;
  }

  override serverSideEmit(packet: unknown[]): void {
    const last = packet[packet.length - 1];
    if (typeof last !== "function") {
      this.#publishRequest({ type: RequestType.SERVER_SIDE_EMIT, data: packet });
      return;
    }
    const ack = last as (err: Error | null, responses: unknown[]) => void;
    const responses: unknown[] = [];
    this.#request({ type: RequestType.SERVER_SIDE_EMIT, data: packet.slice(0, -1) }, (msg) => {
      responses.push(msg.data);
    }).then(
      () => ack(null, responses),
      (err: Error) => ack(err, responses),
    );
  }

  /** Publishes a JSON request that expects no answer. */
  #publishRequest(fields: Rec): void {
    this.#publish(this.#ch.request, JSON.stringify({ uid: this.uid, ...fields }));
  }

  /** Publishes a JSON request and resolves once every other node answered. */
  #request(fields: Rec, onResponse: (msg: Rec) => void): Promise<void> {
    const requestId = newRequestId();
    return new Promise<void>((resolve, reject) => {
      if (this.#health.state !== "ready") throw this.#unavailable();
      this.#requests.start(requestId, onResponse, (err) => (err ? reject(err) : resolve()));
      const payload = JSON.stringify({ uid: this.uid, requestId, ...fields });
      // Count, then publish, pipelined on one connection (one round trip): Redis runs them
      // in that order, so every node counted was subscribed before the request went out (a
      // node leaving in between is caught by the node check). Answers that come before the
      // count are kept until it.
      Promise.all([this.#countNodes(), this.#pub.publish(this.#ch.request, payload)]).then(
        ([n]) => this.#requests.expect(requestId, n - 1),
        (err: unknown) => this.#requests.cancel(requestId, asError(err)),
      );
    });
  }

  #publish(channel: string, payload: Buffer | string): void {
    this.#pub.publish(channel, payload).catch((err: unknown) => {
      debug("publish on %s failed: %s", channel, err);
    });
  }

  #respond(requester: string | undefined, payload: Buffer | string): void {
    // A Switchboard requester always listens on its own channel (as socket.io 8 nodes do):
    // answering there spares every other node a copy (a fetch answer can be megabytes).
    const specific =
      requester !== undefined &&
      (this.#opts.publishOnSpecificResponseChannel || requester.startsWith(SWITCHBOARD_UID));
    const channel = specific ? `${this.#ch.response}${requester}#` : this.#ch.response;
    this.#unsent.send(channel, payload);
  }

  // ---- receiving ----

  #tooLarge(channel: string, payload: Buffer): boolean {
    if (payload.length <= this.#opts.maxMessageBytes) return false;
    debug("dropped a message of %d bytes on %s (maxMessageBytes)", payload.length, channel);
    return true;
  }

  #decode(payload: Buffer): unknown {
    return payload[0] === 0x7b ? parseJson(payload) : this.#opts.parser.decode(payload);
  }

  /**
   * Deliver a broadcast another publisher sent (a node, an emitter, Python) to this node's
   * sockets. With cluster recovery, the packet is first given its place in the log.
   */
  receiveExternal(
    packet: SocketPacket,
    opts: BroadcastOptions,
    _channel: string,
    _raw: Buffer,
  ): void {
    super.broadcast(packet, opts);
  }

  /**
   * Whether every broadcast of another publisher must reach {@link receiveExternal}, also one
   * for a room without a socket here (cluster recovery overrides it: it logs them all).
   */
  get receivesEveryBroadcast(): boolean {
    return false;
  }

  readonly #onBroadcast: MessageListener = (channel, payload) => {
    if (this.#tooLarge(channel, payload)) return;
    const prefix = this.#ownPrefix;
    if (prefix !== undefined && payload.subarray(0, prefix.length).equals(prefix)) return;
    const room = channel.slice(this.#ch.broadcast.length, -1);
    // One-room broadcast for a room without a socket here: nothing to decode — unless
    // cluster recovery logs it (its members may all be away, waiting to recover).
    if (room !== "" && !this.rooms.has(room) && !this.receivesEveryBroadcast) return;
    try {
      const { uid, packet, opts } = readBroadcast(this.#decode(payload), this.nsp.name);
      if (uid === this.uid) return;
      this.receiveExternal(packet, opts, channel, payload);
    } catch (err) {
      debug("dropped a broadcast on %s: %s", channel, err);
    }
  };

  readonly #onRequest: MessageListener = (channel, payload) => {
    if (this.#tooLarge(channel, payload)) return;
    try {
      const { type, requestId, uid, msg } = readHead(this.#decode(payload));
      if (uid === this.uid) return;
      this.#handler.handle(type, requestId, uid, msg);
    } catch (err) {
      debug("dropped a request on %s: %s", channel, err);
    }
  };

  readonly #onResponse: MessageListener = (channel, payload) => {
    if (this.#tooLarge(channel, payload)) return;
    try {
      let decoded: unknown;
      if (payload[0] === 0x7b) {
        // Every node hears every answer on the shared channel: skip, unparsed, those whose
        // request id (in the first bytes of socket.io's JSON) is not waiting here.
        const id = REQUEST_ID.exec(payload.toString("latin1", 0, 160))?.[1];
        if (id !== undefined && !this.#requests.waits(id)) return;
        decoded = parseJson(payload);
      } else {
        decoded = this.#opts.parser.decode(payload);
      }
      this.#handleResponse(decoded);
    } catch (err) {
      debug("dropped a response on %s: %s", channel, err);
    }
  };

  #handleResponse(decoded: unknown): void {
    const { type, requestId, msg } = readHead(decoded);
    if (requestId === undefined) {
      throw new RedisAdapterError(
        RedisAdapterErrorCode.INVALID_MESSAGE,
        "response without requestId",
      );
    }
    if (type === RequestType.BROADCAST_CLIENT_COUNT) {
      const n = msg.clientCount;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
        throw new RedisAdapterError(
          RedisAdapterErrorCode.INVALID_MESSAGE,
          "clientCount is not a count",
        );
      }
      this.#requests.ackCount(requestId, n);
    } else if (type === RequestType.BROADCAST_ACK) {
      this.#requests.ackAnswer(requestId, msg.packet);
    } else {
      this.#requests.respond(requestId, msg);
    }
  }
}

function newRequestId(): string {
  return randomBytes(8).toString("base64url");
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function isDefaultParser(parser: Parser): boolean {
  return parser.encode === msgpackEncode;
}

import { randomBytes } from "node:crypto";
import type { SocketPacket } from "@switchboard/protocol";
import debugModule from "debug";
import { AdapterError, AdapterErrorCode } from "./errors.js";
import { InMemoryAdapter } from "./in-memory-adapter.js";
import type {
  AdapterNamespace,
  BroadcastFlags,
  BroadcastOptions,
  Room,
  SocketDetails,
} from "./types.js";

const debug = debugModule("switchboard:cluster-adapter");

/** Broadcast options in a form that crosses process boundaries. */
export interface SerializedOptions {
  rooms: Room[];
  except: Room[];
  flags: BroadcastFlags;
}

interface Base {
  /** The sending node. */
  uid: string;
  /** The namespace concerned. */
  nsp: string;
}

/** What every response carries: the request it answers and the node that asked. */
interface ResponseBase extends Base {
  requestId: string;
  /** The uid of the requesting node (a backend may send the response to that node only). */
  requester: string;
}

/** Every message cluster nodes exchange. Responses name the request they answer. */
export type ClusterMessage =
  | (Base & { type: "initial-heartbeat" | "heartbeat" | "adapter-close" })
  | (Base & {
      type: "broadcast";
      packet: SocketPacket;
      opts: SerializedOptions;
      requestId?: string;
    })
  | (ResponseBase & { type: "broadcast-client-count"; clientCount: number })
  | (ResponseBase & { type: "broadcast-ack"; args: unknown[] })
  | (Base & { type: "sockets-join" | "sockets-leave"; opts: SerializedOptions; rooms: Room[] })
  | (Base & { type: "disconnect-sockets"; opts: SerializedOptions; close: boolean })
  | (Base & { type: "fetch-sockets"; opts: SerializedOptions; requestId: string })
  | (ResponseBase & { type: "fetch-sockets-response"; sockets: SocketDetails[] })
  | (Base & { type: "server-side-emit"; args: unknown[]; requestId?: string })
  | (ResponseBase & { type: "server-side-emit-response"; args: unknown[] });

/** Options of {@link ClusterAdapter}. Times in ms. */
export interface ClusterAdapterOptions {
  /** Interval between heartbeats. Default 5000. */
  heartbeatInterval: number;
  /** A node silent for this long no longer counts. Default 10000. */
  heartbeatTimeout: number;
  /** How long requests (fetchSockets, serverSideEmit acks) wait for every node. Default 5000. */
  requestsTimeout: number;
  /**
   * Whether nodes announce themselves (initial-heartbeat, heartbeat, adapter-close) and
   * count each other from that. Default `true`. A backend that can count the nodes itself
   * (Redis: subscribers of a channel) sets `false` and overrides {@link ClusterAdapter.serverCount}.
   */
  heartbeats: boolean;
}

const DEFAULTS: ClusterAdapterOptions = {
  heartbeatInterval: 5000,
  heartbeatTimeout: 10_000,
  requestsTimeout: 5000,
  heartbeats: true,
};

interface PendingRequest {
  /** When it was made (ms since the epoch). */
  created: number;
  expected: number;
  received: number;
  timer: NodeJS.Timeout;
  onResponse(message: ClusterMessage): void;
  done(err?: Error): void;
}

/**
 * Base class of multi-node adapters (Redis, …): rooms live on each node, and every
 * operation that may touch other nodes is published as a {@link ClusterMessage}. A
 * subclass implements {@link publish} and feeds what it receives to {@link onMessage}.
 * Nodes discover each other through heartbeats, which give {@link serverCount}.
 *
 * @example
 * ```ts
 * class BusAdapter extends ClusterAdapter {
 *   constructor(nsp: AdapterNamespace) {
 *     super(nsp);
 *     bus.subscribe((message) => this.onMessage(message));
 *   }
 *   publish(message: ClusterMessage) { bus.publish(message); }
 * }
 * ```
 */
export abstract class ClusterAdapter extends InMemoryAdapter {
  /** This node's id. */
  readonly uid = randomBytes(8).toString("hex");
  protected readonly clusterOptions: ClusterAdapterOptions;
  readonly #nodes = new Map<string, number>();
  readonly #requests = new Map<string, PendingRequest>();
  #requestTimeouts = 0;
  readonly #ackRequests = new Map<
    string,
    { clientCountCallback: (n: number) => void; ack: (...args: unknown[]) => void }
  >();
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(nsp: AdapterNamespace, options: Partial<ClusterAdapterOptions> = {}) {
    super(nsp);
    this.clusterOptions = { ...DEFAULTS, ...options };
  }

  /** Send a message to every other node. */
  protected abstract publish(message: ClusterMessage): void | Promise<void>;

  override init(): void {
    if (!this.clusterOptions.heartbeats) return;
    this.#send({ type: "initial-heartbeat" });
    this.#heartbeat = setInterval(
      () => this.#send({ type: "heartbeat" }),
      this.clusterOptions.heartbeatInterval,
    );
    this.#heartbeat.unref();
  }

  override close(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    if (this.clusterOptions.heartbeats) this.#send({ type: "adapter-close" });
    for (const request of this.#requests.values()) clearTimeout(request.timer);
    this.#requests.clear();
    this.#ackRequests.clear();
  }

  override serverCount(): Promise<number> {
    const limit = Date.now() - this.clusterOptions.heartbeatTimeout;
    for (const [uid, seen] of this.#nodes) if (seen < limit) this.#nodes.delete(uid);
    return Promise.resolve(this.#nodes.size + 1);
  }

  override broadcast(packet: SocketPacket, opts: BroadcastOptions): void {
    if (opts.flags?.local !== true) {
      this.#send({ type: "broadcast", packet: copyPacket(packet), opts: serialize(opts) });
    }
    super.broadcast(packet, opts);
  }

  override broadcastWithAck(
    packet: SocketPacket & { id?: number },
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    if (opts.flags?.local !== true) {
      const requestId = randomBytes(8).toString("hex");
      this.#ackRequests.set(requestId, { clientCountCallback, ack });
      // Answers arriving after the caller's timeout are useless: forget the request then.
      setTimeout(
        () => this.#ackRequests.delete(requestId),
        opts.flags?.timeout ?? this.clusterOptions.requestsTimeout,
      ).unref();
      this.#send({
        type: "broadcast",
        packet: copyPacket(packet),
        opts: serialize(opts),
        requestId,
      });
    }
    super.broadcastWithAck(packet, opts, clientCountCallback, ack);
  }

  override addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    if (opts.flags?.local !== true) {
      this.#send({ type: "sockets-join", opts: serialize(opts), rooms });
    }
    super.addSockets(opts, rooms);
  }

  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    if (opts.flags?.local !== true) {
      this.#send({ type: "sockets-leave", opts: serialize(opts), rooms });
    }
    super.delSockets(opts, rooms);
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    if (opts.flags?.local !== true) {
      this.#send({ type: "disconnect-sockets", opts: serialize(opts), close });
    }
    super.disconnectSockets(opts, close);
  }

  override async fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const local = await super.fetchSockets(opts);
    const expected = (await this.serverCount()) - 1;
    if (opts.flags?.local === true || expected <= 0) return local;
    const requestId = randomBytes(8).toString("hex");
    return new Promise((resolve, reject) => {
      const all = [...local];
      this.#request(requestId, expected, {
        onResponse: (message) => {
          if (message.type === "fetch-sockets-response") all.push(...message.sockets);
        },
        done: (err) => (err ? reject(err) : resolve(all)),
      });
      this.#send({ type: "fetch-sockets", opts: serialize(opts), requestId }, requestId);
    });
  }

  override serverSideEmit(packet: unknown[]): void {
    const last = packet[packet.length - 1];
    if (typeof last !== "function") {
      this.#send({ type: "server-side-emit", args: packet });
      return;
    }
    const ack = last as (err: Error | null, responses: unknown[]) => void;
    const args = packet.slice(0, -1);
    this.serverCount().then(
      (count) => {
        const expected = count - 1;
        if (expected <= 0) {
          ack(null, []);
          return;
        }
        const requestId = randomBytes(8).toString("hex");
        const responses: unknown[] = [];
        this.#request(requestId, expected, {
          onResponse: (message) => {
            if (message.type === "server-side-emit-response") responses.push(message.args[0]);
          },
          done: (err) => ack(err ?? null, responses),
        });
        this.#send({ type: "server-side-emit", args, requestId }, requestId);
      },
      // The node count is unknown (the backend is down): fail now, not after the timeout.
      (err: unknown) => ack(err instanceof Error ? err : new Error(String(err)), []),
    );
  }

  /** Handle a message published by another node. */
  onMessage(message: ClusterMessage): void {
    if (message.uid === this.uid || message.nsp !== this.nsp.name) return;
    if (message.type !== "adapter-close") this.#nodes.set(message.uid, Date.now());
    switch (message.type) {
      case "initial-heartbeat":
        if (this.clusterOptions.heartbeats) this.#send({ type: "heartbeat" });
        return;
      case "heartbeat":
        return;
      case "adapter-close":
        this.#nodes.delete(message.uid);
        return;
      case "broadcast": {
        const opts = deserialize(message.opts);
        const requestId = message.requestId;
        if (requestId === undefined) {
          super.broadcast(message.packet, opts);
          return;
        }
        const requester = message.uid;
        super.broadcastWithAck(
          message.packet,
          opts,
          (clientCount) =>
            this.#send({ type: "broadcast-client-count", requestId, requester, clientCount }),
          (...args) => this.#send({ type: "broadcast-ack", requestId, requester, args }),
        );
        return;
      }
      case "broadcast-client-count":
        this.#ackRequests.get(message.requestId)?.clientCountCallback(message.clientCount);
        return;
      case "broadcast-ack":
        this.#ackRequests.get(message.requestId)?.ack(...message.args);
        return;
      case "sockets-join":
        super.addSockets(deserialize(message.opts), message.rooms);
        return;
      case "sockets-leave":
        super.delSockets(deserialize(message.opts), message.rooms);
        return;
      case "disconnect-sockets":
        super.disconnectSockets(deserialize(message.opts), message.close);
        return;
      case "fetch-sockets": {
        const { requestId, uid: requester } = message;
        void super
          .fetchSockets(deserialize(message.opts))
          .then((sockets) =>
            this.#send({ type: "fetch-sockets-response", requestId, requester, sockets }),
          );
        return;
      }
      case "server-side-emit": {
        const requestId = message.requestId;
        if (requestId === undefined) {
          this.nsp.receiveServerSideEmit(message.args);
          return;
        }
        const requester = message.uid;
        let answered = false;
        this.nsp.receiveServerSideEmit([
          ...message.args,
          (...args: unknown[]) => {
            if (answered) return;
            answered = true;
            this.#send({ type: "server-side-emit-response", requestId, requester, args });
          },
        ]);
        return;
      }
      case "fetch-sockets-response":
      case "server-side-emit-response": {
        const request = this.#requests.get(message.requestId);
        if (request === undefined) return;
        request.onResponse(message);
        request.received++;
        if (request.received >= request.expected) {
          clearTimeout(request.timer);
          this.#requests.delete(message.requestId);
          request.done();
        }
        return;
      }
    }
  }

  /**
   * Ends every request awaiting answers with `err` now, instead of at its timeout: for a
   * backend whose connection was lost (the answers cannot come).
   */
  protected failRequests(err: Error): void {
    const requests = [...this.#requests.values()];
    this.#requests.clear();
    for (const request of requests) {
      clearTimeout(request.timer);
      request.done(err);
    }
  }

  /**
   * Tells the requests awaiting answers that `nodes` nodes were left at time `countedAt`
   * (ms since the epoch), this one included; a backend that counts nodes itself calls it
   * while requests wait. A request made before then that expects more answers than there
   * were other nodes ends with the answers it has, instead of waiting its timeout for a
   * node that left and will never answer.
   */
  protected nodesLeft(nodes: number, countedAt: number): void {
    const others = Math.max(0, nodes - 1);
    for (const [requestId, request] of this.#requests) {
      if (request.created >= countedAt || request.expected <= others) continue;
      request.expected = others;
      if (request.received < request.expected) continue;
      clearTimeout(request.timer);
      this.#requests.delete(requestId);
      request.done();
    }
  }

  /** Number of requests awaiting answers (for leak checks). */
  get pendingRequests(): number {
    return this.#requests.size;
  }

  /** Requests to other nodes that timed out since the adapter was made (monitoring). */
  get requestTimeouts(): number {
    return this.#requestTimeouts;
  }

  #request(
    requestId: string,
    expected: number,
    handlers: { onResponse(message: ClusterMessage): void; done(err?: Error): void },
  ): void {
    const timer = setTimeout(() => {
      this.#requests.delete(requestId);
      this.#requestTimeouts++;
      debug(
        "request %s timed out (%d of %d answers)",
        requestId,
        request.received,
        request.expected,
      );
      handlers.done(
        new AdapterError(
          AdapterErrorCode.REQUEST_TIMEOUT,
          "timeout reached while waiting for responses from other nodes",
        ),
      );
    }, this.clusterOptions.requestsTimeout);
    timer.unref();
    const request: PendingRequest = {
      created: Date.now(),
      expected,
      received: 0,
      timer,
      onResponse: handlers.onResponse,
      done: handlers.done,
    };
    this.#requests.set(requestId, request);
  }

  /**
   * Publishes a message. When it carries a request of this node (`requestId` of a pending
   * request), a failed publish ends that request with the error at once: nobody heard it,
   * so waiting for answers would only wait for the timeout.
   */
  #send(partial: DistributiveOmit<ClusterMessage, "uid" | "nsp">, requestId?: string): void {
    const message = { ...partial, uid: this.uid, nsp: this.nsp.name } as ClusterMessage;
    const failed = (err: unknown) => {
      debug("publish failed: %s", err);
      const request = requestId === undefined ? undefined : this.#requests.get(requestId);
      if (request === undefined || requestId === undefined) return;
      clearTimeout(request.timer);
      this.#requests.delete(requestId);
      request.done(err instanceof Error ? err : new Error(String(err)));
    };
    try {
      const result = this.publish(message);
      if (result instanceof Promise) result.catch(failed);
    } catch (err) {
      failed(err);
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function serialize(opts: BroadcastOptions): SerializedOptions {
  return {
    rooms: [...opts.rooms],
    except: [...(opts.except ?? [])],
    flags: { ...opts.flags },
  };
}

function deserialize(opts: SerializedOptions): BroadcastOptions {
  return { rooms: new Set(opts.rooms), except: new Set(opts.except), flags: opts.flags };
}

function copyPacket(packet: SocketPacket): SocketPacket {
  return "data" in packet && Array.isArray(packet.data)
    ? ({ ...packet, data: [...packet.data] } as SocketPacket)
    : { ...packet };
}

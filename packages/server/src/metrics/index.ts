/**
 * `@switchboard/server/metrics`: Prometheus metrics of a Switchboard server through
 * prom-client (an optional peer dependency, needed only by this entry).
 */
import type { Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import debugModule from "debug";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { EngineCloseReason } from "../engine/index.js";
import { addEngineObserver } from "../engine/observer.js";
import { SocketErrorCode, SocketTypeError } from "../socket/errors.js";
import { type HealthEndpoint, serveHealth } from "../socket/health.js";
import { addRoute } from "../socket/http-route.js";
import { kOptions } from "../socket/internal.js";
import { addSocketObserver, hiddenNamespaces } from "../socket/observer-slot.js";
import { DisconnectReason } from "../socket/reasons.js";
import type { Server } from "../socket/server.js";
import { Collector, PACKET_TYPES } from "./collector.js";

const debug = debugModule("switchboard:metrics");

/** Options of {@link metrics}. */
export interface MetricsOptions {
  /** The registry to register the metrics in. Default: a new `Registry`. */
  register?: Registry;
  /**
   * Serve `register.metrics()` at this path on the server's HTTP server (exactly this path,
   * the query string aside; other requests go to the server's other listeners). Default:
   * not served (scrape `register` yourself).
   */
  path?: string;
  /** Serve the readiness endpoint at this path too (see `serveHealth`). Default: not served. */
  healthPath?: string;
  /** The HTTP server for `path` and `healthPath`. Default: the server's own (`io.httpServer`). */
  httpServer?: HttpServer | HttpsServer;
  /** Prefix of every metric name. Default `"switchboard_"`. */
  prefix?: string;
  /** Event names with a counter of their own (the most frequent ones); the rest is `"other"`. Default 20. */
  topEvents?: number;
  /** Namespaces with a label of their own (the largest ones); the rest is `"other"`. Default 50. */
  maxNamespaces?: number;
  /** Buckets of the ack round-trip histogram, seconds. Default 0.5 ms to 10 s. */
  ackBuckets?: number[];
}

/** The metrics of one server, from {@link metrics}. */
export interface ServerMetrics {
  /** The registry holding them (the one passed, or a new one). */
  readonly register: Registry;
  /** The health endpoint, when `healthPath` was given. */
  readonly health: HealthEndpoint | undefined;
  /**
   * Stop: the hooks are removed (the server runs as without metrics), the metrics are
   * unregistered from `register`, and the paths are no longer served.
   */
  close(): void;
}

const DEFAULT_ACK_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** What the metrics read of a namespace's adapter, when it has it (the Redis adapters do). */
interface ObservableAdapter {
  readonly health?: unknown;
  readonly requestTimeouts?: unknown;
  readonly publishLag?: unknown;
  /** Cluster recovery (the Redis adapter's hub, shared by namespaces): counts by outcome. */
  readonly recovery?: { readonly restoreOutcomes?: unknown };
  on?(event: "health", listener: (state: unknown) => void): unknown;
  off?(event: "health", listener: (state: unknown) => void): unknown;
}

/** The servers {@link metrics} runs on (one call per server). */
const measured = new WeakSet<object>();

/** Server as the metrics see it, whatever its event maps. */
// biome-ignore lint/suspicious/noExplicitAny: any event maps and socket data
type AnyServer = Server<any, any, any, any>;

/**
 * Prometheus metrics of `io`, through prom-client: connected sockets, sessions,
 * handshakes and refusals, disconnects, packets and bytes, events per name, ack round
 * trips, outgoing buffers, upgrades, the Redis adapter's health and connection state
 * recovery (the list, with labels: the server README, "Metrics"). Label values come from
 * bounded sets (event names and namespaces: the most frequent ones, then `"other"`).
 *
 * Counting happens in plain numbers on the server's hot paths (nothing per socket or per
 * session); prom-client reads them at each scrape. Without a call to `metrics` the server
 * runs no metrics code at all. One call per server.
 *
 * @example
 * ```ts
 * import { Server } from "@switchboard/server";
 * import { metrics } from "@switchboard/server/metrics";
 *
 * const io = new Server(3000);
 * const { register } = metrics(io, { path: "/metrics", healthPath: "/health" });
 * // curl localhost:3000/metrics → switchboard_sockets{namespace="/",transport="websocket"} 12 …
 * ```
 */
export function metrics(io: AnyServer, options: MetricsOptions = {}): ServerMetrics {
  if (measured.has(io)) {
    throw new SocketTypeError(
      SocketErrorCode.INVALID_OPTION,
      "metrics() already runs on this server",
    );
  }
  const prefix = options.prefix ?? "switchboard_";
  const topEvents = options.topEvents ?? 20;
  const maxNamespaces = options.maxNamespaces ?? 50;
  for (const [name, value] of [
    ["topEvents", topEvents],
    ["maxNamespaces", maxNamespaces],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new SocketTypeError(SocketErrorCode.INVALID_OPTION, `${name} must be an integer >= 1`);
    }
  }
  for (const path of [options.path, options.healthPath]) {
    if (path !== undefined && !path.startsWith("/")) {
      throw new SocketTypeError(
        SocketErrorCode.INVALID_OPTION,
        `path "${path}" must start with "/"`,
      );
    }
  }
  const httpServer = options.httpServer ?? (io.httpServer as HttpServer | HttpsServer | undefined);
  if ((options.path !== undefined || options.healthPath !== undefined) && !httpServer) {
    throw new SocketTypeError(
      SocketErrorCode.INVALID_OPTION,
      "the server is not attached to an HTTP server: attach it first, or pass httpServer",
    );
  }
  const register = options.register ?? new Registry();
  const registers = [register];
  const before = new Set(register.getMetricsAsArray().map((m) => m.name));

  const ackHistogram = new Histogram({
    name: `${prefix}ack_round_trip_seconds`,
    help: "Time from socket.emit(…, ack) to the client's answer, seconds",
    buckets: options.ackBuckets ?? DEFAULT_ACK_BUCKETS,
    registers,
  });
  const known = new Set<string>([
    ...Object.values(DisconnectReason),
    ...Object.values(EngineCloseReason),
  ]);
  const hidden = hiddenNamespaces(io);
  const collector = new Collector(
    topEvents,
    io[kOptions].parser !== undefined,
    known,
    (seconds) => ackHistogram.observe(seconds),
    hidden,
  );
  const c = collector;

  // ---- gauges read at each scrape ----
  new Gauge({
    name: `${prefix}sockets`,
    help: "Connected sockets, by namespace and transport",
    labelNames: ["namespace", "transport"],
    registers,
    collect() {
      this.reset();
      const byNsp: [string, Map<string, number>, number][] = [];
      for (const [name, nsp] of io.namespaces) {
        if (hidden.has(name)) continue;
        const byTransport = new Map<string, number>();
        for (const socket of nsp.sockets.values()) {
          const t = socket.conn.transport.name;
          byTransport.set(t, (byTransport.get(t) ?? 0) + 1);
        }
        byNsp.push([name, byTransport, nsp.sockets.size]);
      }
      byNsp.sort((a, b) => b[2] - a[2]);
      for (let i = 0; i < byNsp.length; i++) {
        const [name, byTransport] = byNsp[i]!;
        const namespace = i < maxNamespaces ? name : "other";
        for (const [transport, n] of byTransport) this.inc({ namespace, transport }, n);
      }
    },
  });
  new Gauge({
    name: `${prefix}engine_sessions`,
    help: "Open Engine.IO sessions, by transport",
    labelNames: ["transport"],
    registers,
    collect() {
      this.reset();
      this.set({ transport: "polling" }, 0);
      this.set({ transport: "websocket" }, 0);
      for (const conn of io.engine.clients.values()) this.inc({ transport: conn.transport.name });
    },
  });
  new Gauge({
    name: `${prefix}outgoing_buffered_bytes`,
    help: "Bytes queued for clients and not yet written to the OS, all sessions",
    registers,
    collect() {
      let sum = 0;
      for (const conn of io.engine.clients.values()) sum += conn.bufferedBytes;
      this.set(sum);
    },
  });
  new Gauge({
    name: `${prefix}outgoing_buffered_bytes_max`,
    help: "Bytes queued for the slowest client (largest outgoing buffer)",
    registers,
    collect() {
      let max = 0;
      for (const conn of io.engine.clients.values()) max = Math.max(max, conn.bufferedBytes);
      this.set(max);
    },
  });

  // ---- counters kept by the hooks, copied at each scrape ----
  const mapCounter = (name: string, help: string, label: string, map: Map<string, number>) =>
    new Counter({
      name: `${prefix}${name}`,
      help,
      labelNames: [label],
      registers,
      collect() {
        this.reset();
        for (const [value, n] of map) this.inc({ [label]: value }, n);
      },
    });
  const numberCounter = (name: string, help: string, read: () => number) =>
    new Counter({
      name: `${prefix}${name}`,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  mapCounter(
    "handshakes_total",
    "Engine.IO sessions opened, by first transport",
    "transport",
    c.handshakes,
  );
  mapCounter(
    "handshake_refusals_total",
    "Engine.IO handshakes and requests refused, by SB_ERR_* code",
    "code",
    c.refusals,
  );
  mapCounter(
    "connections_total",
    "Sockets connected to a namespace, by whether they resumed a session",
    "recovered",
    c.connections,
  );
  mapCounter(
    "recoveries_total",
    "Connections that asked to resume a session (connection state recovery), by outcome",
    "recovered",
    c.recoveries,
  );
  mapCounter("disconnects_total", "Socket disconnects, by reason", "reason", c.disconnects);
  mapCounter(
    "engine_closes_total",
    "Engine.IO sessions closed, by reason",
    "reason",
    c.engineCloses,
  );
  mapCounter("upgrades_total", "Transport upgrade attempts, by outcome", "outcome", c.upgrades);
  numberCounter(
    "buffer_overflow_total",
    "Sessions closed because their outgoing buffer went over maxBufferedBytes",
    () => c.bufferOverflows,
  );
  numberCounter(
    "volatile_dropped_total",
    "Volatile messages dropped because the transport could not write them",
    () => c.volatileDrops,
  );
  numberCounter(
    "ack_timeouts_total",
    "socket.emit acks that timed out (timeout() or ackTimeout)",
    () => c.ackTimeouts,
  );
  const packetCounter = (name: string, help: string, table: Float64Array) =>
    new Counter({
      name: `${prefix}${name}`,
      help,
      labelNames: ["type"],
      registers,
      collect() {
        c.flushSent();
        this.reset();
        for (let i = 0; i < PACKET_TYPES.length; i++) {
          const n = table[i]!;
          if (n > 0) this.inc({ type: PACKET_TYPES[i]! }, n);
        }
      },
    });
  packetCounter("packets_received_total", "Packets received, by type", c.packetsIn);
  packetCounter("packets_sent_total", "Packets queued for sending, by type", c.packetsOut);
  packetCounter("bytes_received_total", "Payload bytes received, by packet type", c.bytesIn);
  packetCounter("bytes_sent_total", "Payload bytes queued for sending, by packet type", c.bytesOut);
  new Counter({
    name: `${prefix}events_received_total`,
    help: `Events received from clients, by name (the ${topEvents} most frequent; the rest "other")`,
    labelNames: ["event"],
    registers,
    collect() {
      this.reset();
      const events = c.events;
      for (const [event, [total]] of events.entries()) this.inc({ event }, total);
      this.inc({ event: "other" }, events.other);
      events.rebalance();
    },
  });

  // ---- the adapters (Redis: `health`, its "health" event, `requestTimeouts`) ----
  const adapters = new AdapterWatch();
  new Gauge({
    name: `${prefix}adapter_up`,
    help: "1 when the namespace's adapter reaches its backend (Redis), 0 when not",
    labelNames: ["namespace"],
    registers,
    collect() {
      this.reset();
      let n = 0;
      adapters.sync(io.namespaces.values());
      for (const [name, nsp] of io.namespaces) {
        const adapter = nsp.adapter as ObservableAdapter;
        if (typeof adapter.health !== "string" || n++ >= maxNamespaces) continue;
        this.set({ namespace: name }, adapter.health === "ready" ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: `${prefix}adapter_publish_lag_seconds`,
    help: "Time a probe published to the adapter's backend (Redis) took to come back, last probe, seconds",
    labelNames: ["namespace"],
    registers,
    collect() {
      this.reset();
      let n = 0;
      for (const [name, nsp] of io.namespaces) {
        const lag = (nsp.adapter as ObservableAdapter).publishLag;
        if (typeof lag !== "number" || n++ >= maxNamespaces) continue;
        this.set({ namespace: name }, lag);
      }
    },
  });
  numberCounter(
    "adapter_resubscribes_total",
    "Times an adapter's backend came back after being down (the subscriber resubscribes its channels)",
    () => adapters.resubscribes,
  );
  numberCounter(
    "adapter_request_timeouts_total",
    "Requests to other nodes that timed out (fetchSockets, serverSideEmit, …)",
    () => {
      adapters.sync(io.namespaces.values());
      return adapters.requestTimeouts;
    },
  );

  new Counter({
    name: `${prefix}cluster_recoveries_total`,
    help: "Session restores attempted on this node by the cluster recovery of the adapter (Redis), by outcome",
    labelNames: ["outcome"],
    registers,
    collect() {
      this.reset();
      adapters.sync(io.namespaces.values());
      for (const [outcome, n] of adapters.restoreOutcomes) this.inc({ outcome }, n);
    },
  });

  // ---- hooks ----
  const onConnection = (conn: { transport: { name: string } }) =>
    bumpKey(c.handshakes, conn.transport.name);
  const onRefusal = (err: { errorCode?: unknown }) =>
    bumpKey(c.refusals, typeof err.errorCode === "string" ? err.errorCode : "other");
  const onNamespace = (nsp: { adapter: unknown }) =>
    adapters.watch(nsp.adapter as ObservableAdapter);
  io.engine.on("connection", onConnection);
  io.engine.on("connection_error", onRefusal);
  io.sockets.on("new_namespace", onNamespace);
  adapters.sync(io.namespaces.values());
  measured.add(io);
  const removeSocketObserver = addSocketObserver(io, collector);
  const removeEngineObserver = addEngineObserver(io.engine, collector);

  // ---- serving ----
  let removeRoute: (() => void) | undefined;
  if (options.path !== undefined && httpServer) {
    removeRoute = addRoute(httpServer, options.path, (_req, res) => {
      register.metrics().then(
        (text) => {
          res.writeHead(200, { "Content-Type": register.contentType });
          res.end(text);
        },
        (err: unknown) => {
          debug("scrape failed: %s", err);
          res.writeHead(500, { "Content-Type": "text/plain" });
          res.end(String(err));
        },
      );
    });
  }
  const health =
    options.healthPath !== undefined && httpServer
      ? serveHealth(io, { path: options.healthPath, httpServer })
      : undefined;
  debug("metrics on (prefix %s)", prefix);

  const ours = register
    .getMetricsAsArray()
    .map((m) => m.name)
    .filter((name) => !before.has(name));
  let closed = false;
  return {
    register,
    health,
    close() {
      if (closed) return;
      closed = true;
      measured.delete(io);
      removeSocketObserver();
      removeEngineObserver();
      io.engine.off("connection", onConnection);
      io.engine.off("connection_error", onRefusal);
      io.sockets.off("new_namespace", onNamespace);
      adapters.close();
      removeRoute?.();
      health?.close();
      for (const name of ours) register.removeSingleMetric(name);
      debug("metrics off");
    },
  };
}

function bumpKey(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Most `outcome` labels of cluster_recoveries_total (the Redis hub has 9). */
const MAX_OUTCOMES = 16;

/**
 * The adapters of the server's namespaces that report their health: their "health"
 * events (down → ready counts as a resubscription) and their `requestTimeouts` counts,
 * folded into totals that only grow, even when an adapter is replaced or its namespace
 * removed. Holds the adapters of live namespaces only: {@link sync} (each scrape) lets the
 * others go.
 */
class AdapterWatch {
  resubscribes = 0;
  requestTimeouts = 0;
  /** Cluster restores by outcome, all recovery hubs seen (at most {@link MAX_OUTCOMES} labels). */
  readonly restoreOutcomes = new Map<string, number>();
  /** Recovery hubs of live adapters and their counts last read (one hub serves many namespaces). */
  readonly #hubs = new Map<object, Map<string, number>>();
  /** Watched adapters: their health listener and the `requestTimeouts` last read. */
  readonly #watched = new Map<
    ObservableAdapter,
    { listener: (s: unknown) => void; timeouts: number }
  >();

  watch(adapter: ObservableAdapter): void {
    if (this.#watched.has(adapter)) return;
    if (typeof adapter.health !== "string" || typeof adapter.on !== "function") return;
    let last: unknown = adapter.health;
    const listener = (state: unknown) => {
      if (state === "ready" && last !== "ready") this.resubscribes++;
      last = state;
    };
    adapter.on("health", listener);
    const timeouts = typeof adapter.requestTimeouts === "number" ? adapter.requestTimeouts : 0;
    this.#watched.set(adapter, { listener, timeouts });
  }

  /** Watch the adapters of `namespaces`, fold in their request timeouts, forget the others. */
  sync(namespaces: Iterable<{ readonly adapter: unknown }>): void {
    const live = new Set<ObservableAdapter>();
    for (const nsp of namespaces) {
      const adapter = nsp.adapter as ObservableAdapter;
      this.watch(adapter);
      live.add(adapter);
    }
    for (const [adapter, entry] of this.#watched) {
      const now = adapter.requestTimeouts;
      if (typeof now === "number" && now > entry.timeouts) {
        this.requestTimeouts += now - entry.timeouts;
        entry.timeouts = now;
      }
      if (!live.has(adapter)) this.#forget(adapter, entry.listener);
    }
    const liveHubs = new Set<object>();
    for (const adapter of live) {
      const hub = adapter.recovery;
      if (typeof hub !== "object" || hub === null || liveHubs.has(hub)) continue;
      const counts = hub.restoreOutcomes;
      if (typeof counts !== "object" || counts === null) continue;
      liveHubs.add(hub);
      let seen = this.#hubs.get(hub);
      if (seen === undefined) {
        seen = new Map();
        this.#hubs.set(hub, seen);
      }
      for (const [outcome, value] of Object.entries(counts)) {
        if (typeof value !== "number") continue;
        const delta = value - (seen.get(outcome) ?? 0);
        if (delta <= 0) continue;
        seen.set(outcome, value);
        const label =
          this.restoreOutcomes.has(outcome) || this.restoreOutcomes.size < MAX_OUTCOMES
            ? outcome
            : "other";
        this.restoreOutcomes.set(label, (this.restoreOutcomes.get(label) ?? 0) + delta);
      }
    }
    for (const hub of this.#hubs.keys()) if (!liveHubs.has(hub)) this.#hubs.delete(hub);
  }

  /** Adapters watched now (leak checks). */
  get size(): number {
    return this.#watched.size;
  }

  close(): void {
    for (const [adapter, entry] of this.#watched) this.#forget(adapter, entry.listener);
    this.#hubs.clear();
  }

  #forget(adapter: ObservableAdapter, listener: (s: unknown) => void): void {
    adapter.off?.("health", listener);
    this.#watched.delete(adapter);
  }
}

/**
 * `@switchboard/server/dashboard`: a live dashboard of a Switchboard server or cluster,
 * served by the server itself, behind authentication.
 */
import { randomBytes } from "node:crypto";
import type { Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import debugModule from "debug";
import { addEngineObserver } from "../engine/observer.js";
import { SocketErrorCode, SocketTypeError } from "../socket/errors.js";
import { addRoute } from "../socket/http-route.js";
import { kOptions } from "../socket/internal.js";
import { addSocketObserver, hideNamespace } from "../socket/observer-slot.js";
import type { Server } from "../socket/server.js";
import {
  ActionError,
  ActionErrorCode,
  type ActionTarget,
  parseAction,
  runAction,
} from "./actions.js";
import { type DashboardAuth, expectedCredentials, tokenKey, verifyToken } from "./auth.js";
import { ClusterView, NODE_REQUEST_EVENT } from "./cluster-view.js";
import { type AnswerSource, NodeAnswers, parseNodeRequest } from "./node-answers.js";
import { NodeStats } from "./node-stats.js";
import { servePage } from "./page.js";

export { ActionError, ActionErrorCode, type DashboardAction } from "./actions.js";
export type { BasicCredentials, DashboardAuth } from "./auth.js";
export type { MissingNode, RoomsPage, SocketsPage } from "./cluster-view.js";
export type { NodeInfo, SocketRow } from "./node-answers.js";
export type { DisconnectRecord, SecondSample } from "./node-stats.js";

const debug = debugModule("switchboard:dashboard");

/** Options of {@link dashboard}. Times in ms, sizes in bytes. */
export interface DashboardOptions {
  /**
   * Who may open the dashboard (required): `{ username, password }` for HTTP basic
   * authentication (compared in constant time), a check of your own
   * `(req) => boolean | Promise<boolean>` (a request it refuses gets 403), or `false` to
   * leave it open (local development only: anyone who reaches the port can disconnect
   * sockets and emit events). Without it, {@link dashboard} throws
   * `SB_ERR_DASHBOARD_AUTH_REQUIRED`.
   */
  auth: DashboardAuth;
  /** Where the page is served. Default `"/dashboard"`. */
  path?: string;
  /** The HTTP server to serve it on. Default: the server's own (`io.httpServer`). */
  httpServer?: HttpServer | HttpsServer;
  /** The namespace of the page's live connection (hidden from the dashboard's lists). Default `"/_switchboard"`. */
  namespace?: string;
  /**
   * Key of the page's connection tokens. Every node must have the same one when the page
   * and its connection may reach different nodes (no sticky sessions). Default: derived
   * from the basic credentials; with a check of your own or `auth: false`, random per process.
   */
  secret?: string;
  /** How long a connection token stays valid (the page fetches one per connection attempt). Default 60 000. */
  tokenTtl?: number;
  /** Sockets per page of the sockets list, and rooms listed (each node sends at most this many). Default 100, at most 1000. */
  pageSize?: number;
  /** `socket.data` shown per socket, JSON characters (cut beyond). Default 2048. */
  maxDataBytes?: number;
  /** Disconnects kept per node (the latest). Default 100. */
  disconnects?: number;
  /** Largest payload of the "emit a test event" action, bytes of JSON text. Default 16 384. */
  maxPayloadBytes?: number;
  /** Requests a page may have in progress at once (more are answered `busy`). Default 4. */
  maxPendingRequests?: number;
  /** Show the cluster, and refuse every action (`SB_ERR_DASHBOARD_READ_ONLY`). Default false. */
  readOnly?: boolean;
  /** The page's title. Default `"Switchboard"`. */
  title?: string;
}

/** A running dashboard, from {@link dashboard}. */
export interface Dashboard {
  /** Where the page is served. */
  readonly path: string;
  /** The namespace of the page's connection. */
  readonly namespace: string;
  /** This node's id, as the page shows it. */
  readonly nodeId: string;
  /**
   * Stop: the page is no longer served, its connections are closed, the namespace is
   * forgotten and its adapter closed, and the server's hooks are removed.
   */
  close(): void;
}

/** Server as the dashboard sees it, whatever its event maps. */
// biome-ignore lint/suspicious/noExplicitAny: any event maps and socket data
type AnyServer = Server<any, any, any, any>;

/** Things a page's socket is given from the dashboard namespace. */
type Ack = (answer: unknown) => void;

const running = new WeakSet<object>();

/**
 * Serve a live dashboard of `io` at `options.path`: the nodes of the cluster (host, pid,
 * uptime, memory, sessions by transport), events in and out per second and ack round trips
 * (p50/p95) as live charts, the latest disconnect reasons, the sockets (paged, searchable
 * by id or room, with their rooms, data and transport) and rooms of a namespace; and
 * actions: disconnect a socket, make it join or leave a room, emit a test event to a socket
 * or a room. Cluster-wide: every node that calls `dashboard` answers through the adapter
 * (call it on every node, with the same `auth` or `secret`). Off unless called.
 *
 * The page is served from memory (built into the package; no CDN, no external font) behind
 * `auth`; its live connection (a namespace of its own, `/_switchboard`) needs a short-lived
 * token that only the authenticated page can fetch. Actions are logged
 * (`DEBUG=switchboard:dashboard`).
 *
 * @example
 * ```ts
 * import { Server } from "@switchboard/server";
 * import { dashboard } from "@switchboard/server/dashboard";
 *
 * const io = new Server(3000);
 * dashboard(io, { auth: { username: "admin", password: process.env.DASHBOARD_PASSWORD! } });
 * // open http://localhost:3000/dashboard
 * ```
 */
export function dashboard(io: AnyServer, options: DashboardOptions): Dashboard {
  const fail = (message: string) => new SocketTypeError(SocketErrorCode.INVALID_OPTION, message);
  const auth = (options as Partial<DashboardOptions> | undefined)?.auth;
  if (auth === undefined || auth === null || (auth as unknown) === true) {
    throw new SocketTypeError(
      SocketErrorCode.DASHBOARD_AUTH_REQUIRED,
      "dashboard() needs auth: { username, password }, a function (req) => boolean, or false (local development only)",
    );
  }
  if (typeof auth === "object") {
    if (
      typeof auth.username !== "string" ||
      typeof auth.password !== "string" ||
      auth.password === "" ||
      auth.username.includes(":")
    ) {
      throw new SocketTypeError(
        SocketErrorCode.DASHBOARD_AUTH_REQUIRED,
        "auth: username (no colon) and a non-empty password are strings",
      );
    }
  } else if (auth !== false && typeof auth !== "function") {
    throw new SocketTypeError(
      SocketErrorCode.DASHBOARD_AUTH_REQUIRED,
      "auth: an object, a function or false",
    );
  }
  if (running.has(io)) throw fail("dashboard() already runs on this server");
  const path = options.path ?? "/dashboard";
  if (!path.startsWith("/") || path.endsWith("/") || path.length > 200) {
    throw fail(`path "${path}" must start with "/" and not end with one`);
  }
  const namespace = options.namespace ?? "/_switchboard";
  if (!namespace.startsWith("/") || namespace === "/") {
    throw fail(`namespace "${namespace}" must start with "/" and not be the main namespace`);
  }
  const positive = (name: string, value: number | undefined, fallback: number, max = Infinity) => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < 1 || v > max)
      throw fail(`${name} must be an integer from 1 to ${max}`);
    return v;
  };
  const tokenTtl = positive("tokenTtl", options.tokenTtl, 60_000);
  const pageSize = positive("pageSize", options.pageSize, 100, 1000);
  const maxDataBytes = positive("maxDataBytes", options.maxDataBytes, 2048, 1 << 20);
  const disconnects = positive("disconnects", options.disconnects, 100, 10_000);
  const maxPayloadBytes = positive("maxPayloadBytes", options.maxPayloadBytes, 16_384, 1 << 20);
  const maxPending = positive("maxPendingRequests", options.maxPendingRequests, 4, 100);
  const readOnly = options.readOnly === true;
  const httpServer = options.httpServer ?? (io.httpServer as HttpServer | HttpsServer | undefined);
  if (!httpServer) {
    throw fail("the server is not attached to an HTTP server: attach it first, or pass httpServer");
  }
  const key = tokenKey(auth, options.secret);
  const nodeId = randomBytes(6).toString("hex");

  // ---- this node's numbers ----
  const stats = new NodeStats(
    { historySeconds: 60, disconnects, ackSamples: 1000 },
    namespace,
    io[kOptions].parser !== undefined,
  );
  const answers = new NodeAnswers(nodeId, io as unknown as AnswerSource, stats, namespace, {
    maxDataBytes,
    maxNamespaces: 50,
    roomsPerSocket: 20,
  });
  running.add(io);
  const removeSocketObserver = addSocketObserver(io, stats);
  const removeEngineObserver = addEngineObserver(io.engine, stats);
  // The page's sockets and requests stay out of the Prometheus metrics too.
  const unhide = hideNamespace(io, namespace);

  // ---- the namespace: the page's connection, and the other nodes' requests ----
  const own = io.of(namespace);
  let closed = false;
  own.use((socket, next) => {
    if (!closed && verifyToken(key, socket.handshake.auth.token)) {
      next();
      return;
    }
    debug(
      "refused a connection to %s from %s: no valid token",
      namespace,
      socket.handshake.address,
    );
    next(
      Object.assign(new Error("dashboard: a valid token is required"), {
        data: { code: SocketErrorCode.DASHBOARD_TOKEN },
      }),
    );
  });
  const onNodeRequest = (request: unknown, ack: unknown) => {
    if (typeof ack !== "function") return;
    const parsed = parseNodeRequest(request, 1000);
    (ack as Ack)(parsed === null ? null : answers.answer(parsed));
  };
  own.on(NODE_REQUEST_EVENT, onNodeRequest);
  const view = new ClusterView(
    answers,
    (request, done) => own.serverSideEmit(NODE_REQUEST_EVENT, request, done),
    60_000,
    256,
  );

  own.on("connection", (socket) => {
    const who = `${socket.id} (${socket.handshake.address})`;
    debug("page connected: %s", who);
    let pending = 0;
    /** Runs `work` for an acked request, at most `maxPending` at once per page. */
    const handle = (name: string, work: (args: unknown) => unknown) => {
      socket.on(name, (args: unknown, ack: unknown) => {
        if (typeof ack !== "function") return;
        const reply = ack as Ack;
        if (pending >= maxPending) {
          reply({ error: { code: "busy", message: "too many requests in progress" } });
          return;
        }
        pending++;
        Promise.resolve()
          .then(() => work(args))
          .then(
            (answer) => reply(answer),
            (err: unknown) => {
              const e = err as { code?: unknown; message?: unknown };
              reply({
                error: {
                  code: typeof e.code === "string" ? e.code : "failed",
                  message: String(e.message ?? err),
                },
              });
            },
          )
          .finally(() => pending--);
      });
    };
    handle("overview", async () => {
      const result = await view.stats();
      return {
        node: nodeId,
        nodes: result.answers,
        missing: result.missing,
        error: result.error,
        readOnly,
      };
    });
    handle("sockets", (args) => {
      const r = parseNodeRequest({ ...(args as object), kind: "sockets" }, pageSize);
      if (r === null || r.kind !== "sockets") {
        throw new ActionError(ActionErrorCode.INVALID, "sockets: { nsp, query?, after?, limit? }");
      }
      return view.sockets(r.nsp, r.query, r.after, r.limit);
    });
    handle("rooms", (args) => {
      const r = parseNodeRequest({ ...(args as object), kind: "rooms" }, pageSize);
      if (r === null || r.kind !== "rooms") {
        throw new ActionError(ActionErrorCode.INVALID, "rooms: { nsp, query?, limit? }");
      }
      return view.rooms(r.nsp, r.query, r.limit);
    });
    handle("action", (args) => {
      if (readOnly) throw new ActionError(ActionErrorCode.READ_ONLY, "the dashboard is read-only");
      const action = parseAction(args, maxPayloadBytes);
      const target = action.nsp === namespace ? undefined : io.namespaces.get(action.nsp);
      if (target === undefined) {
        throw new ActionError(
          ActionErrorCode.UNKNOWN_NAMESPACE,
          `no namespace ${action.nsp} on this node`,
        );
      }
      runAction(target as unknown as ActionTarget, action);
      debug("action by page %s: %o", who, action);
      return { ok: true };
    });
    socket.on("disconnect", (reason) => debug("page disconnected: %s (%s)", who, reason));
  });

  // ---- the page ----
  const removeRoute = addRoute(
    httpServer,
    (p) => p === path || p.startsWith(`${path}/`),
    servePage({
      path,
      auth,
      expected: expectedCredentials(auth),
      key,
      tokenTtl,
      config: {
        path,
        namespace,
        enginePath: io.path(),
        title: options.title ?? "Switchboard",
        readOnly,
        pageSize,
      },
    }),
  );
  debug("dashboard on %s (namespace %s, node %s)", path, namespace, nodeId);

  return {
    path,
    namespace,
    nodeId,
    close() {
      if (closed) return;
      closed = true;
      running.delete(io);
      removeRoute();
      removeSocketObserver();
      removeEngineObserver();
      unhide();
      own.off(NODE_REQUEST_EVENT, onNodeRequest);
      own.local.disconnectSockets(true);
      own.removeAllListeners("connection");
      io.forgetNamespace(own);
      void Promise.resolve(own.adapter.close()).catch((err: unknown) =>
        debug("closing the adapter of %s: %O", namespace, err),
      );
      debug("dashboard off");
    },
  };
}

import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  type ServerResponse,
} from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";

/** A balancer target: `"host:port"`, `"http://host:port"`, or `{ host, port }`. */
export type BalancerTarget = string | { host: string; port: number };

/** Options of {@link createBalancer}. */
export interface BalancerOptions {
  /** Port to listen on. Default 0 (any free port). */
  port?: number;
  /** Address to listen on. Default `"127.0.0.1"`. */
  host?: string;
}

/** What a {@link Balancer} has done so far. */
export interface BalancerStats {
  /** HTTP requests passed on (each to one target). */
  requests: number;
  /** WebSocket (upgrade) connections passed on. */
  upgrades: number;
  /** Connections a target refused (the next target was tried). */
  refused: number;
  /** Requests and upgrades per target, by `"host:port"`. */
  byTarget: Record<string, number>;
}

/** A running round-robin load balancer made by {@link createBalancer}. */
export interface Balancer {
  /** The port it listens on. */
  port: number;
  /** `http://host:port`. */
  url: string;
  /** Replaces the targets (requests in flight keep theirs). */
  setTargets(targets: readonly BalancerTarget[]): void;
  /** Counters, updated live. */
  readonly stats: BalancerStats;
  /** Stops listening and cuts every connection, tunnels included. */
  close(): Promise<void>;
}

interface Target {
  host: string;
  port: number;
  key: string;
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

function parseTarget(target: BalancerTarget): Target {
  if (typeof target !== "string") {
    return { host: target.host, port: target.port, key: `${target.host}:${target.port}` };
  }
  const url = new URL(target.includes("://") ? target : `http://${target}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(url.port || 80);
  return { host, port, key: `${host}:${port}` };
}

/**
 * A round-robin HTTP load balancer for tests, without sticky sessions: EACH HTTP request
 * goes to the next target (even two requests on one kept-alive client connection), and each
 * WebSocket upgrade is piped over TCP to the next target. A target that refuses the
 * connection is skipped (the next one is tried; 502 when all refuse). It shows what a plain
 * balancer does to long-polling: a session's requests land on every node in turn.
 *
 * @example
 * ```ts
 * import { createMemoryDirectory, Server } from "@switchboard/server";
 * import { createBalancer } from "@switchboard/server/testing";
 * import { io } from "socket.io-client";
 *
 * const directory = createMemoryDirectory();
 * const a = new Server(3001, { forwarding: { directory } });
 * const b = new Server(3002, { forwarding: { directory } });
 * await Promise.all([a.engine.forwardingReady(), b.engine.forwardingReady()]);
 * const lb = await createBalancer(["127.0.0.1:3001", "127.0.0.1:3002"]);
 * const socket = io(lb.url); // polling alternates between a and b, then upgrades
 * // ...
 * await lb.close();
 * ```
 */
export async function createBalancer(
  targets: readonly BalancerTarget[],
  opts: BalancerOptions = {},
): Promise<Balancer> {
  let list = targets.map(parseTarget);
  let next = 0;
  const stats: BalancerStats = { requests: 0, upgrades: 0, refused: 0, byTarget: {} };
  const open = new Set<Duplex>();
  /**
   * The targets for one request, in the order to try them: the next one in turn, then the
   * others after it (a refused target is skipped, each tried at most once).
   */
  const order = (): Target[] => {
    const n = list.length;
    if (n === 0) return [];
    const first = next % n;
    next = (first + 1) % n;
    return [...list.slice(first), ...list.slice(0, first)];
  };
  const count = (target: Target) => {
    stats.byTarget[target.key] = (stats.byTarget[target.key] ?? 0) + 1;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, tries: Target[]): void => {
    const target = tries.shift();
    if (target === undefined) {
      res.writeHead(502, { "Content-Length": 0, Connection: "close" }).end();
      return;
    }
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name)) headers[name] = value;
    }
    const out = request({
      host: target.host,
      port: target.port,
      method: req.method,
      path: req.url,
      headers,
      agent: false,
    });
    let connected = false;
    out.on("socket", (socket: Socket) => {
      socket.once("connect", () => {
        connected = true;
        stats.requests++;
        count(target);
        req.pipe(out);
      });
    });
    out.on("response", (answer: IncomingMessage) => {
      const back: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (!HOP_BY_HOP.has(name)) back[name] = value;
      }
      res.writeHead(answer.statusCode ?? 502, back);
      answer.pipe(res);
    });
    out.on("error", () => {
      if (!connected) {
        stats.refused++;
        forward(req, res, tries);
      } else if (!res.headersSent) res.writeHead(502, { "Content-Length": 0 }).end();
      else res.destroy();
    });
    res.on("close", () => {
      if (!res.writableFinished) out.destroy();
    });
  };

  const tunnel = (req: IncomingMessage, socket: Duplex, head: Buffer, tries: Target[]): void => {
    const target = tries.shift();
    if (target === undefined) {
      socket.end("HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const upstream = connect({ host: target.host, port: target.port });
    let connected = false;
    upstream.on("connect", () => {
      connected = true;
      open.add(upstream);
      stats.upgrades++;
      count(target);
      let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
        text += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      }
      upstream.write(`${text}\r\n`);
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    upstream.on("error", () => {
      if (!connected) {
        stats.refused++;
        tunnel(req, socket, head, tries);
      } else socket.destroy();
    });
    upstream.on("close", () => {
      open.delete(upstream);
      if (connected) socket.destroy();
    });
    socket.on("close", () => upstream.destroy());
  };

  const server = createServer((req, res) => forward(req, res, order()));
  server.on("connection", (socket: Socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    tunnel(req, socket, head, order());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    port: address.port,
    url: `http://${host}:${address.port}`,
    stats,
    setTargets(targets) {
      list = targets.map(parseTarget);
      next = 0;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
        open.clear();
      });
    },
  };
}

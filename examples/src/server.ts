import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import express, { type Express } from "express";
import { type ClusterLink, type ClusterOptions, connectCluster } from "./cluster.js";
import { logActivity } from "./demos/activity.js";
import { mountAudio } from "./demos/audio.js";
import { mountChat } from "./demos/chat.js";
import type { DemoServer } from "./demos/io-types.js";
import { mountPolls } from "./demos/polls.js";
import { mountUploads } from "./demos/uploads.js";
import { mountWhere } from "./demos/where.js";
import { demoLog } from "./lib/log.js";
import { RecordingStore } from "./lib/recording-store.js";
import { resolveInside } from "./lib/safe-name.js";
import { type UploadLimits, UploadStore } from "./lib/upload-store.js";
import { listeningUrls } from "./lib/urls.js";
import { createRealtime } from "./realtime.js";

/** Folder of the pages, styles and the esbuild output (`public/build/`). */
export const PUBLIC_DIR = fileURLToPath(new URL("../public", import.meta.url));
/** Default data folder: `examples/data/` (git-ignored). */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL("../data", import.meta.url));

export interface AppOptions {
  /** TCP port; 0 picks a free one. Default 5000. */
  port?: number;
  /** Interface to listen on. Default: every interface. */
  host?: string;
  /** Where recordings and uploads are written. Default `examples/data/`. */
  dataDir?: string;
  /** Upload limits (see {@link UploadLimits}). */
  uploadLimits?: Partial<UploadLimits>;
  /** Per-recording bound on sample bytes. Default 20 MiB. */
  maxRecordingBytes?: number;
  /** Interval of the polls' tally task, in ms. Default 250. */
  pollIntervalMs?: number;
  /**
   * Share rooms and broadcasts with the other demo processes on this Redis (a cluster, as
   * `npm run start:cluster` runs it). Default: none, the in-memory adapter (no Redis).
   */
  cluster?: ClusterOptions;
  /**
   * Serve the live dashboard (`@switchboard/server/dashboard`) at `/dashboard`, behind HTTP
   * basic authentication with these credentials. Default: off. `npm start` turns it on when
   * `DASHBOARD_PASSWORD` is set (user `DASHBOARD_USER`, default `admin`).
   */
  dashboard?: { username: string; password: string };
}

export interface RunningApp {
  /** The first of {@link RunningApp.urls}: `http://localhost:PORT` or the given host. */
  readonly url: string;
  /** Every URL the app answers on: localhost and each external address (see listeningUrls). */
  readonly urls: readonly string[];
  readonly port: number;
  readonly dataDir: string;
  readonly httpServer: HttpServer;
  /** The cluster this process is part of, when {@link AppOptions.cluster} was given. */
  readonly cluster: ClusterOptions | undefined;
  /** What the demos hold for connected clients (leak checks). */
  stats(): DemoStats;
  close(): Promise<void>;
}

/** Per-connection state held by the demos; all zero once every client has left. */
export interface DemoStats {
  chatOnline: number;
  uploadsOpen: number;
  recordingsActive: number;
  pollVoters: number;
  pollConnected: number;
  pins: number;
}

export interface DemoStores {
  recordings: RecordingStore;
  uploads: UploadStore;
}

/**
 * Mounts the five demos on a socket.io-compatible server, each namespace's connections
 * logged under `switchboard:demo`. Returns their cleanup.
 */
export function mountDemos(
  io: DemoServer,
  stores: DemoStores,
  options: { pollIntervalMs?: number } = {},
): { stop(): void; stats(): DemoStats } {
  const of = (name: string) => {
    const nsp = io.of(name);
    logActivity(nsp);
    return nsp;
  };
  const chat = mountChat(of("/chat"));
  mountAudio(of("/audio"), stores.recordings, "/data/audio");
  mountUploads(of("/uploads"), stores.uploads, "/data/uploads");
  const polls = mountPolls(of("/polls"), of("/polls-admin"), {
    intervalMs: options.pollIntervalMs ?? 250,
  });
  const pins = mountWhere(of("/where"), of("/where-admin"));
  return {
    stop: () => polls.stop(),
    stats: () => ({
      chatOnline: chat.online(),
      uploadsOpen: stores.uploads.openCount,
      recordingsActive: stores.recordings.activeCount,
      pollVoters: polls.tally.snapshot().voted,
      pollConnected: polls.connected(),
      pins: pins.size,
    }),
  };
}

/** The Express part: pages, bundles, finished recordings and uploaded files. */
export function createHttpApp(dataDir: string): Express {
  const app = express();
  app.disable("x-powered-by");
  const audioDir = path.join(dataDir, "audio");
  const uploadDir = path.join(dataDir, "uploads");

  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });

  app.get("/data/audio/:file", (req, res) => {
    const file = req.params.file;
    if (!/^rec-[\w-]+\.wav$/.test(file)) {
      res.status(404).end();
      return;
    }
    res.sendFile(
      resolveInside(audioDir, file),
      { headers: { "Content-Type": "audio/wav" } },
      (err) => {
        if (err && !res.headersSent) res.status(404).end();
      },
    );
  });

  // Uploaded files are whatever users sent: always downloads, never rendered as a page.
  app.get("/data/uploads/:file", (req, res) => {
    let full: string;
    try {
      full = resolveInside(uploadDir, req.params.file);
    } catch {
      res.status(404).end();
      return;
    }
    if (full.endsWith(".part")) {
      res.status(404).end();
      return;
    }
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.download(full, req.params.file.replace(/^[0-9a-f]{8}-/, ""), (err) => {
      if (err && !res.headersSent) res.status(404).end();
    });
  });

  app.use(express.static(PUBLIC_DIR, { extensions: ["html"] }));
  return app;
}

/**
 * Starts the demo app: Express for pages and files, `@switchboard/server` for the five
 * demos, the in-memory adapter (or a Redis one with `cluster`), files under `dataDir`.
 *
 * @example
 * const app = await createApp({ port: 0, host: "127.0.0.1", dataDir: "/tmp/demo" });
 * console.log(app.url);
 * await app.close();
 */
export async function createApp(options: AppOptions = {}): Promise<RunningApp> {
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const stores: DemoStores = {
    recordings: new RecordingStore(path.join(dataDir, "audio"), options.maxRecordingBytes),
    uploads: new UploadStore(path.join(dataDir, "uploads"), options.uploadLimits),
  };
  // Slow-loris bounds (Node allows 60 s for headers and 300 s per request by default).
  const httpServer = createServer(
    { headersTimeout: 10_000, requestTimeout: 60_000, connectionsCheckingInterval: 2_000 },
    createHttpApp(dataDir),
  );
  const link: ClusterLink | undefined = options.cluster
    ? await connectCluster(options.cluster)
    : undefined;
  const io = createRealtime(httpServer, link?.adapter, link?.serverOptions, options.dashboard);
  const demos = mountDemos(io, stores, { pollIntervalMs: options.pollIntervalMs });

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(options.port ?? 5000, options.host, () => {
      httpServer.off("error", reject);
      resolve();
    });
  });
  const { port } = httpServer.address() as AddressInfo;
  const urls = listeningUrls(port, options.host, networkInterfaces());
  let closing: Promise<void> | undefined;
  return {
    url: (urls[0] ?? `http://localhost:${port}/`).replace(/\/$/, ""),
    urls,
    port,
    dataDir,
    httpServer,
    cluster: options.cluster,
    stats: () => demos.stats(),
    close() {
      closing ??= new Promise<void>((resolve) => {
        demos.stop();
        io.closeDashboard();
        io.close();
        httpServer.closeAllConnections();
        httpServer.close(() => resolve());
      }).then(() => link?.close());
      return closing;
    },
  };
}

async function main(): Promise<void> {
  const port = process.env.PORT ? Number(process.env.PORT) : 5000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a TCP port, got ${JSON.stringify(process.env.PORT)}`);
  }
  const redisUrl = process.env.REDIS_URL || undefined;
  const app = await createApp({
    port,
    host: process.env.HOST || undefined,
    dataDir: process.env.DATA_DIR || undefined,
    cluster: redisUrl ? { redisUrl, key: process.env.REDIS_KEY || undefined } : undefined,
    dashboard: process.env.DASHBOARD_PASSWORD
      ? {
          username: process.env.DASHBOARD_USER || "admin",
          password: process.env.DASHBOARD_PASSWORD,
        }
      : undefined,
  });
  console.log("Switchboard demos listening on:");
  for (const url of app.urls) console.log(`  ${url}`);
  if (app.cluster) {
    console.log(
      `Cluster: Redis at ${app.cluster.redisUrl}, key ${app.cluster.key ?? "switchboard-demo"}`,
    );
  }
  console.log(`Data in ${app.dataDir}`);
  console.log(
    process.env.DASHBOARD_PASSWORD
      ? `Dashboard: ${app.url}/dashboard (user ${process.env.DASHBOARD_USER || "admin"})`
      : "Dashboard off: set DASHBOARD_PASSWORD (and DASHBOARD_USER, default admin) to serve it at /dashboard.",
  );
  if (!demoLog.enabled) {
    console.log("Set DEBUG=switchboard:demo to log connections and refusals.");
  }
  const stop = () => {
    void app.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(path.resolve(entry)).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

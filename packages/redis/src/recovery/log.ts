import { randomBytes } from "node:crypto";
import type { Room } from "@switchboard/server";
import debugModule from "debug";
import { decode, encode } from "../msgpack/index.js";
import type { RedisClient } from "../redis-client.js";

const debug = debugModule("switchboard:redis:log");

/** A recoverable packet as the log keeps it. */
export interface LogRecord {
  /** The namespace. */
  nsp: string;
  /** The event's arguments (event name first), without the offset. */
  data: unknown[];
  /** Recipients: sockets in any of these rooms (all when empty)… */
  rooms: Room[];
  /** …minus those in any of these. */
  except: Room[];
  /** A node-local broadcast (`io.local`): only that node delivers it live. */
  node?: string | undefined;
  /** The appending node and its sequence number: tells this node its own entries apart. */
  origin?: string | undefined;
}

/** A record with its place in the log. */
export interface LogEntry extends LogRecord {
  readonly offset: string;
}

/**
 * The durable log of cluster-wide connection state recovery: every recoverable packet gets
 * its offset here before any node delivers it, every node follows the log in the same
 * order, and a restore replays a client's range of it. Trimmed by time (the recovery
 * window), not by count. {@link RedisStreamLog} is the Redis Streams implementation; another
 * backbone implements this interface.
 */
export interface RecoveryLog {
  /** Random id of the log's current life: a log that lost its history gets a new one. */
  readonly epoch: string;
  /** The offset of the last entry this node has followed (dispatched) so far. */
  readonly position: string;
  /** Start: read the epoch and the end of the log, begin following. */
  start(onEntries: (entries: LogEntry[]) => void): Promise<void>;
  stop(): Promise<void>;
  /**
   * Append; resolves with the offset once the log has it. With `chain`, only as the next
   * entry of its owner: the owner's previous sequence number must be the last one appended
   * ({@link rebase}). Resolves `""` for a number already appended (a second copy) and
   * `null` when refused (out of turn: a client library sent it late, or the chain is gone).
   */
  append(record: LogRecord, chain?: AppendChain): Promise<string | null>;
  /**
   * Start `owner`'s chain after `seq` (its next append must be `seq + 1`). Optional: without
   * it, appends go unchained (a late append may land out of its owner's order).
   */
  rebase?(owner: string, seq: number): Promise<void>;
  /**
   * Append unless `key` was appended within `ttl` ms (a message every node received, such
   * as an emitter's, is appended once): the offset, or `null` when another node did.
   */
  appendOnce(record: LogRecord, key: string, ttl: number): Promise<string | null>;
  /** Entries after `after` (exclusive) up to `until` (inclusive), at most `count`, in order. */
  range(after: string, until: string, count: number): Promise<LogEntry[]>;
  /** Whether the entry at `offset` is still in the log (not trimmed). */
  contains(offset: string): Promise<boolean>;
  /** The offset of the newest entry (`"0-0"` when the log is empty). */
  last(): Promise<string>;
}

/** Where an append goes in its owner's order: accepted only right after `seq - 1`. */
export interface AppendChain {
  readonly owner: string;
  readonly seq: number;
}

/** How long (ms) an owner's chain position is kept without appends; after it, rebased. */
const CHAIN_TTL = 600_000;

/** Options of {@link RedisStreamLog}. */
export interface RedisStreamLogOptions {
  /** The stream's key. Default `"switchboard:{recovery}:log"` (hash tag: one cluster slot). */
  key: string;
  /** Entries older than this (ms) are trimmed (approximately, never earlier). */
  retention: number;
  /** Entries read per XREAD / XRANGE batch. Default 256. */
  batch: number;
  /** Largest entry accepted from the stream, bytes. Default 1 MiB. */
  maxEntryBytes: number;
}

// KEYS: stream, the owner's chain key. ARGV: min id, entry, seq, chain ttl.
const APPEND_CHAINED = `
local last = redis.call('GET', KEYS[2])
if not last then return false end
local seq = tonumber(ARGV[3])
last = tonumber(last)
if seq <= last then return 0 end
if seq ~= last + 1 then return false end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
return redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[1], '*', 'd', ARGV[2])`;

const APPEND_ONCE = `
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then
  return redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[2], '*', 'd', ARGV[3])
end
return false`;

/** Order of two stream ids ("ms-seq"): negative, zero or positive. */
export function compareOffsets(a: string, b: string): number {
  const [am = "0", as = "0"] = a.split("-");
  const [bm = "0", bs = "0"] = b.split("-");
  if (am.length !== bm.length) return am.length - bm.length;
  if (am !== bm) return am < bm ? -1 : 1;
  if (as.length !== bs.length) return as.length - bs.length;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

/** Whether `value` looks like a stream id (what a client may send back as its offset). */
export function isOffset(value: string): boolean {
  return /^\d{1,20}-\d{1,20}$/.test(value);
}

/**
 * The recovery log on one Redis stream: XADD with `MINID ~` trimming (by time), one XREAD
 * BLOCK loop per node on its own connection (a duplicate of the client given), XRANGE for
 * replays. Entries are msgpack `[nsp, data, rooms, except, node, origin]` in field `d`.
 */
export class RedisStreamLog implements RecoveryLog {
  readonly #redis: RedisClient;
  readonly #opts: RedisStreamLogOptions;
  readonly #epochKey: string;
  #epoch = "";
  #position = "0-0";
  #reader: (RedisClient & { quit(): Promise<void> }) | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  #onEntries: (entries: LogEntry[]) => void = () => {};

  constructor(redis: RedisClient, options: Partial<RedisStreamLogOptions> & { retention: number }) {
    this.#redis = redis;
    this.#opts = {
      key: "switchboard:{recovery}:log",
      batch: 256,
      maxEntryBytes: 1024 * 1024,
      ...options,
    };
    this.#epochKey = `${this.#opts.key}:epoch`;
  }

  get epoch(): string {
    return this.#epoch;
  }

  get position(): string {
    return this.#position;
  }

  get key(): string {
    return this.#opts.key;
  }

  async start(onEntries: (entries: LogEntry[]) => void): Promise<void> {
    this.#onEntries = onEntries;
    await this.refreshEpoch();
    this.#position = await this.last();
    this.#reader = await this.#redis.duplicate();
    this.#running = true;
    this.#loop = this.#follow();
  }

  /** Read (or create) the epoch: after Redis lost its data, a new one. */
  async refreshEpoch(): Promise<string> {
    await this.#redis.command(["SET", this.#epochKey, randomBytes(6).toString("hex"), "NX"], {
      key: this.#epochKey,
    });
    this.#epoch = String(
      await this.#redis.command(["GET", this.#epochKey], { key: this.#epochKey }),
    );
    return this.#epoch;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#reader?.quit();
    await this.#loop;
    this.#reader = undefined;
  }

  async append(record: LogRecord, chain?: AppendChain): Promise<string | null> {
    if (chain === undefined) {
      const id = await this.#redis.command(
        ["XADD", this.#opts.key, "MINID", "~", this.#minId(), "*", "d", encodeRecord(record)],
        { key: this.#opts.key },
      );
      return String(id);
    }
    const id = await this.#redis.command(
      [
        "EVAL",
        APPEND_CHAINED,
        "2",
        this.#opts.key,
        this.#chainKey(chain.owner),
        this.#minId(),
        encodeRecord(record),
        String(chain.seq),
        String(CHAIN_TTL),
      ],
      { key: this.#opts.key },
    );
    if (id === null || id === undefined) return null;
    return id === 0 ? "" : String(id);
  }

  async rebase(owner: string, seq: number): Promise<void> {
    const key = this.#chainKey(owner);
    await this.#redis.command(["SET", key, String(seq), "PX", String(CHAIN_TTL)], { key });
  }

  /** Same hash tag as the stream's key: one Redis Cluster slot for the script. */
  #chainKey(owner: string): string {
    return `${this.#opts.key}:chain:${owner}`;
  }

  async appendOnce(record: LogRecord, key: string, ttl: number): Promise<string | null> {
    const id = await this.#redis.command(
      [
        "EVAL",
        APPEND_ONCE,
        "2",
        this.#opts.key,
        `${this.#opts.key}:once:${key}`,
        String(ttl),
        this.#minId(),
        encodeRecord(record),
      ],
      { key: this.#opts.key },
    );
    return id === null || id === undefined ? null : String(id);
  }

  async range(after: string, until: string, count: number): Promise<LogEntry[]> {
    if (compareOffsets(after, until) >= 0) return [];
    const reply = await this.#redis.command(
      ["XRANGE", this.#opts.key, `(${after}`, until, "COUNT", String(count)],
      { key: this.#opts.key, buffers: true },
    );
    return this.#entries(reply);
  }

  async contains(offset: string): Promise<boolean> {
    const reply = await this.#redis.command(["XRANGE", this.#opts.key, offset, offset], {
      key: this.#opts.key,
    });
    return Array.isArray(reply) && reply.length > 0;
  }

  async last(): Promise<string> {
    const reply = await this.#redis.command(["XREVRANGE", this.#opts.key, "+", "-", "COUNT", "1"], {
      key: this.#opts.key,
    });
    const first = Array.isArray(reply) ? (reply[0] as unknown[] | undefined) : undefined;
    return first === undefined ? "0-0" : String(first[0]);
  }

  #minId(): string {
    return `${Date.now() - this.#opts.retention}-0`;
  }

  async #follow(): Promise<void> {
    let delay = 50;
    while (this.#running) {
      const reader = this.#reader;
      if (reader === undefined) return;
      try {
        const reply = await reader.command(
          [
            "XREAD",
            "COUNT",
            String(this.#opts.batch),
            "BLOCK",
            "1000",
            "STREAMS",
            this.#opts.key,
            this.#position,
          ],
          { key: this.#opts.key, buffers: true },
        );
        delay = 50;
        const entries = this.#entries(streamEntries(reply));
        if (entries.length === 0) continue;
        const lastEntry = entries[entries.length - 1];
        if (lastEntry !== undefined) this.#position = lastEntry.offset;
        try {
          this.#onEntries(entries);
        } catch (err) {
          debug("a log listener threw: %s", err);
        }
      } catch (err) {
        if (!this.#running) return;
        debug("XREAD failed (%s), again in %d ms", err, delay);
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        delay = Math.min(delay * 2, 1000);
      }
    }
  }

  /** Decoded entries of an XRANGE / XREAD reply; malformed ones are skipped. */
  #entries(reply: unknown): LogEntry[] {
    const out: LogEntry[] = [];
    if (!Array.isArray(reply)) return out;
    for (const item of reply) {
      if (!Array.isArray(item)) continue;
      const [id, fields] = item as [unknown, unknown];
      const offset = String(id);
      if (!Array.isArray(fields)) continue;
      const value = fields[1];
      if (!Buffer.isBuffer(value) || value.length > this.#opts.maxEntryBytes) {
        debug("skipped entry %s: not a Switchboard entry", offset);
        continue;
      }
      try {
        out.push({ offset, ...decodeRecord(value) });
      } catch (err) {
        debug("skipped entry %s: %s", offset, err);
      }
    }
    return out;
  }
}

/** XREAD's reply for one stream: an array `[[key, entries]]` (RESP2) or a map (RESP3). */
function streamEntries(reply: unknown): unknown {
  if (reply === null || reply === undefined) return [];
  if (Array.isArray(reply)) {
    // `[[key, entries]]`, or (ioredis 6) `[key, entries]`.
    const first = reply[0] as unknown;
    if (Array.isArray(first)) return first[1] ?? [];
    return reply[1] ?? [];
  }
  if (reply instanceof Map) return [...reply.values()][0] ?? [];
  if (typeof reply === "object") return Object.values(reply)[0] ?? [];
  return [];
}

function encodeRecord(record: LogRecord): Buffer {
  return encode([
    record.nsp,
    record.data,
    record.rooms,
    record.except,
    record.node ?? null,
    record.origin ?? null,
  ]);
}

function decodeRecord(bytes: Buffer): LogRecord {
  const value = decode(bytes);
  if (!Array.isArray(value) || value.length !== 6) throw new TypeError("not a log record");
  const [nsp, data, rooms, except, node, origin] = value as unknown[];
  if (
    typeof nsp !== "string" ||
    !Array.isArray(data) ||
    typeof data[0] !== "string" ||
    !isRoomList(rooms) ||
    !isRoomList(except) ||
    (node !== null && typeof node !== "string") ||
    (origin !== null && typeof origin !== "string")
  ) {
    throw new TypeError("malformed log record");
  }
  return {
    nsp,
    data,
    rooms,
    except,
    node: node ?? undefined,
    origin: origin ?? undefined,
  };
}

function isRoomList(value: unknown): value is Room[] {
  return Array.isArray(value) && value.every((room) => typeof room === "string");
}

import type { Room } from "@switchboard/server";
import { decode, encode } from "../msgpack/index.js";
import type { RedisClient } from "../redis-client.js";

/** What the store keeps of a recoverable session. */
export interface SessionRecord {
  sid: string;
  pid: string;
  nsp: string;
  rooms: Room[];
  data: unknown;
  /** The log's epoch when the session started: another one means its history is gone. */
  epoch: string;
  /** The log's position when the session (re)started: replay starts here without an offset. */
  start: string;
  /** When it started (ms since the epoch), for a log trimmed past `start`. */
  startedAt: number;
}

/** A session as {@link SessionStore.claim} hands it over. */
export interface ClaimedSession {
  record: SessionRecord;
  /** The new generation: every later write must carry it (fencing). */
  gen: number;
  /** The node that held it before the claim. */
  previousOwner: string;
  /** Whether it was connected (on a node that may still hold a copy) when claimed. */
  wasConnected: boolean;
}

/**
 * Where recoverable sessions live across nodes: written through as they change, under a
 * lease (a TTL the owner renews), claimed by whichever node a client comes back to with a
 * fenced compare-and-set on a generation number. A write with an older generation fails:
 * that node lost the session and drops its copy.
 */
export interface SessionStore {
  /** Write the session (connected, or disconnected) if `gen` is still current (or it is new). */
  write(
    record: SessionRecord,
    gen: number,
    owner: string,
    connected: boolean,
    ttl: number,
  ): Promise<boolean>;
  /**
   * Take the session over: `null` when there is none, `"busy"` while another restore of it
   * holds a claim (until it completes, is released, or `claimTtl` passes).
   */
  claim(
    pid: string,
    owner: string,
    claimTtl: number,
    takeConnected?: boolean,
  ): Promise<ClaimedSession | "busy" | null>;
  /** Give up a claim that did not lead to a connected socket: claimable again at once. */
  release(pid: string, gen: number): Promise<void>;
  /** Extend the lease of sessions this node holds. */
  renew(pids: readonly string[], ttl: number): Promise<void>;
  /** Forget the session if `gen` is still current. */
  delete(pid: string, gen: number): Promise<void>;
}

const WRITE = `
local g = redis.call('HGET', KEYS[1], 'g')
if g and g ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'g', ARGV[1], 's', ARGV[2], 'o', ARGV[3], 'v', ARGV[4], 'c', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

const CLAIM = `
local h = redis.call('HMGET', KEYS[1], 'g', 's', 'c', 'v', 'o')
if not h[1] then return false end
if h[2] == 'r' and tonumber(h[3]) > tonumber(ARGV[2]) then return 'busy' end
if h[2] == 'c' and ARGV[4] == '0' then return false end
local g = tonumber(h[1]) + 1
redis.call('HSET', KEYS[1], 'g', tostring(g), 's', 'r', 'c', tostring(tonumber(ARGV[2]) + tonumber(ARGV[3])), 'o', ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {tostring(g), h[4], h[5] or '', h[2]}`;

const RELEASE = `
if redis.call('HGET', KEYS[1], 'g') == ARGV[1] and redis.call('HGET', KEYS[1], 's') == 'r' then
  redis.call('HSET', KEYS[1], 's', 'd', 'c', '0')
end
return 1`;

const DELETE = `
if redis.call('HGET', KEYS[1], 'g') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

/** The session store on Redis hashes `<prefix><pid>`: fields g(en), s(tate), o(wner), v(alue). */
export class RedisSessionStore implements SessionStore {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix = "switchboard:session:") {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async write(
    record: SessionRecord,
    gen: number,
    owner: string,
    connected: boolean,
    ttl: number,
  ): Promise<boolean> {
    const key = this.#prefix + record.pid;
    const reply = await this.#redis.command(
      [
        "EVAL",
        WRITE,
        "1",
        key,
        String(gen),
        connected ? "c" : "d",
        owner,
        encodeSession(record),
        String(Math.ceil(ttl)),
      ],
      { key },
    );
    return Number(reply) === 1;
  }

  async claim(
    pid: string,
    owner: string,
    claimTtl: number,
    takeConnected = true,
  ): Promise<ClaimedSession | "busy" | null> {
    const key = this.#prefix + pid;
    const reply = await this.#redis.command(
      [
        "EVAL",
        CLAIM,
        "1",
        key,
        owner,
        String(Date.now()),
        String(Math.ceil(claimTtl)),
        takeConnected ? "1" : "0",
      ],
      { key, buffers: true },
    );
    if (Buffer.isBuffer(reply) || typeof reply === "string") {
      return reply.toString() === "busy" ? "busy" : null;
    }
    if (!Array.isArray(reply)) return null;
    const [gen, value, previousOwner, state] = reply as Buffer[];
    if (gen === undefined || value === undefined) return null;
    const record = decodeSession(value);
    if (record === null || record.pid !== pid) return null;
    return {
      record,
      gen: Number(gen.toString()),
      previousOwner: previousOwner?.toString() ?? "",
      wasConnected: state?.toString() !== "d",
    };
  }

  async renew(pids: readonly string[], ttl: number): Promise<void> {
    const ms = String(Math.ceil(ttl));
    await Promise.all(
      pids.map((pid) => {
        const key = this.#prefix + pid;
        return this.#redis.command(["PEXPIRE", key, ms], { key });
      }),
    );
  }

  async release(pid: string, gen: number): Promise<void> {
    const key = this.#prefix + pid;
    await this.#redis.command(["EVAL", RELEASE, "1", key, String(gen)], { key });
  }

  async delete(pid: string, gen: number): Promise<void> {
    const key = this.#prefix + pid;
    await this.#redis.command(["EVAL", DELETE, "1", key, String(gen)], { key });
  }
}

/** msgpack of the record (keeps Buffers in `data`). */
export function encodeSession(record: SessionRecord): Buffer {
  return encode([
    record.sid,
    record.pid,
    record.nsp,
    record.rooms,
    record.data ?? null,
    record.epoch,
    record.start,
    record.startedAt,
  ]);
}

function decodeSession(bytes: Buffer): SessionRecord | null {
  try {
    const value = decode(bytes);
    if (!Array.isArray(value) || value.length !== 8) return null;
    const [sid, pid, nsp, rooms, data, epoch, start, startedAt] = value as unknown[];
    if (
      typeof sid !== "string" ||
      typeof pid !== "string" ||
      typeof nsp !== "string" ||
      !Array.isArray(rooms) ||
      !rooms.every((room) => typeof room === "string") ||
      typeof epoch !== "string" ||
      typeof start !== "string" ||
      typeof startedAt !== "number"
    ) {
      return null;
    }
    return { sid, pid, nsp, rooms, data, epoch, start, startedAt };
  } catch {
    return null;
  }
}

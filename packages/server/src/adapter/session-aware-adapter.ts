import { randomBytes } from "node:crypto";
import type { SocketPacket } from "@switchboard/protocol";
import { InMemoryAdapter } from "./in-memory-adapter.js";
import type {
  AdapterNamespace,
  BroadcastOptions,
  ConnectionStateRecoveryOptions,
  RestoredSession,
  Room,
  Session,
} from "./types.js";

interface StoredPacket {
  readonly offset: string;
  readonly at: number;
  readonly rooms: ReadonlySet<Room>;
  readonly except: ReadonlySet<Room> | undefined;
  readonly data: unknown[];
}

interface StoredSession extends Session {
  readonly disconnectedAt: number;
}

const DEFAULT_RECOVERY: ConnectionStateRecoveryOptions = {
  maxDisconnectionDuration: 120_000,
  skipMiddlewares: true,
  maxPackets: 10_000,
  maxSessions: 10_000,
};

/**
 * The in-memory adapter plus connection state recovery: it numbers every stored event
 * packet with an offset (appended as the packet's last argument, which the official
 * client remembers and sends back as `auth.offset`), keeps disconnected sessions for
 * `maxDisconnectionDuration`, and replays what a returning client missed.
 *
 * Storage is bounded: at most `maxPackets` packets and `maxSessions` sessions, and
 * anything older than `maxDisconnectionDuration` is dropped.
 */
export class SessionAwareAdapter extends InMemoryAdapter {
  readonly #options: ConnectionStateRecoveryOptions;
  readonly #prefix = randomBytes(4).toString("hex");
  #counter = 0;
  /** Ring of stored packets, oldest first. */
  readonly #packets: StoredPacket[] = [];
  #head = 0;
  readonly #sessions = new Map<string, StoredSession>();
  #timer: NodeJS.Timeout | undefined;

  constructor(nsp: AdapterNamespace) {
    super(nsp);
    this.#options = { ...DEFAULT_RECOVERY, ...nsp.connectionStateRecovery };
    this.#timer = setInterval(() => this.#prune(Date.now()), 60_000);
    this.#timer.unref();
  }

  /** Stored sessions (for leak checks and monitoring). */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Stored packets (for leak checks and monitoring). */
  get packetCount(): number {
    return this.#packets.length - this.#head;
  }

  override close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#sessions.clear();
    this.#packets.length = 0;
    this.#head = 0;
  }

  override broadcast(packet: SocketPacket, opts: BroadcastOptions): void {
    // Packets with an ack are not stored: the callback cannot be replayed. Volatile ones
    // may be lost by definition.
    if (packet.type === 2 && packet.id === undefined && opts.flags?.volatile !== true) {
      const offset = `${this.#prefix}-${(this.#counter++).toString(36)}`;
      packet.data.push(offset);
      this.#store({
        offset,
        at: Date.now(),
        rooms: opts.rooms,
        except: opts.except,
        data: packet.data,
      });
    }
    super.broadcast(packet, opts);
  }

  override persistSession(session: Session): void {
    const now = Date.now();
    this.#prune(now);
    if (this.#sessions.size >= this.#options.maxSessions) {
      const oldest = this.#sessions.keys().next();
      if (oldest.done !== true) this.#sessions.delete(oldest.value);
    }
    this.#sessions.set(session.pid, { ...session, disconnectedAt: now });
  }

  override restoreSession(
    pid: string,
    offset: string | undefined,
  ): Promise<RestoredSession | null> {
    const now = Date.now();
    this.#prune(now);
    const session = this.#sessions.get(pid);
    if (session === undefined) return Promise.resolve(null);
    this.#sessions.delete(pid);
    let index = -1;
    for (let i = this.#packets.length - 1; i >= this.#head; i--) {
      if (this.#packets[i]?.offset === offset) {
        index = i;
        break;
      }
    }
    // An unknown offset means the packets after it were already dropped: no recovery.
    if (index === -1) return Promise.resolve(null);
    const rooms = new Set(session.rooms);
    const missedPackets: unknown[][] = [];
    for (let i = index + 1; i < this.#packets.length; i++) {
      const stored = this.#packets[i];
      if (stored !== undefined && matches(stored, rooms)) missedPackets.push(stored.data);
    }
    return Promise.resolve({
      sid: session.sid,
      pid: session.pid,
      rooms: session.rooms,
      data: session.data,
      missedPackets,
    });
  }

  #store(packet: StoredPacket): void {
    this.#packets.push(packet);
    if (this.#packets.length - this.#head > this.#options.maxPackets) this.#head++;
    this.#prunePackets(packet.at);
  }

  #prune(now: number): void {
    const limit = now - this.#options.maxDisconnectionDuration;
    for (const [pid, session] of this.#sessions) {
      // Insertion order is disconnection order: stop at the first fresh one.
      if (session.disconnectedAt >= limit) break;
      this.#sessions.delete(pid);
    }
    this.#prunePackets(now);
  }

  #prunePackets(now: number): void {
    const limit = now - this.#options.maxDisconnectionDuration;
    while (this.#head < this.#packets.length && (this.#packets[this.#head]?.at ?? now) < limit) {
      this.#head++;
    }
    // Compact once the dead prefix dominates, so the array does not grow without bound.
    if (this.#head > 1024 && this.#head * 2 > this.#packets.length) {
      this.#packets.splice(0, this.#head);
      this.#head = 0;
    } else if (this.#head === this.#packets.length && this.#head > 0) {
      this.#packets.length = 0;
      this.#head = 0;
    }
  }
}

function matches(packet: StoredPacket, rooms: ReadonlySet<Room>): boolean {
  if (packet.except !== undefined) {
    for (const room of packet.except) if (rooms.has(room)) return false;
  }
  if (packet.rooms.size === 0) return true;
  for (const room of packet.rooms) if (rooms.has(room)) return true;
  return false;
}

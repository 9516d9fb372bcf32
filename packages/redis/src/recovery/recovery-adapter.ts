import type { SocketPacket } from "@switchboard/protocol";
import type {
  BroadcastOptions,
  ConnectionStateRecoveryOptions,
  InMemoryAdapter,
  RestoredSession,
  Room,
  Session,
  SocketId,
  TrackedSession,
} from "@switchboard/server";
import debugModule from "debug";
import type { RecoveryHub, RecoveryParticipant, RestoreOutcome } from "./hub.js";
import { compareOffsets, isOffset, type LogEntry, type LogRecord } from "./log.js";
import { type ClaimedSession, encodeSession, type SessionRecord } from "./sessions.js";

const debug = debugModule("switchboard:redis:recovery");

/** A socket whose session is being restored: live packets for it wait here, in order. */
interface Restoring {
  readonly rooms: Set<Room>;
  /** The client's last offset: anything at or before it, it has. */
  readonly after: string;
  /** The node its session was on (its node-local broadcasts are replayed too). */
  readonly owner: string;
  readonly gen: number;
  readonly pid: string;
  readonly record: SessionRecord;
  readonly held: unknown[][];
  overflow: boolean;
  /** Replay reached this offset: held packets at or before it are already in the replay. */
  replayedTo: string;
  readonly created: number;
}

/** A connected recoverable socket whose session this node owns. */
interface Tracked {
  readonly pid: string;
  gen: number;
  /** `""` while the hub had not started when the socket connected (see #record). */
  epoch: string;
  start: string;
  startedAt: number;
  /** Last bytes written (to skip unchanged renewals). */
  written: Buffer | undefined;
  /** Writes of this session, in order. */
  chain: Promise<void>;
  queued: boolean;
  persisted: boolean;
}

/** What the Redis adapters call for broadcasts of other publishers (see `RedisAdapter`). */
export interface ExternalBroadcasts {
  /** A broadcast from another node, an emitter, or Python, for this node's sockets. */
  receiveExternal(packet: SocketPacket, opts: BroadcastOptions, channel: string, raw: Buffer): void;
  /**
   * Whether every external broadcast must reach {@link receiveExternal}, also one for a room
   * without a socket on this node (cluster recovery logs it: its members may all be away).
   */
  readonly receivesEveryBroadcast: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: mixin constructors take any arguments.
type AdapterClass = new (...args: any[]) => InMemoryAdapter & ExternalBroadcasts;

/** Whether a packet is kept for recovery: an event without ack, not volatile. */
export function isRecoverable(
  packet: SocketPacket,
  opts: BroadcastOptions,
): packet is SocketPacket & { type: 2 | 5; data: unknown[] } {
  return (
    (packet.type === 2 || packet.type === 5) &&
    packet.id === undefined &&
    opts.flags?.volatile !== true
  );
}

function matches(entry: LogRecord, rooms: ReadonlySet<Room>): boolean {
  for (const room of entry.except) if (rooms.has(room)) return false;
  if (entry.rooms.length === 0) return true;
  for (const room of entry.rooms) if (rooms.has(room)) return true;
  return false;
}

/**
 * Adds cluster-wide connection state recovery to a Redis adapter class: recoverable
 * packets go through the durable log (and reach every node, this one too, from there, in
 * log order, each with its offset); sessions are written through to the session store as
 * they change; a client coming back to any node is restored from the store and the log.
 */
export function withRecovery<T extends AdapterClass>(Base: T, hub: RecoveryHub): T {
  return class RecoveryAdapter extends Base implements RecoveryParticipant {
    readonly #tracked = new Map<SocketId, Tracked>();
    readonly #byPid = new Map<string, SocketId>();
    readonly #restoring = new Map<SocketId, Restoring>();
    /**
     * The latest entries of this namespace this node followed, oldest first (a ring of
     * the hub's `replayRing` option): a restore whose offset it covers replays from memory, without
     * reading the log again — what a reconnect storm after a node's death needs.
     */
    readonly #recent: LogEntry[] = [];
    #recentHead = 0;
    /** Whether the ring holds every entry of this namespace since its first one. */
    #recentFrom: string | undefined;
    #recovery: ConnectionStateRecoveryOptions | undefined;
    /** Resolves once the log is followed (its epoch and position known). */
    #hubStarted: Promise<void> = Promise.resolve();

    get #options(): ConnectionStateRecoveryOptions | undefined {
      this.#recovery ??= this.nsp.connectionStateRecovery;
      return this.#recovery;
    }

    /** Sessions this node writes through (for leak checks and monitoring). */
    get trackedSessions(): number {
      return this.#tracked.size;
    }

    /** Sockets being restored (for leak checks and monitoring). */
    get restoringSessions(): number {
      return this.#restoring.size;
    }

    /** The shared recovery state of this server (log follower, append queue). */
    get recovery(): RecoveryHub {
      return hub;
    }

    override init(): void | Promise<void> {
      const result = super.init();
      const options = this.#options;
      if (options === undefined) return result;
      const renewEvery = Math.max(1000, Math.min(20_000, options.maxDisconnectionDuration / 3));
      const started = hub.add(this, renewEvery);
      this.#hubStarted = started;
      return Promise.all([result, started]).then(() => undefined);
    }

    override get receivesEveryBroadcast(): boolean {
      return this.#options !== undefined;
    }

    override close(): void | Promise<void> {
      // The last namespace to leave closes the hub, once its appends reached the log.
      const leaving = this.#options !== undefined ? hub.remove(this) : undefined;
      this.#restoring.clear();
      this.#tracked.clear();
      this.#byPid.clear();
      const closed = super.close();
      return leaving === undefined ? closed : Promise.all([leaving, closed]).then(() => {});
    }

    override broadcast(packet: SocketPacket, opts: BroadcastOptions): void {
      if (this.#options === undefined || !isRecoverable(packet, opts)) {
        super.broadcast(packet, opts);
        return;
      }
      hub.append({
        nsp: this.nsp.name,
        data: packet.data,
        rooms: [...opts.rooms],
        except: opts.except === undefined ? [] : [...opts.except],
        node: opts.flags?.local === true ? hub.uid : undefined,
      });
    }

    override receiveExternal(
      packet: SocketPacket,
      opts: BroadcastOptions,
      channel: string,
      raw: Buffer,
    ): void {
      if (this.#options === undefined || !isRecoverable(packet, opts)) {
        super.receiveExternal(packet, opts, channel, raw);
        return;
      }
      hub.appendExternal(
        {
          nsp: this.nsp.name,
          data: packet.data,
          rooms: [...opts.rooms],
          except: opts.except === undefined ? [] : [...opts.except],
        },
        channel,
        raw,
      );
    }

    onLogEntries(entries: LogEntry[]): void {
      const restoring = this.#restoring;
      for (const entry of entries) this.#remember(entry);
      for (const entry of entries) {
        if (entry.node !== undefined && entry.node !== hub.uid) continue;
        const data = [...entry.data, entry.offset];
        if (restoring.size > 0) this.#hold(entry, data);
        super.broadcast(
          { type: 2, nsp: this.nsp.name, data },
          {
            rooms: new Set(entry.rooms),
            except: new Set(entry.except),
            flags: { local: true },
          },
        );
      }
    }

    #remember(entry: LogEntry): void {
      const recent = this.#recent;
      this.#recentFrom ??= entry.offset;
      recent.push(entry);
      if (recent.length - this.#recentHead > hub.options.replayRing) {
        this.#recentHead++;
        // Everything before the new oldest entry is gone from the ring.
        this.#recentFrom = recent[this.#recentHead]?.offset;
        if (this.#recentHead >= hub.options.replayRing) {
          recent.splice(0, this.#recentHead);
          this.#recentHead = 0;
        }
      }
    }

    /** Entries after `after` from the ring, or `undefined` when it does not reach back that far. */
    #recentAfter(after: string): LogEntry[] | undefined {
      const from = this.#recentFrom;
      // The ring starts with the first entry followed: it covers `after` only if that entry
      // is at or before it (a node that started later has not seen what came between).
      if (from === undefined || compareOffsets(from, after) > 0) return undefined;
      const recent = this.#recent;
      let lo = this.#recentHead;
      let hi = recent.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const entry = recent[mid];
        if (entry !== undefined && compareOffsets(entry.offset, after) <= 0) lo = mid + 1;
        else hi = mid;
      }
      return recent.slice(lo);
    }

    #hold(entry: LogEntry, data: unknown[]): void {
      const max = hub.options.maxHeldPackets;
      for (const state of this.#restoring.values()) {
        if (state.overflow || !matches(entry, state.rooms)) continue;
        if (compareOffsets(entry.offset, state.after) <= 0) continue;
        if (state.held.length >= max) state.overflow = true;
        else state.held.push(data);
      }
    }

    // ---- write-through ----

    trackSession(socket: TrackedSession): void {
      if (this.#options === undefined) return;
      const restoring = this.#restoring.get(socket.id);
      let gen = 1;
      // Before the log is followed (a socket right after the server started), its epoch and
      // position are filled in by the first write, which waits for it.
      let start = hub.started ? hub.log.position : "";
      let startedAt = Date.now();
      if (restoring !== undefined) {
        this.#restoring.delete(socket.id);
        gen = restoring.gen;
        const live = this.nsp.sockets.get(socket.id);
        if (live !== undefined && !restoring.overflow) {
          for (const data of restoring.held) {
            const offset = data[data.length - 1];
            if (typeof offset === "string" && compareOffsets(offset, restoring.replayedTo) <= 0) {
              continue;
            }
            live.deliver(this.nsp.encode({ type: 2, nsp: this.nsp.name, data }), {});
          }
        }
        if (restoring.overflow) {
          // More arrived during the replay than it may hold: a gap, so no recovery after all.
          debug("restore of %s overflowed its hold buffer", socket.id);
          void hub.sessions.delete(restoring.pid, gen).catch(() => {});
          live?.disconnect(true);
          return;
        }
        start = restoring.record.start;
        startedAt = restoring.record.startedAt;
      }
      const tracked: Tracked = {
        pid: socket.pid,
        gen,
        epoch: hub.started ? hub.log.epoch : "",
        start,
        startedAt,
        written: undefined,
        chain: Promise.resolve(),
        queued: false,
        persisted: false,
      };
      this.#tracked.set(socket.id, tracked);
      this.#byPid.set(socket.pid, socket.id);
      this.#queueWrite(socket.id, tracked);
    }

    sessionChanged(id: SocketId): void {
      const tracked = this.#tracked.get(id);
      if (tracked !== undefined) this.#queueWrite(id, tracked);
    }

    override addAll(id: SocketId, rooms: Iterable<Room>): void | Promise<void> {
      const result = super.addAll(id, rooms);
      const tracked = this.#tracked.get(id);
      if (tracked !== undefined) this.#queueWrite(id, tracked);
      return result;
    }

    override del(id: SocketId, room: Room): void | Promise<void> {
      const result = super.del(id, room);
      const tracked = this.#tracked.get(id);
      if (tracked !== undefined) this.#queueWrite(id, tracked);
      return result;
    }

    override delAll(id: SocketId): void {
      super.delAll(id);
      const restoring = this.#restoring.get(id);
      if (restoring !== undefined) {
        // Restored, but its connection closed (or a middleware refused it) before it was
        // accepted: the session stays restorable at once, by its client's next attempt.
        this.#restoring.delete(id);
        hub.sessions.release(restoring.pid, restoring.gen).catch((err: unknown) => {
          debug("claim of %s not released: %s", restoring.pid, err);
        });
      }
      const tracked = this.#tracked.get(id);
      if (tracked === undefined) return;
      this.#tracked.delete(id);
      if (this.#byPid.get(tracked.pid) === id) this.#byPid.delete(tracked.pid);
      if (!tracked.persisted) {
        // Gone for good (not a recoverable reason): the session ends.
        tracked.chain = tracked.chain.then(() =>
          hub.sessions.delete(tracked.pid, tracked.gen).catch((err: unknown) => {
            debug("session %s not deleted: %s", tracked.pid, err);
          }),
        );
      }
    }

    override persistSession(session: Session): Promise<void> | undefined {
      const tracked = this.#tracked.get(session.sid);
      const options = this.#options;
      if (tracked === undefined || options === undefined) return undefined;
      tracked.persisted = true;
      tracked.chain = tracked.chain.then(() =>
        hub.sessions
          .write(
            // Built after the writes before it (they fill in the epoch if it was not known).
            this.#record(session.sid, tracked, session.rooms, session.data),
            tracked.gen,
            hub.uid,
            false,
            options.maxDisconnectionDuration,
          )
          .then(
            (ok) => {
              if (!ok) debug("session %s was taken over before it was saved", session.sid);
            },
            (err: unknown) => debug("session %s not saved: %s", session.sid, err),
          ),
      );
      // A draining server waits for this before it closes the adapter.
      return tracked.chain;
    }

    #record(id: SocketId, tracked: Tracked, rooms?: Room[], data?: unknown): SessionRecord {
      if (tracked.epoch === "" && hub.started) {
        // Connected before this node followed the log: its history starts where following
        // began (it got nothing before), in this epoch. Without this it never recovered.
        tracked.epoch = hub.log.epoch;
        tracked.start = hub.firstPosition;
      }
      return {
        sid: id,
        pid: tracked.pid,
        nsp: this.nsp.name,
        rooms: rooms ?? [...(this.socketRooms(id) ?? [])],
        data: data === undefined ? (this.nsp.sockets.get(id)?.data ?? null) : data,
        epoch: tracked.epoch,
        start: tracked.start,
        startedAt: tracked.startedAt,
      };
    }

    #queueWrite(id: SocketId, tracked: Tracked): void {
      if (tracked.queued) return;
      tracked.queued = true;
      tracked.chain = tracked.chain.then(() => {
        tracked.queued = false;
        if (this.#tracked.get(id) !== tracked) return;
        return this.#write(id, tracked);
      });
    }

    async #write(id: SocketId, tracked: Tracked): Promise<void> {
      const options = this.#options;
      if (options === undefined) return;
      // Connected before the log was followed: wait for it (#record fills epoch and start).
      if (tracked.epoch === "") await this.#hubStarted;
      const record = this.#record(id, tracked);
      const bytes = encodeSession(record);
      if (tracked.written?.equals(bytes) === true) return;
      try {
        const ok = await hub.sessions.write(
          record,
          tracked.gen,
          hub.uid,
          true,
          this.#leaseTtl(options),
        );
        if (ok) tracked.written = bytes;
        else this.#drop(id, "its session was taken over by another node");
      } catch (err) {
        // Redis down: written again by the next change or renewal.
        tracked.written = undefined;
        debug("session %s not written: %s", id, err);
      }
    }

    #leaseTtl(options: ConnectionStateRecoveryOptions): number {
      return (
        options.maxDisconnectionDuration +
        2 * Math.min(20_000, options.maxDisconnectionDuration / 3) +
        1000
      );
    }

    renew(): void {
      const options = this.#options;
      if (options === undefined) return;
      const unchanged: string[] = [];
      for (const [id, tracked] of this.#tracked) {
        if (tracked.queued) continue;
        const bytes = encodeSession(this.#record(id, tracked));
        if (tracked.written?.equals(bytes) === true) unchanged.push(tracked.pid);
        else this.#queueWrite(id, tracked);
      }
      for (let i = 0; i < unchanged.length; i += 500) {
        hub.sessions
          .renew(unchanged.slice(i, i + 500), this.#leaseTtl(options))
          .catch((err: unknown) => debug("lease renewal failed: %s", err));
      }
    }

    onSessionMoved(pid: string, gen: number): void {
      const id = this.#byPid.get(pid);
      if (id === undefined) return;
      const tracked = this.#tracked.get(id);
      if (tracked === undefined || tracked.gen >= gen) return;
      this.#drop(id, "its session moved to another node");
    }

    /** Another node owns this session now: forget it here without saving, close the socket. */
    #drop(id: SocketId, why: string): void {
      const tracked = this.#tracked.get(id);
      if (tracked === undefined) return;
      debug("dropping %s: %s", id, why);
      this.#tracked.delete(id);
      if (this.#byPid.get(tracked.pid) === id) this.#byPid.delete(tracked.pid);
      this.nsp.sockets.get(id)?.disconnect(true);
    }

    // ---- restore ----

    override async restoreSession(
      pid: string,
      offset: string | undefined,
    ): Promise<RestoredSession | null> {
      const [restored, outcome] = await this.#restore(pid, offset);
      hub.countRestore(outcome);
      return restored;
    }

    async #restore(
      pid: string,
      offset: string | undefined,
    ): Promise<[RestoredSession | null, RestoreOutcome]> {
      const options = this.#options;
      if (options === undefined) return [null, "refused"];
      if (offset !== undefined && !isOffset(offset)) return [null, "refused"];
      if (this.#restoring.size >= hub.options.maxQueuedRestores) return [null, "refused"];
      const deadline = Date.now() + hub.options.claimTimeout;
      // A node just started (a rolling deploy's new node, met by the clients of the one it
      // replaces) may not follow the log yet: the restore waits for it, within the claim's time.
      if (!hub.started && !(await this.#startedBy(deadline))) return [null, "refused"];
      let waited = false;
      for (;;) {
        if (!(await hub.acquire())) return [null, "refused"];
        // A connected session is taken over (its node may not have noticed the loss yet) —
        // unless another attempt just restored it while this one waited: that one won.
        let failed = false;
        const claim = await hub.sessions
          .claim(pid, hub.uid, hub.options.claimTimeout, !waited)
          .catch((err: unknown) => {
            debug("claim of %s failed: %s", pid, err);
            failed = true;
            return null;
          });
        if (failed) {
          hub.release();
          return [null, "error"];
        }
        if (claim !== "busy") return this.#restoreClaimed(pid, offset, claim, options);
        hub.release();
        // Another attempt holds it (often this client's previous connection, closed while
        // its restore ran): wait for it to complete or let go, within the claim's time.
        if (Date.now() > deadline) return [null, "busy"];
        waited = true;
        await new Promise((resolve) => setTimeout(resolve, 100).unref());
      }
    }

    /** Resolves whether the hub follows the log by `deadline`. */
    #startedBy(deadline: number): Promise<boolean> {
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(hub.started), Math.max(0, deadline - Date.now()));
        timer.unref();
        this.#hubStarted.then(
          () => {
            clearTimeout(timer);
            resolve(hub.started);
          },
          () => {
            clearTimeout(timer);
            resolve(false);
          },
        );
      });
    }

    /** The restore, once a slot is held: always releases the slot. */
    async #restoreClaimed(
      pid: string,
      offset: string | undefined,
      claimed: ClaimedSession | null,
      options: ConnectionStateRecoveryOptions,
    ): Promise<[RestoredSession | null, RestoreOutcome]> {
      let sid: SocketId | undefined;
      let unrecoverable = false;
      try {
        if (claimed === null) {
          debug("no session %s to restore", pid);
          return [null, "no_session"];
        }
        const { record, gen } = claimed;
        if (claimed.wasConnected) {
          // Its previous node may still hold the socket (it did not notice the loss yet).
          const local = this.#byPid.get(pid);
          if (local !== undefined) this.onSessionMoved(pid, gen);
          hub.announceMoved(pid, gen);
        }
        if (record.nsp !== this.nsp.name || record.epoch !== hub.log.epoch) {
          debug("session %s is of another namespace or log epoch", pid);
          unrecoverable = true;
          return [null, "stale"];
        }
        const after = offset ?? record.start;
        const fromMemory = this.#recentAfter(after) !== undefined;
        if (!fromMemory && !(await this.#historyIntact(after, record, options))) {
          debug("the log no longer holds what session %s missed after %s", pid, after);
          unrecoverable = true;
          return [null, "window_passed"];
        }
        sid = record.sid;
        const rooms = new Set(record.rooms);
        rooms.add(record.sid);
        const state: Restoring = {
          rooms,
          after,
          owner: claimed.previousOwner,
          gen,
          pid,
          record,
          held: [],
          overflow: false,
          replayedTo: after,
          created: Date.now(),
        };
        this.#restoring.set(sid, state);
        const missed = await this.#replay(state, hub.log.position, options.maxPackets);
        if (missed === null || state.overflow) {
          // More missed than may be replayed: no restore of this session can be complete.
          this.#restoring.delete(sid);
          unrecoverable = true;
          return [null, "too_many"];
        }
        const restored = {
          sid: record.sid,
          pid,
          rooms: record.rooms,
          data: record.data,
          missedPackets: missed,
        };
        return [restored, fromMemory ? "ring" : "log"];
      } catch (err) {
        // Redis unreachable in the middle: the session may still be restored later.
        debug("restore of %s failed: %s", pid, err);
        if (sid !== undefined) this.#restoring.delete(sid);
        if (claimed !== null) await hub.sessions.release(pid, claimed.gen).catch(() => {});
        return [null, "error"];
      } finally {
        if (unrecoverable && claimed !== null) {
          await hub.sessions.delete(pid, claimed.gen).catch(() => {});
        }
        hub.release();
        this.#sweepRestoring();
      }
    }

    /** Whether every entry after `after` is still in the log. */
    async #historyIntact(
      after: string,
      record: SessionRecord,
      options: ConnectionStateRecoveryOptions,
    ): Promise<boolean> {
      if (after === "0-0") {
        // The log was empty when the session started: intact unless trimming could have
        // reached entries appended since.
        return Date.now() - record.startedAt < options.maxDisconnectionDuration;
      }
      return hub.log.contains(after);
    }

    /** Missed packets after `state.after` up to `until`, in bounded batches; `null` past `max`. */
    async #replay(state: Restoring, until: string, max: number): Promise<unknown[][] | null> {
      const missed: unknown[][] = [];
      const recent = this.#recentAfter(state.after);
      if (recent !== undefined) {
        // Everything since the client's offset is in the ring, up to this node's position.
        for (const entry of recent) {
          if (entry.node !== undefined && entry.node !== state.owner) continue;
          if (!matches(entry, state.rooms)) continue;
          if (missed.length >= max) return null;
          missed.push([...entry.data, entry.offset]);
        }
        const last = recent[recent.length - 1];
        const to =
          last === undefined || compareOffsets(until, last.offset) > 0 ? until : last.offset;
        if (compareOffsets(to, state.replayedTo) > 0) state.replayedTo = to;
        return missed;
      }
      const batch = 256;
      let from = state.after;
      for (;;) {
        const entries = await hub.log.range(from, until, batch);
        for (const entry of entries) {
          if (entry.nsp !== this.nsp.name) continue;
          if (entry.node !== undefined && entry.node !== state.owner) continue;
          if (!matches(entry, state.rooms)) continue;
          if (missed.length >= max) return null;
          missed.push([...entry.data, entry.offset]);
        }
        const last = entries[entries.length - 1];
        if (last === undefined || entries.length < batch) break;
        from = last.offset;
      }
      if (compareOffsets(until, state.replayedTo) > 0) state.replayedTo = until;
      return missed;
    }

    /** Restores whose socket never connected (client gone, refused) do not stay forever. */
    #sweepRestoring(): void {
      const limit = Date.now() - 2 * hub.options.claimTimeout;
      for (const [id, state] of this.#restoring) {
        if (state.created < limit && !this.nsp.sockets.has(id)) this.#restoring.delete(id);
      }
    }
  };
}

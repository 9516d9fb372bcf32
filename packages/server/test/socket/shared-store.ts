import type { SocketPacket } from "@switchboard/protocol";
import {
  type AdapterConstructor,
  type BroadcastOptions,
  InMemoryAdapter,
  type RestoredSession,
  type Room,
  type Session,
} from "@switchboard/server";

interface StoredPacket {
  offset: string;
  rooms: ReadonlySet<Room>;
  except: ReadonlySet<Room>;
  data: unknown[];
}

/** A recovery store shared by every server of a test, as Redis is shared by a cluster's nodes. */
export interface SharedStore {
  /** The adapter class to give every server: its sessions and packets live in this store. */
  Adapter: AdapterConstructor;
  /** Every session persisted, in order. */
  persisted: Session[];
  /** Adapters closed so far, with how many sessions were persisted when each closed. */
  closes: number[];
}

/**
 * The smallest connection-state-recovery store that outlives one server: numbered event
 * packets and persisted sessions in plain arrays and maps kept outside the adapters (a
 * drained server's adapter closes; the next server reads what it wrote). `persistSession`
 * is asynchronous, as over a network, so a drain that closes the adapters before the
 * sessions are written loses them. Bounded by the test that makes it.
 */
export function sharedStore(): SharedStore {
  const sessions = new Map<string, Session>();
  const packets: StoredPacket[] = [];
  const persisted: Session[] = [];
  const closes: number[] = [];
  let counter = 0;

  class SharedStoreAdapter extends InMemoryAdapter {
    override broadcast(packet: SocketPacket, opts: BroadcastOptions): void {
      if (packet.type === 2 && packet.id === undefined && opts.flags?.volatile !== true) {
        const offset = `offset-${counter++}`;
        packet.data.push(offset);
        packets.push({
          offset,
          rooms: new Set(opts.rooms),
          except: new Set(opts.except ?? []),
          data: packet.data,
        });
      }
      super.broadcast(packet, opts);
    }

    override async persistSession(session: Session): Promise<void> {
      // A round trip to the store: written a few event-loop turns later.
      await new Promise((resolve) => setTimeout(resolve, 10));
      persisted.push(session);
      sessions.set(session.pid, session);
    }

    override async restoreSession(pid: string, offset: string): Promise<RestoredSession | null> {
      const session = sessions.get(pid);
      const from = packets.findIndex((p) => p.offset === offset);
      if (session === undefined || from === -1) return null;
      sessions.delete(pid);
      const rooms = new Set(session.rooms);
      const missedPackets = packets
        .slice(from + 1)
        .filter(
          (p) =>
            (p.rooms.size === 0 || [...p.rooms].some((r) => rooms.has(r))) &&
            ![...p.except].some((r) => rooms.has(r)),
        )
        .map((p) => p.data);
      return { ...session, missedPackets };
    }

    override close(): void {
      closes.push(persisted.length);
    }
  }

  return { Adapter: SharedStoreAdapter, persisted, closes };
}

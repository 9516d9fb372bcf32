import type { AdapterSocket, Handshake, SocketDetails, SocketId } from "@switchboard/server";
import { RedisAdapterError, RedisAdapterErrorCode } from "../errors.js";
import { isRecord, readSockets } from "./format.js";
import { serializeSyncedSockets } from "./serialize-sockets.js";

/**
 * fetchSockets between Switchboard nodes without resending handshakes.
 *
 * A handshake is most of a fetch answer's bytes and never changes, yet socket.io's format
 * sends (and parses) every one on every call. Between Switchboard nodes the answer carries
 * each handshake once: the responder numbers its sockets (hid, 1, 2, … in the order it
 * first describes them); a requester adds `sb: {<responder uid>: <top hid it has>}` to its
 * fetch request (socket.io nodes ignore the field and answer as usual), and a Switchboard
 * responder then answers `{requestId, sb: {uid, top, live, hs: {<hid>: handshake}},
 * sockets: [{id, h: hid, rooms, data}]}`, where `hs` holds every live socket of its node
 * with a hid above the requester's top (matching the request or not), so the requester's
 * table of that node stays complete up to `top`.
 */

/**
 * Responder side: each local socket's handshake, copied once (a handshake does not change
 * after the connection), and its hid. WeakMaps: nothing to clean.
 */
export class LocalHandshakes {
  #next = 1;
  readonly #hids = new WeakMap<AdapterSocket, number>();
  readonly #copies = new WeakMap<AdapterSocket, Handshake>();

  /** The plain copy of `socket`'s handshake made before, if any. */
  cached(socket: AdapterSocket): Handshake | undefined {
    return this.#copies.get(socket);
  }

  remember(socket: AdapterSocket, handshake: Handshake): void {
    this.#copies.set(socket, handshake);
  }

  /**
   * The fetch answer for a Switchboard requester whose request listed `sb` (hid tops by
   * node uid): `sockets` (the matching ones) by hid, plus the handshakes it lacks of every
   * live socket of this node.
   */
  answer(
    requestId: string,
    sockets: SocketDetails[],
    sb: Record<string, unknown>,
    uid: string,
    live: ReadonlyMap<SocketId, AdapterSocket>,
    describe: (socket: AdapterSocket) => SocketDetails,
  ): string {
    const known = sb[uid];
    const sync = this.sync(
      live.values(),
      typeof known === "number" ? known : 0,
      uid,
      (s) => describe(s).handshake,
    );
    return serializeSyncedSockets(requestId, sync, sockets, (id) => {
      const socket = live.get(id);
      // A socket gone since fetchSockets listed it has no number: its handshake goes inline.
      return socket === undefined ? undefined : this.hidOf(socket);
    });
  }

  hidOf(socket: AdapterSocket): number {
    let hid = this.#hids.get(socket);
    if (hid === undefined) {
      hid = this.#next++;
      this.#hids.set(socket, hid);
    }
    return hid;
  }

  /** The `sb` part of an answer for a requester that has every hid up to `known`. */
  sync(
    sockets: Iterable<AdapterSocket>,
    known: number,
    uid: string,
    handshakeOf: (socket: AdapterSocket) => Handshake,
  ): { uid: string; top: number; live: number; hs: Record<string, Handshake> } {
    const hs: Record<string, Handshake> = {};
    let live = 0;
    for (const socket of sockets) {
      live++;
      const hid = this.hidOf(socket);
      if (hid > known) hs[hid] = handshakeOf(socket);
    }
    return { uid, top: this.#next - 1, live, hs };
  }
}

/** What a requester knows of one responder's handshakes. */
interface Table {
  top: number;
  readonly byHid: Map<number, Handshake>;
}

function invalid(what: string): RedisAdapterError {
  return new RedisAdapterError(RedisAdapterErrorCode.INVALID_MESSAGE, `fetch answer: ${what}`);
}

/** Most responders remembered, and the slack of a table over the live sockets it serves. */
const MAX_RESPONDERS = 256;
const SLACK = 256;

/**
 * Requester side: a table of handshakes per responder node. A request takes a snapshot of
 * the tables (its answers resolve against those objects, so a table replaced meanwhile does
 * not break them); a table holding far more than its node's live sockets (disconnected ones)
 * is replaced by an empty one, which the next answer fills again.
 */
export class RemoteHandshakes {
  readonly #tables = new Map<string, Table>();

  /** Handshakes remembered, all responders together (for leak checks). */
  get size(): number {
    let n = 0;
    for (const table of this.#tables.values()) n += table.byHid.size;
    return n;
  }

  clear(): void {
    this.#tables.clear();
  }

  /** The request's `sb` field and the tables its answers resolve against. */
  snapshot(): { sb: Record<string, number>; tables: Map<string, Table> } {
    const sb: Record<string, number> = {};
    for (const [uid, table] of this.#tables) sb[uid] = table.top;
    return { sb, tables: new Map(this.#tables) };
  }

  /**
   * The sockets of a Switchboard answer (`msg.sb` set), handshakes from the table.
   *
   * @throws RedisAdapterError `SB_ERR_REDIS_INVALID_MESSAGE`
   */
  read(msg: Record<string, unknown>, tables: Map<string, Table>): SocketDetails[] {
    const sb = msg.sb;
    if (!isRecord(sb) || typeof sb.uid !== "string" || !isRecord(sb.hs)) throw invalid("bad sb");
    const { uid, top, live } = sb;
    if (!Number.isSafeInteger(top) || !Number.isSafeInteger(live)) throw invalid("bad top/live");
    let table = tables.get(uid);
    if (table === undefined) {
      table = { top: 0, byHid: new Map() };
      if (this.#tables.size >= MAX_RESPONDERS) this.#tables.clear();
      this.#tables.set(uid, table);
    }
    for (const [key, handshake] of Object.entries(sb.hs)) {
      if (!isRecord(handshake)) throw invalid("a handshake is not an object");
      table.byHid.set(Number(key), handshake as unknown as Handshake);
    }
    table.top = Math.max(table.top, top as number);
    if (!Array.isArray(msg.sockets)) throw invalid("sockets is not an array");
    const sockets = msg.sockets.map((s: unknown) => {
      if (!isRecord(s)) throw invalid("a socket is not an object");
      const handshake = isRecord(s.handshake)
        ? (s.handshake as unknown as Handshake)
        : typeof s.h === "number"
          ? table.byHid.get(s.h)
          : undefined;
      if (handshake === undefined) throw invalid("a socket's handshake is unknown");
      return { id: s.id, handshake, rooms: s.rooms, data: s.data };
    });
    if (table.byHid.size > 2 * (live as number) + SLACK && this.#tables.get(uid) === table) {
      this.#tables.set(uid, { top: 0, byHid: new Map() });
    }
    return readSockets(sockets);
  }
}

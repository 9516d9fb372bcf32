import type { PresenceChange, PresenceRecord } from "@switchboard/server";

/**
 * The presence channel's messages, JSON, each from one node (`n`, its random id):
 * - `d` deltas: `s` the node's sequence number (one per message, +1 each), `c` changes
 *   `[nsp, 1, room, sid, id, meta, at]` (set) or `[nsp, 0, room, sid]` (delete);
 * - `h` heartbeat: `s` the last sequence number sent;
 * - `s` snapshot part `i` (`l` 1 on the last) of every record the node owns at sequence `s`,
 *   records `[nsp, room, sid, id, meta, at]`;
 * - `q` sync request: every node (or node `to`) publishes a snapshot;
 * - `b` bye: the node leaves, its records go at once.
 * Parts and deltas of one node arrive in the order it published them (one connection, one
 * channel), so a snapshot then the deltas after it rebuild its records exactly.
 */
export type PresenceWire =
  | { t: "d"; n: string; s: number; c: WireChange[] }
  | { t: "h"; n: string; s: number }
  | { t: "s"; n: string; s: number; i: number; l: 0 | 1; r: WireRecord[] }
  | { t: "q"; n: string; to?: string }
  | { t: "b"; n: string };

/** A change on the wire: set `[nsp, 1, room, sid, id, meta, at]` or delete `[nsp, 0, room, sid]`. */
export type WireChange =
  | [string, 1, string | null, string, string, unknown, number]
  | [string, 0, string | null, string];

/** A snapshot record on the wire. */
export type WireRecord = [string, string | null, string, string, unknown, number];

/** Longest socket id, identity id and namespace accepted from another node (characters). */
const MAX_FIELD = 1024;

export function changeToWire(nsp: string, change: PresenceChange): WireChange {
  if (change.op === "del") return [nsp, 0, change.room, change.sid];
  const r = change.record;
  return [nsp, 1, r.room, r.sid, r.id, r.meta, r.at];
}

export function recordToWire(nsp: string, r: PresenceRecord): WireRecord {
  return [nsp, r.room, r.sid, r.id, r.meta, r.at];
}

function field(v: unknown): v is string {
  return typeof v === "string" && v.length <= MAX_FIELD;
}

function room(v: unknown): v is string | null {
  return v === null || field(v);
}

/** A wire change as `[nsp, change]`, or `undefined` when malformed. */
export function readChange(v: unknown): [string, PresenceChange] | undefined {
  if (!Array.isArray(v) || !field(v[0]) || !room(v[2]) || !field(v[3])) return undefined;
  if (v[1] === 0 && v.length === 4) return [v[0], { op: "del", room: v[2], sid: v[3] }];
  if (v[1] !== 1 || v.length !== 7 || !field(v[4]) || v[4] === "" || !finite(v[6])) {
    return undefined;
  }
  return [v[0], { op: "set", record: { room: v[2], sid: v[3], id: v[4], meta: v[5], at: v[6] } }];
}

/** A snapshot record as `[nsp, record]`, or `undefined` when malformed. */
export function readRecord(v: unknown): [string, PresenceRecord] | undefined {
  if (!Array.isArray(v) || v.length !== 6 || !field(v[0]) || !room(v[1]) || !field(v[2])) {
    return undefined;
  }
  if (!field(v[3]) || v[3] === "" || !finite(v[5])) return undefined;
  return [v[0], { room: v[1], sid: v[2], id: v[3], meta: v[4], at: v[5] }];
}

function finite(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/** A decoded message checked for its envelope (changes and records are read one by one). */
export function readMessage(raw: Buffer): PresenceWire | undefined {
  let v: unknown;
  try {
    v = JSON.parse(raw.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const m = v as Record<string, unknown>;
  if (!field(m.n) || m.n === "") return undefined;
  switch (m.t) {
    case "d":
      return seq(m.s) && Array.isArray(m.c) ? (m as PresenceWire) : undefined;
    case "h":
      return seq(m.s) ? (m as PresenceWire) : undefined;
    case "s":
      return seq(m.s) && seq(m.i) && (m.l === 0 || m.l === 1) && Array.isArray(m.r)
        ? (m as PresenceWire)
        : undefined;
    case "q":
      return m.to === undefined || field(m.to) ? (m as PresenceWire) : undefined;
    case "b":
      return m as PresenceWire;
    default:
      return undefined;
  }
}

function seq(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

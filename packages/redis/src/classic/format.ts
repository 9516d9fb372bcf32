import type { EventPacket } from "@switchboard/protocol";
import type { BroadcastFlags, BroadcastOptions, Room, SocketDetails } from "@switchboard/server";
import { RedisAdapterError, RedisAdapterErrorCode } from "../errors.js";

/**
 * The classic format of @socket.io/redis-adapter 8.x, as observed on the wire
 * (`redis-cli monitor` while socket.io 4.8 nodes broadcast, join, fetch, emit server-side
 * and collect acks), for key `K` and namespace `N`:
 *
 * - broadcasts: PUBLISH `K#N#` (or `K#N#<room>#` when exactly one room is targeted) of
 *   msgpack `[uid, {type: 2, data, nsp}, {rooms: [...], except: [...], flags: {...}}]`;
 *   every node PSUBSCRIBEs `K#N#*`;
 * - requests: PUBLISH `K-request#N#`, JSON `{uid, requestId?, type, ...}`, except the
 *   broadcast-with-ack request (type 7), msgpack;
 * - responses: PUBLISH `K-response#N#` (or `K-response#N#<requester uid>#` with
 *   `publishOnSpecificResponseChannel`), JSON without `uid`, except the ack of a client
 *   (type 9), msgpack;
 * - node count: `PUBSUB NUMSUB K-request#N#` (every node subscribes it once per namespace).
 *
 * A payload starting with `{` is JSON, anything else goes to the parser (msgpack).
 */
export const RequestType = {
  SOCKETS: 0,
  ALL_ROOMS: 1,
  REMOTE_JOIN: 2,
  REMOTE_LEAVE: 3,
  REMOTE_DISCONNECT: 4,
  REMOTE_FETCH: 5,
  SERVER_SIDE_EMIT: 6,
  BROADCAST: 7,
  BROADCAST_CLIENT_COUNT: 8,
  BROADCAST_ACK: 9,
} as const;

/** The channel names of one namespace. */
export interface Channels {
  /** `K#N#`: broadcasts to everyone, and the prefix of one-room broadcasts. */
  readonly broadcast: string;
  readonly request: string;
  readonly response: string;
  /** This node's own response channel `K-response#N#<uid>#`. */
  readonly ownResponse: string;
}

/** The channel names for key `key`, namespace `nsp`, node `uid`. */
export function channelsOf(key: string, nsp: string, uid: string): Channels {
  const response = `${key}-response#${nsp}#`;
  return {
    broadcast: `${key}#${nsp}#`,
    request: `${key}-request#${nsp}#`,
    response,
    ownResponse: `${response}${uid}#`,
  };
}

/** The options of a broadcast on the wire: rooms, except, flags (only the flags set). */
export interface WireOptions {
  rooms: Room[];
  except: Room[];
  flags?: BroadcastFlags;
}

/** Broadcast options as they travel, flags without `undefined` members (as socket.io writes). */
export function toWire(opts: BroadcastOptions, withFlags: boolean): WireOptions {
  const wire: WireOptions = { rooms: [...opts.rooms], except: [...(opts.except ?? [])] };
  if (withFlags) {
    const flags: Record<string, unknown> = {};
    const given = opts.flags as Record<string, unknown> | undefined;
    if (given !== undefined) {
      for (const name in given) if (given[name] !== undefined) flags[name] = given[name];
    }
    wire.flags = flags as BroadcastFlags;
  }
  return wire;
}

/** The packet part of a broadcast: socket.io's field order, no ack id. */
export function wirePacket(packet: EventPacket): { type: 2; data: unknown[]; nsp: string } {
  return { type: 2, data: packet.data, nsp: packet.nsp };
}

function invalid(what: string): RedisAdapterError {
  return new RedisAdapterError(RedisAdapterErrorCode.INVALID_MESSAGE, `classic format: ${what}`);
}

type Rec = Record<string, unknown>;

export function isRecord(value: unknown): value is Rec {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringArray(value: unknown, what: string): string[] {
  if (!Array.isArray(value)) throw invalid(`${what} is not an array`);
  for (const item of value) if (typeof item !== "string") throw invalid(`${what}: not a string`);
  return value as string[];
}

/** Validates the `opts` of a message into BroadcastOptions. */
export function readOptions(value: unknown): BroadcastOptions {
  if (!isRecord(value)) throw invalid("opts is not an object");
  const rooms = stringArray(value.rooms ?? [], "opts.rooms");
  const except = stringArray(value.except ?? [], "opts.except");
  const opts: BroadcastOptions = { rooms: new Set(rooms), except: new Set(except) };
  if (value.flags !== undefined) opts.flags = readFlags(value.flags);
  return opts;
}

function readFlags(value: unknown): BroadcastFlags {
  if (!isRecord(value)) throw invalid("opts.flags is not an object");
  const flags: BroadcastFlags = {};
  for (const name of ["volatile", "compress", "local", "expectSingleResponse"] as const) {
    const flag = value[name];
    if (flag === undefined) continue;
    if (typeof flag !== "boolean") throw invalid(`flag ${name} is not a boolean`);
    flags[name] = flag;
  }
  if (value.timeout !== undefined) {
    if (typeof value.timeout !== "number" || !(value.timeout >= 0)) {
      throw invalid("flag timeout is not a number");
    }
    flags.timeout = value.timeout;
  }
  return flags;
}

/** Validates a broadcast packet (an EVENT of namespace `nsp`). */
export function readPacket(value: unknown, nsp: string): EventPacket {
  if (!isRecord(value)) throw invalid("packet is not an object");
  if (value.type !== 2 && value.type !== 5) throw invalid("packet is not an EVENT");
  const data = value.data;
  if (!Array.isArray(data) || data.length === 0) throw invalid("packet data is not an array");
  if ((value.nsp ?? "/") !== nsp) throw invalid("packet of another namespace");
  return { type: 2, nsp, data };
}

/** A decoded broadcast: `[uid, packet, opts]`. */
export function readBroadcast(
  value: unknown,
  nsp: string,
): { uid: string; packet: EventPacket; opts: BroadcastOptions } {
  if (!Array.isArray(value) || value.length !== 3 || typeof value[0] !== "string") {
    throw invalid("a broadcast is not [uid, packet, opts]");
  }
  return { uid: value[0], packet: readPacket(value[1], nsp), opts: readOptions(value[2]) };
}

/** The fields every request and response has. */
export function readHead(value: unknown): {
  type: number | undefined;
  requestId: string | undefined;
  uid: string | undefined;
  msg: Rec;
} {
  if (!isRecord(value)) throw invalid("not an object");
  const { type, requestId, uid } = value;
  if (type !== undefined && (typeof type !== "number" || !Number.isInteger(type))) {
    throw invalid("type is not an integer");
  }
  if (requestId !== undefined && typeof requestId !== "string") {
    throw invalid("requestId is not a string");
  }
  if (uid !== undefined && typeof uid !== "string") throw invalid("uid is not a string");
  return { type, requestId, uid, msg: value };
}

export function readRooms(value: unknown): Room[] {
  return stringArray(value, "rooms");
}

/** Validates the socket list of a fetch response into SocketDetails (rooms as Sets). */
export function readSockets(value: unknown): SocketDetails[] {
  if (!Array.isArray(value)) throw invalid("sockets is not an array");
  const out: SocketDetails[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const s: unknown = value[i];
    if (!isRecord(s) || typeof s.id !== "string" || !isRecord(s.handshake)) {
      throw invalid("a socket is not {id, handshake, rooms, data}");
    }
    out[i] = {
      id: s.id,
      handshake: s.handshake as unknown as SocketDetails["handshake"],
      rooms: new Set(stringArray(s.rooms ?? [], "socket rooms")),
      data: s.data,
    };
  }
  return out;
}

/** Whether JSON text could define a `__proto__` key (refused, as the msgpack decoder does). */
export function hasProtoKey(text: string): boolean {
  return text.includes('"__proto__"');
}

/** Parses a JSON payload of the channels, refusing `__proto__` keys. */
export function parseJson(payload: Buffer | string): unknown {
  const text = typeof payload === "string" ? payload : payload.toString("utf8");
  if (hasProtoKey(text)) {
    throw new RedisAdapterError(RedisAdapterErrorCode.FORBIDDEN_KEY, "JSON has a __proto__ key");
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RedisAdapterError(RedisAdapterErrorCode.INVALID_MESSAGE, "invalid JSON", {
      cause: err,
    });
  }
}

/**
 * The message format of the sharded adapter on Redis, as @socket.io/redis-adapter 8.x's
 * `createShardedAdapter` writes it (learned from `redis-cli monitor`, issue 16): one object
 * `{type, data, uid, nsp}` per SPUBLISH, with a numeric `type` and a `data` object per type,
 * written as JSON text when nothing in it is binary and as MessagePack (notepack.io's bytes)
 * when something is. Keys are written in the order that adapter writes them, so a message
 * is byte for byte what a socket.io node would have sent.
 *
 * | type | message                   | data                                        |
 * | ---- | ------------------------- | ------------------------------------------- |
 * | 1, 2 | initial-heartbeat, heartbeat (never sent by the sharded adapter)        ||
 * | 3    | broadcast                 | `{packet: {type, data}, requestId?, opts}`  |
 * | 4, 5 | sockets-join, -leave      | `{opts, rooms}`                             |
 * | 6    | disconnect-sockets        | `{opts, close}`                             |
 * | 7    | fetch-sockets             | `{opts, requestId}`                         |
 * | 8    | fetch-sockets-response    | `{requestId, sockets: [{id, handshake, rooms, data}]}` |
 * | 9    | server-side-emit          | `{requestId?, packet: [event, ...args]}`    |
 * | 10   | server-side-emit-response | `{requestId, packet: firstArg}`             |
 * | 11   | broadcast-client-count    | `{requestId, clientCount}`                  |
 * | 12   | broadcast-ack             | `{requestId, packet: firstArg}`             |
 * | 13   | adapter-close (never sent by the sharded adapter)                       ||
 *
 * `opts` is `{rooms: [], except: [], flags: {}}`. An answer carries only the first argument
 * of the ack (socket.io's sharded nodes do the same).
 */

import { hasBinary, type SocketPacket } from "@switchboard/protocol";
import type {
  BroadcastFlags,
  ClusterMessage,
  Handshake,
  SerializedOptions,
  SocketDetails,
} from "@switchboard/server";
import { RedisAdapterError, RedisAdapterErrorCode } from "../errors.js";
import { decode } from "../msgpack/decode.js";
import { encode } from "../msgpack/encode.js";

/** The numeric `type` of each message on the wire. */
export const ShardedWireType = {
  "initial-heartbeat": 1,
  heartbeat: 2,
  broadcast: 3,
  "sockets-join": 4,
  "sockets-leave": 5,
  "disconnect-sockets": 6,
  "fetch-sockets": 7,
  "fetch-sockets-response": 8,
  "server-side-emit": 9,
  "server-side-emit-response": 10,
  "broadcast-client-count": 11,
  "broadcast-ack": 12,
  "adapter-close": 13,
} as const satisfies Record<ClusterMessage["type"], number>;

const TYPE_NAMES = new Map<number, ClusterMessage["type"]>(
  Object.entries(ShardedWireType).map(([name, n]) => [n, name as ClusterMessage["type"]]),
);

/** The first byte of JSON text (`{`): a MessagePack message starts with a map header instead. */
const OPEN_BRACE = 0x7b;

/**
 * The bytes (or text) to SPUBLISH for `message`: JSON when its data holds no binary value,
 * MessagePack otherwise.
 */
export function encodeShardedMessage(message: ClusterMessage): string | Buffer {
  const wire = {
    type: ShardedWireType[message.type],
    data: wireData(message),
    uid: message.uid,
    nsp: message.nsp,
  };
  if (wire.data === undefined) return JSON.stringify(wire);
  return hasBinary(wire.data) ? encode(wire) : JSON.stringify(wire);
}

function wireData(m: ClusterMessage): Record<string, unknown> | undefined {
  switch (m.type) {
    case "initial-heartbeat":
    case "heartbeat":
    case "adapter-close":
      return undefined;
    case "broadcast": {
      // The namespace travels once, in the message; socket.io's packets carry none here.
      const packet =
        "data" in m.packet ? { type: m.packet.type, data: m.packet.data } : { type: m.packet.type };
      return m.requestId === undefined
        ? { packet, opts: m.opts }
        : { packet, requestId: m.requestId, opts: m.opts };
    }
    case "sockets-join":
    case "sockets-leave":
      return { opts: m.opts, rooms: m.rooms };
    case "disconnect-sockets":
      return { opts: m.opts, close: m.close };
    case "fetch-sockets":
      return { opts: m.opts, requestId: m.requestId };
    case "fetch-sockets-response":
      return {
        requestId: m.requestId,
        sockets: m.sockets.map((s) => ({
          id: s.id,
          handshake: s.handshake,
          rooms: [...s.rooms],
          data: s.data,
        })),
      };
    case "server-side-emit":
      return m.requestId === undefined
        ? { packet: m.args }
        : { requestId: m.requestId, packet: m.args };
    case "server-side-emit-response":
    case "broadcast-ack":
      return { requestId: m.requestId, packet: m.args[0] };
    case "broadcast-client-count":
      return { requestId: m.requestId, clientCount: m.clientCount };
  }
}

/** Limits of {@link decodeShardedMessage}. */
export interface ShardedDecodeOptions {
  /** Largest message accepted, in bytes. */
  maxMessageBytes: number;
  /** The uid of the receiving node: responses arrive on its own channel, so it asked. */
  self: string;
}

/**
 * Reads one message of a sharded channel. Everything in it comes from whoever can publish
 * on the Redis server, so every field is checked before it reaches the adapter.
 *
 * @throws RedisAdapterError `SB_ERR_REDIS_MESSAGE_TOO_LARGE`, `SB_ERR_REDIS_INVALID_MESSAGE`
 *   (bad JSON or a shape that is not one of the table's), or the MessagePack decoder's codes
 */
export function decodeShardedMessage(raw: Buffer, options: ShardedDecodeOptions): ClusterMessage {
  if (raw.length > options.maxMessageBytes) {
    throw new RedisAdapterError(
      RedisAdapterErrorCode.MESSAGE_TOO_LARGE,
      `a message of ${raw.length} bytes exceeds maxMessageBytes (${options.maxMessageBytes})`,
    );
  }
  let value: unknown;
  if (raw[0] === OPEN_BRACE) {
    try {
      value = JSON.parse(raw.toString("utf8"));
    } catch (err) {
      throw invalid("not JSON", err);
    }
  } else {
    value = decode(raw);
  }
  if (!isRecord(value)) throw invalid("not an object");
  const { type, uid, nsp } = value;
  const name = typeof type === "number" ? TYPE_NAMES.get(type) : undefined;
  if (name === undefined) throw invalid(`unknown type ${String(type)}`);
  if (typeof uid !== "string" || typeof nsp !== "string")
    throw invalid("uid or nsp is not a string");
  const base = { uid, nsp };
  if (name === "initial-heartbeat" || name === "heartbeat" || name === "adapter-close") {
    return { ...base, type: name };
  }
  const data = value.data;
  if (!isRecord(data)) throw invalid("data is not an object");
  const requester = options.self;
  switch (name) {
    case "broadcast": {
      const requestId = optionalString(data.requestId, "requestId");
      const packet = readPacket(data.packet, nsp);
      const opts = readOpts(data.opts);
      return requestId === undefined
        ? { ...base, type: name, packet, opts }
        : { ...base, type: name, packet, opts, requestId };
    }
    case "sockets-join":
    case "sockets-leave":
      return {
        ...base,
        type: name,
        opts: readOpts(data.opts),
        rooms: readRooms(data.rooms, "rooms"),
      };
    case "disconnect-sockets":
      return { ...base, type: name, opts: readOpts(data.opts), close: data.close === true };
    case "fetch-sockets":
      return {
        ...base,
        type: name,
        opts: readOpts(data.opts),
        requestId: readString(data.requestId, "requestId"),
      };
    case "fetch-sockets-response": {
      const requestId = readString(data.requestId, "requestId");
      if (!Array.isArray(data.sockets)) throw invalid("sockets is not an array");
      return { ...base, type: name, requestId, requester, sockets: data.sockets.map(readSocket) };
    }
    case "server-side-emit": {
      const requestId = optionalString(data.requestId, "requestId");
      const args = data.packet;
      if (!Array.isArray(args)) throw invalid("packet is not an array");
      return requestId === undefined
        ? { ...base, type: name, args }
        : { ...base, type: name, args, requestId };
    }
    case "server-side-emit-response":
    case "broadcast-ack":
      return {
        ...base,
        type: name,
        requestId: readString(data.requestId, "requestId"),
        requester,
        args: [data.packet],
      };
    case "broadcast-client-count": {
      const clientCount = data.clientCount;
      if (
        typeof clientCount !== "number" ||
        !Number.isSafeInteger(clientCount) ||
        clientCount < 0
      ) {
        throw invalid("clientCount is not a count");
      }
      return {
        ...base,
        type: name,
        requestId: readString(data.requestId, "requestId"),
        requester,
        clientCount,
      };
    }
  }
}

function invalid(message: string, cause?: unknown): RedisAdapterError {
  return new RedisAdapterError(
    RedisAdapterErrorCode.INVALID_MESSAGE,
    `sharded message: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)
  );
}

function readString(value: unknown, field: string): string {
  if (typeof value !== "string") throw invalid(`${field} is not a string`);
  return value;
}

function optionalString(value: unknown, field: string): string | undefined {
  return value === undefined || value === null ? undefined : readString(value, field);
}

function readRooms(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw invalid(`${field} is not an array`);
  for (const room of value)
    if (typeof room !== "string") throw invalid(`${field} holds a non-string`);
  return value as string[];
}

/** Only an EVENT (or BINARY_EVENT) is ever broadcast, with its event name first. */
function readPacket(value: unknown, nsp: string): SocketPacket {
  if (!isRecord(value)) throw invalid("packet is not an object");
  const { type, data } = value;
  if ((type !== 2 && type !== 5) || !Array.isArray(data) || typeof data[0] !== "string") {
    throw invalid("packet is not an event");
  }
  return { type, nsp, data };
}

const BOOLEAN_FLAGS = ["volatile", "compress", "local", "expectSingleResponse"] as const;

function readOpts(value: unknown): SerializedOptions {
  if (!isRecord(value)) throw invalid("opts is not an object");
  const rooms = readRooms(value.rooms ?? [], "opts.rooms");
  const except = readRooms(value.except ?? [], "opts.except");
  const raw = value.flags ?? {};
  if (!isRecord(raw)) throw invalid("opts.flags is not an object");
  const flags: BroadcastFlags = {};
  for (const flag of BOOLEAN_FLAGS) if (typeof raw[flag] === "boolean") flags[flag] = raw[flag];
  if (typeof raw.timeout === "number" && Number.isFinite(raw.timeout) && raw.timeout >= 0) {
    flags.timeout = raw.timeout;
  }
  return { rooms, except, flags };
}

function readSocket(value: unknown): SocketDetails {
  if (!isRecord(value)) throw invalid("a socket is not an object");
  const id = readString(value.id, "socket id");
  return {
    id,
    handshake: readHandshake(value.handshake),
    rooms: new Set(readRooms(value.rooms, "socket rooms")),
    data: value.data,
  };
}

/** A handshake as a socket.io node describes it; a field of the wrong type reads as empty. */
/** The string and string[] entries of a headers or query object. */
function stringRecord(value: unknown): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!isRecord(value)) return out;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string"))) {
      out[key] = v;
    }
  }
  return out;
}

function readHandshake(value: unknown): Handshake {
  if (!isRecord(value)) throw invalid("a socket's handshake is not an object");
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  return {
    headers: stringRecord(value.headers),
    time: text(value.time),
    address: text(value.address),
    xdomain: value.xdomain === true,
    secure: value.secure === true,
    issued: typeof value.issued === "number" ? value.issued : 0,
    url: text(value.url),
    query: stringRecord(value.query),
    auth: isRecord(value.auth) ? value.auth : {},
  };
}

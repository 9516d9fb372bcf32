import { RESERVED_EVENTS } from "@switchboard/protocol";
import type { Adapter, BroadcastOptions, Room } from "@switchboard/server";
import { isTuple, looksLikePickle, PickleError, type PickleLimits, unpickle } from "./pickle.js";

/**
 * What python-socketio's pub/sub managers (`RedisManager`, `KombuManager`, and so
 * Flask-SocketIO's `message_queue`) publish on their channel, and how a Switchboard node
 * carries it out on its own sockets.
 *
 * The messages are dicts, `pickle.dumps`'d up to python-socketio 5.13 (Debian 12 ships
 * 5.7), JSON from 5.14: `{"method": "emit", "event", "data", "namespace", "room",
 * "skip_sid", "callback", "host_id"}`, `{"method": "disconnect", "sid", "namespace"}`,
 * `{"method": "close_room", "room", "namespace"}`, and from 5.12 `enter_room` /
 * `leave_room` with `sid`, `room`, `namespace`. Every node subscribed to the channel
 * receives each message and applies it to its own sockets only.
 *
 * Python's semantics are kept: `data` that is a tuple is several event arguments, `None`
 * none, anything else one argument (a list too: JSON has no tuples, so from 5.14 a tuple
 * arrives as one list argument, as it does on Python nodes); `room` and `skip_sid` are a
 * name or a list of names (a socket id is the name of the socket's own room); a missing
 * namespace is `/`. `callback` messages (acks between Python server nodes) are ignored, and
 * so is the `callback` field of an emit: python-socketio only allows acks from a server
 * context, never from a write-only emitter.
 */
export type PythonCommand =
  | {
      method: "emit";
      namespace: string;
      event: string;
      args: unknown[];
      rooms: Room[];
      except: Room[];
    }
  | { method: "enter_room" | "leave_room"; namespace: string; sid: string; room: Room }
  | { method: "close_room"; namespace: string; room: Room }
  | { method: "disconnect"; namespace: string; sid: string }
  | { method: "callback" };

/** Why a message on the Python channel was dropped. `code` is stable. */
export class PythonMessageError extends Error {
  override readonly name = "PythonMessageError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Event names that are local life-cycle events on both sides; never sent to clients. */
const RESERVED = new Set(RESERVED_EVENTS);

const invalid = (why: string): never => {
  throw new PythonMessageError("SB_ERR_PYTHON_INVALID_MESSAGE", `python message dropped: ${why}`);
};

/**
 * Reads one message of the Python channel (pickle or JSON) into a command. Throws
 * {@link PythonMessageError} (or {@link PickleError}) for anything it will not carry out.
 */
export function parsePythonMessage(
  raw: Uint8Array | string,
  limits: Partial<PickleLimits> = {},
): PythonCommand {
  const message = decode(raw, limits);
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    return invalid("not a dict");
  }
  const m = message as Record<string, unknown>;
  const namespace = m.namespace === undefined || m.namespace === null ? "/" : m.namespace;
  if (typeof namespace !== "string" || !namespace.startsWith("/")) {
    return invalid("namespace is not a string starting with '/'");
  }
  switch (m.method) {
    case "emit": {
      if (typeof m.event !== "string" || m.event === "") return invalid("event is not a string");
      if (RESERVED.has(m.event)) return invalid(`reserved event name "${m.event}"`);
      const data = m.data;
      const args = data === null || data === undefined ? [] : isTuple(data) ? data : [data];
      return {
        method: "emit",
        namespace,
        event: m.event,
        args,
        rooms: names(m.room, "room"),
        except: names(m.skip_sid, "skip_sid"),
      };
    }
    case "enter_room":
    case "leave_room":
      return { method: m.method, namespace, sid: name(m.sid, "sid"), room: name(m.room, "room") };
    case "close_room":
      return { method: "close_room", namespace, room: name(m.room, "room") };
    case "disconnect":
      return { method: "disconnect", namespace, sid: name(m.sid, "sid") };
    case "callback":
      return { method: "callback" };
    default:
      return invalid(`unknown method ${JSON.stringify(String(m.method)).slice(0, 64)}`);
  }
}

function decode(raw: Uint8Array | string, limits: Partial<PickleLimits>): unknown {
  const maxBytes = limits.maxBytes ?? 1024 * 1024;
  if (typeof raw !== "string" && looksLikePickle(raw)) return unpickle(raw, limits);
  const text = typeof raw === "string" ? raw : Buffer.from(raw).toString("utf8");
  if (text.length > maxBytes) {
    throw new PythonMessageError(
      "SB_ERR_PYTHON_TOO_LARGE",
      `python message of ${text.length} characters over the ${maxBytes} limit`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid("neither a pickle nor JSON");
  }
  checkShape(value, limits.maxDepth ?? 32, limits.maxNodes ?? 100_000);
  return value;
}

/** JSON gets the pickle's bounds too: depth and number of values. */
function checkShape(value: unknown, maxDepth: number, maxNodes: number): void {
  let nodes = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (++nodes > maxNodes) {
      throw new PythonMessageError("SB_ERR_PYTHON_TOO_LARGE", `more than ${maxNodes} values`);
    }
    if (typeof v !== "object" || v === null) continue;
    if (depth >= maxDepth) {
      throw new PythonMessageError("SB_ERR_PYTHON_TOO_DEEP", `nested deeper than ${maxDepth}`);
    }
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
}

function name(v: unknown, field: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return invalid(`${field} is not a name`);
}

function names(v: unknown, field: string): string[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.map((item) => name(item, field));
  return [name(v, field)];
}

/**
 * Carries out a command on the sockets of this node in `adapter`'s namespace (the caller
 * picks the adapter by `command.namespace`). Every operation is local: each node receives
 * the message from Redis itself.
 */
export function applyPythonCommand(adapter: Adapter, command: PythonCommand): void {
  const only = (rooms: Room[], except: Room[] = []): BroadcastOptions => ({
    rooms: new Set(rooms),
    except: new Set(except),
    flags: { local: true },
  });
  switch (command.method) {
    case "emit":
      adapter.broadcast(
        { type: 2, nsp: adapter.nsp.name, data: [command.event, ...command.args] },
        only(command.rooms, command.except),
      );
      return;
    case "enter_room":
      adapter.addSockets(only([command.sid]), [command.room]);
      return;
    case "leave_room":
      adapter.delSockets(only([command.sid]), [command.room]);
      return;
    case "close_room":
      adapter.delSockets(only([command.room]), [command.room]);
      return;
    case "disconnect":
      adapter.disconnectSockets(only([command.sid]), false);
      return;
    case "callback":
      return;
  }
}

export { PickleError };

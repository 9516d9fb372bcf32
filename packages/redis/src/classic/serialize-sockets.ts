import type { SocketDetails } from "@switchboard/server";

/** JSON of handshake objects, by identity (the adapter copies a socket's handshake once). */
const handshakeJson = new WeakMap<object, string>();

/** The JSON of a handshake, written once per handshake object. */
function handshakeText(handshake: object): string {
  let text = handshakeJson.get(handshake);
  if (text === undefined) {
    text = JSON.stringify(handshake);
    handshakeJson.set(handshake, text);
  }
  return text;
}

/** `{"id":…,<handshake part>,"rooms":[…],"data":…}` of each socket, comma-joined. */
function socketsJson(
  sockets: readonly SocketDetails[],
  handshakePart: (socket: SocketDetails) => string,
): string {
  const parts = new Array<string>(sockets.length);
  for (let i = 0; i < sockets.length; i++) {
    const s = sockets[i]!;
    // JSON.stringify gives undefined for undefined (and functions): no "data" key then.
    const dataJson = JSON.stringify(s.data) as string | undefined;
    const data = dataJson === undefined ? "" : `,"data":${dataJson}`;
    parts[i] =
      `{"id":${JSON.stringify(s.id)},${handshakePart(s)},"rooms":${JSON.stringify([...s.rooms])}${data}}`;
  }
  return parts.join(",");
}

/**
 * The JSON answer to a fetch request, `{requestId, sockets: [{id, handshake, rooms, data}]}`
 * as socket.io nodes write and read it (rooms as an array). A handshake is serialized once
 * per socket and reused by later requests: only rooms and data are written each time.
 */
export function serializeSockets(requestId: string, sockets: readonly SocketDetails[]): string {
  const list = socketsJson(sockets, (s) => `"handshake":${handshakeText(s.handshake)}`);
  return `{"requestId":${JSON.stringify(requestId)},"sockets":[${list}]}`;
}

/**
 * The fetch answer for a Switchboard requester (see handshake-sync.ts): each socket names
 * its handshake by number (`h`), or carries it when it has none; `sync` carries the
 * handshakes the requester lacks.
 */
export function serializeSyncedSockets(
  requestId: string,
  sync: object,
  sockets: readonly SocketDetails[],
  hidOf: (id: string) => number | undefined,
): string {
  const list = socketsJson(sockets, (s) => {
    const hid = hidOf(s.id);
    return hid === undefined ? `"handshake":${handshakeText(s.handshake)}` : `"h":${hid}`;
  });
  return `{"requestId":${JSON.stringify(requestId)},"sb":${JSON.stringify(sync)},"sockets":[${list}]}`;
}

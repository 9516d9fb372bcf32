import type { SocketDetails } from "@switchboard/server";

/** JSON of handshake objects, by identity (the adapter copies a socket's handshake once). */
const handshakeJson = new WeakMap<object, string>();

/**
 * The JSON answer to a fetch request, `{requestId, sockets: [{id, handshake, rooms, data}]}`
 * as socket.io nodes write and read it (rooms as an array). A handshake is serialized once
 * per socket and reused by later requests: only rooms and data are written each time.
 */
export function serializeSockets(requestId: string, sockets: readonly SocketDetails[]): string {
  const parts = new Array<string>(sockets.length);
  for (let i = 0; i < sockets.length; i++) {
    const s = sockets[i]!;
    let hs = handshakeJson.get(s.handshake);
    if (hs === undefined) {
      hs = JSON.stringify(s.handshake);
      handshakeJson.set(s.handshake, hs);
    }
    // JSON.stringify gives undefined for undefined (and functions): no "data" key then.
    const dataJson = JSON.stringify(s.data) as string | undefined;
    const data = dataJson === undefined ? "" : `,"data":${dataJson}`;
    parts[i] =
      `{"id":${JSON.stringify(s.id)},"handshake":${hs},"rooms":${JSON.stringify([...s.rooms])}${data}}`;
  }
  return `{"requestId":${JSON.stringify(requestId)},"sockets":[${parts.join(",")}]}`;
}

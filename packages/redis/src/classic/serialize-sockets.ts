import type { SocketDetails } from "@switchboard/server";

/**
 * The JSON answer to a fetch request, `{requestId, sockets: [{id, handshake, rooms, data}]}`
 * as socket.io nodes write and read it (rooms as an array), in one `JSON.stringify` call:
 * one call per socket cost 1.7x as much for 500 sockets (bench/README.md, cluster-fetch).
 */
export function serializeSockets(requestId: string, sockets: readonly SocketDetails[]): string {
  const list = new Array<object>(sockets.length);
  for (let i = 0; i < sockets.length; i++) {
    const s = sockets[i]!;
    list[i] = { id: s.id, handshake: s.handshake, rooms: [...s.rooms], data: s.data };
  }
  return JSON.stringify({ requestId, sockets: list });
}

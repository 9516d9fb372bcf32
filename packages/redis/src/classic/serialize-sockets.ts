import type { SocketDetails } from "@switchboard/server";

/**
 * The JSON answer to a fetch request, `{requestId, sockets: [{id, handshake, rooms, data}]}`
 * as socket.io nodes write and read it (rooms as an array), built in one pass.
 */
export function serializeSockets(requestId: string, sockets: readonly SocketDetails[]): string {
  const parts = new Array<string>(sockets.length);
  for (let i = 0; i < sockets.length; i++) {
    const s = sockets[i]!;
    parts[i] = JSON.stringify({
      id: s.id,
      handshake: s.handshake,
      rooms: [...s.rooms],
      data: s.data,
    });
  }
  return `{"requestId":${JSON.stringify(requestId)},"sockets":[${parts.join(",")}]}`;
}

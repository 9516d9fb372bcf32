import type { SocketPacket } from "@switchboard/protocol";
import type { EncodedPacket } from "../adapter/types.js";
import { PreparedMessage } from "../engine/index.js";

/**
 * A Socket.IO packet encoded once, wrapped once in engine {@link PreparedMessage}s, and
 * written to any number of connections (the adapter's view is the opaque
 * {@link EncodedPacket}).
 */
export class PreparedPacket implements EncodedPacket {
  readonly packet: SocketPacket;
  readonly messages: readonly PreparedMessage[];

  constructor(packet: SocketPacket, parts: readonly (string | Uint8Array | ArrayBuffer)[]) {
    this.packet = packet;
    const messages: PreparedMessage[] = new Array(parts.length);
    for (let i = 0; i < parts.length; i++) messages[i] = new PreparedMessage(parts[i]!);
    this.messages = messages;
  }
}

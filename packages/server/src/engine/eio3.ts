import {
  ENGINE_PACKET_TYPES,
  type EnginePacket,
  encodeV3BinaryPayload,
  encodeV3TextPayload,
  encodeV3WebSocketPacket,
} from "@switchboard/protocol";
import { PreparedMessage, pollingForm } from "./framing.js";

/**
 * Engine.IO protocol v3 (socket.io 2.x clients, `allowEIO3`): what differs from v4 on the
 * way out, on top of framing.ts and the protocol package's v3 encoders. Only the
 * transports of v3 sessions come here (their `v3` flag); the v4 path never does.
 *
 * - The open packet (the same JSON as v4's, open-packet.ts) is a one-packet payload over
 *   polling, `<length>:0{…}` (framed by `HttpAnswers.open`, http-answers.ts).
 * - Polling payloads are `<length>:<packet>` text, or the XHR2 binary payload when a
 *   payload holds binary and the client did not ask for `b64=1`.
 * - A binary message over WebSocket carries its type byte (4) in front of the bytes.
 */

/** What a v3 session needs to know about its client. */
export interface Eio3State {
  /** The handshake asked for `b64=1`: binary goes as `b4<base64>` in text payloads. */
  readonly base64: boolean;
}

/** A queued message as an engine packet (text: its type digit and data; binary: a message). */
function packetOf(m: PreparedMessage): EnginePacket {
  if (typeof m.data !== "string") return { type: "message", data: m.data };
  const form = pollingForm(m);
  return { type: ENGINE_PACKET_TYPES[form.charCodeAt(0) - 48]!, data: form.slice(1) };
}

/** One polling answer for a v3 client: text, or a binary payload (XHR2 clients). */
export function eio3PollingPayload(
  queue: readonly PreparedMessage[],
  state: Eio3State,
): string | Buffer {
  const packets = queue.map(packetOf);
  if (!state.base64 && queue.some((m) => typeof m.data !== "string")) {
    const bytes = encodeV3BinaryPayload(packets);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return encodeV3TextPayload(packets);
}

/** A control packet's polling body for a v3 client (`"1:6"`, `"1:1"`). */
export function eio3PollingText(m: PreparedMessage): string {
  const form = pollingForm(m);
  return `${form.length}:${form}`;
}

/**
 * The queue as v3 WebSocket frames: text messages as they are (their frame bytes stay
 * shared with every other recipient), binary ones copied behind the type byte.
 */
export function eio3WebSocketFrames(queue: readonly PreparedMessage[]): PreparedMessage[] {
  return queue.map((m) =>
    typeof m.data === "string"
      ? m
      : new PreparedMessage(encodeV3WebSocketPacket({ type: "message", data: m.data })),
  );
}

/** The value of query key `name` in a request URL (first occurrence), or null. */
export function queryParam(url: string | undefined, name: string): string | null {
  const q = url === undefined ? -1 : url.indexOf("?");
  if (q === -1 || url === undefined) return null;
  return new URLSearchParams(url.slice(q + 1)).get(name);
}

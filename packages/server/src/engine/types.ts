import type { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import type { RawData } from "@switchboard/protocol";
import type { PreparedMessage } from "./framing.js";

/** The Engine.IO session id (the `sid` query parameter). Distinct from a Socket.IO socket id. */
export type EngineSessionId = string;

/** The transports this engine speaks. */
export type TransportName = "polling" | "websocket";

/** Lifecycle of an engine connection. */
export type EngineReadyState = "opening" | "open" | "closing" | "closed";

/**
 * Why an engine connection closed; passed to {@link EngineConnectionHandler.onClose} and
 * the connection's `"close"` event.
 *
 * - `transport close`: the client closed the transport (close packet, WebSocket closed, …).
 * - `transport error`: the transport failed (socket error, aborted poll, protocol misuse).
 * - `parse error`: the client sent bytes that do not decode as Engine.IO packets.
 * - `ping timeout`: no pong within `pingTimeout` after a ping.
 * - `forced close`: {@link EngineConnection.close} was called.
 * - `buffer overflow`: the outgoing buffer went over `maxBufferedBytes` (slow client).
 * - `forced server close`: {@link EngineServer.close} was called.
 */
export const EngineCloseReason = {
  transportClose: "transport close",
  transportError: "transport error",
  parseError: "parse error",
  pingTimeout: "ping timeout",
  forcedClose: "forced close",
  bufferOverflow: "buffer overflow",
  serverClose: "forced server close",
} as const;

/** One of the {@link EngineCloseReason} strings. */
export type EngineCloseReasonValue = (typeof EngineCloseReason)[keyof typeof EngineCloseReason];

/** A message to send: raw data, or a {@link PreparedMessage} shared by many recipients. */
export type OutgoingMessage = RawData | PreparedMessage;

/** Options for {@link EngineConnection.send}. */
export interface SendOptions {
  /** Allow per-message deflate for this message (WebSocket with perMessageDeflate). Default true. */
  compress?: boolean;
  /** Drop the messages if the transport cannot write them right now. Default false. */
  volatile?: boolean;
  /**
   * Over WebSocket, write what is queued (these messages last) now, in a write of its own,
   * instead of with the end-of-tick or after-reads flush: what is sent next leaves in a
   * later write. Over polling it changes nothing (a poll answer still carries the whole
   * tick). Default false.
   */
  flush?: boolean;
}

/** What the socket layer plugs into a connection to receive its messages and its close. */
export interface EngineConnectionHandler {
  /** Called with each engine "message" packet payload, in order. */
  onMessage(data: RawData): void;
  /** Called once, when the connection closes. */
  onClose(reason: string, description?: unknown): void;
}

/**
 * One Engine.IO session, as the socket layer sees it.
 *
 * Events: `"upgrading"` (transport), `"upgrade"` (transport), `"drain"`, `"close"` (reason,
 * description), `"packet"` (packet received), `"packetCreate"` (packet queued for sending),
 * `"heartbeat"`.
 */
export interface EngineConnection extends EventEmitter {
  readonly id: EngineSessionId;
  /** The handshake request (kept as is; headers are not copied). */
  readonly request: IncomingMessage;
  /** The Engine.IO protocol version of the client: 4, or 3 (`allowEIO3`). */
  readonly protocol: 3 | 4;
  readonly remoteAddress: string;
  readonly transport: { readonly name: TransportName };
  readonly readyState: EngineReadyState;
  readonly upgraded: boolean;
  /** Bytes queued and not yet written to the operating system. */
  readonly bufferedBytes: number;
  setHandler(handler: EngineConnectionHandler): void;
  /** Queue messages (each one engine "message" packet) for sending; written within this tick. */
  send(messages: readonly OutgoingMessage[], options?: SendOptions): void;
  /** Flush what is queued, then close with reason "forced close". */
  close(): void;
}

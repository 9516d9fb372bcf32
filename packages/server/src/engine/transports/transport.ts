import type { EnginePacket } from "@switchboard/protocol";
import type { FrameBatch, PreparedMessage } from "../framing.js";
import type { TransportName } from "../types.js";

/**
 * Why a transport ended, as it reports it to its owner: the peer closed it (`transport
 * close`), it failed or broke a limit (`transport error`, with a `TransportError` or the
 * socket's error), or the peer's bytes do not decode (`parse error`).
 */
export type TransportEndReason = "transport close" | "transport error" | "parse error";

/**
 * What a transport reports to its session (the owner). Every transport calls
 * `onTransportClose` once at most and nothing after it; polling delivers decoded packets,
 * the WebSocket transports the content of each message (one engine packet per frame, spec
 * "WebSocket"), which the session decodes in its protocol version.
 */
export interface TransportOwner {
  /** Packets of one polling POST, in order (polling). */
  onPackets(transport: Transport, packets: readonly EnginePacket[]): void;
  /** One WebSocket message (WebSocket transports). */
  onFrame(transport: Transport, data: Buffer, isBinary: boolean): void;
  /** A GET is now held and can take an answer (polling). */
  onPoll(transport: Transport): void;
  /** The transport ended; `description` is the error, if any. */
  onTransportClose(transport: Transport, reason: TransportEndReason, description: unknown): void;
  /** What was written has been handed to the OS (WebSocket socket drained). */
  onDrain(transport: Transport): void;
  /**
   * The messages of one socket read start / have all been handed over (the direct
   * WebSocket transport): replies written in between can leave in one write right after
   * the read instead of waiting for the end-of-tick flush.
   */
  onReadStart?(transport: Transport): void;
  onReadEnd?(transport: Transport): void;
}

/**
 * One Engine.IO transport, as its session drives it. Polling, the direct WebSocket and the
 * WebSocket over `ws` implement it the same way; each answers its own HTTP requests or
 * writes its own frames, framed for the session's protocol version (fixed when the
 * transport is made), so the session never asks which transport it has.
 */
export interface Transport {
  readonly name: TransportName;
  /** The session; set by the session's constructor or when attached as a probe. */
  owner: TransportOwner | null;
  /**
   * Advertises and takes the upgrade to WebSocket (spec "Upgrade"): the open packet lists
   * `upgrades`, and a probe WebSocket may attach. Polling only.
   */
  readonly upgradable: boolean;
  /**
   * Writes reach the peer as they are flushed (WebSocket). Polling answers a GET with every
   * message of the tick, so a flush before the end of the tick would split them; `send`'s
   * `flush` then changes nothing.
   */
  readonly streaming: boolean;
  /**
   * A write now leaves at once: polling holds a GET; a WebSocket is open and its socket is
   * not backed up. `volatile` messages are dropped otherwise.
   */
  readonly writable: boolean;
  /** Bytes written and not yet handed to the OS (polling: 0, an answer goes to Node whole). */
  readonly bufferedAmount: number;
  /**
   * Writes one flush's messages, in order. False when it cannot write now (polling without
   * a held GET): nothing was written and the messages stay with the session. `batch`
   * shares the frame bytes of one flush round among sessions (WebSocket), or null.
   */
  write(messages: readonly PreparedMessage[], compress: boolean, batch: FrameBatch | null): boolean;
  /**
   * Graceful end. Polling answers a held GET with `last` (the close packet, or a noop when
   * the client closed) in the session's protocol version; a WebSocket sends its close frame
   * after what is queued.
   */
  close(last: PreparedMessage): void;
  /** Immediate end, dropping what is queued (slow client, errors); polling answers a held GET with the close packet. */
  terminate(): void;
}

/** A WebSocket transport: also a probe of a polling session (spec "Upgrade"). */
export interface WebSocketTransport extends Transport {
  readonly name: "websocket";
  /** Sends one text frame right away (open packet, "3probe"). */
  sendText(text: string): void;
  /** Closes with a close frame of `code` (1008: a second WebSocket of one session). */
  closeWithCode(code: number): void;
}

import { decodeEnginePacket, type EnginePacket, encodeEnginePacket } from "@switchboard/protocol";
import type { WebSocketLike } from "../platform/types.js";
import { parseError, TransportError } from "./errors.js";
import { type OutgoingPacket, Transport } from "./transport.js";

/** Defined (true) only when scripts/bundle.mjs builds the browser bundles; undeclared elsewhere. */
declare const SWITCHBOARD_BUNDLE: true | undefined;

/** Engine.IO over one WebSocket: one packet per frame, binary messages as binary frames. */
export class WebSocketTransport extends Transport {
  readonly name = "websocket";
  #ws: WebSocketLike | undefined;

  open(): void {
    let ws: WebSocketLike;
    try {
      // The browser bundles fold this to the one-argument call: a browser's WebSocket takes
      // neither headers nor Node.js options.
      ws =
        typeof SWITCHBOARD_BUNDLE === "undefined"
          ? this.opts.platform.createWebSocket(
              this.uri("ws", this.opts.timestampRequests === true),
              this.headers(),
              this.opts.webSocket,
            )
          : this.opts.platform.createWebSocket(
              this.uri("ws", this.opts.timestampRequests === true),
            );
    } catch (err) {
      // The DOM constructor throws synchronously on a bad URL; report it like a failed open.
      queueMicrotask(() => this.onError(new TransportError("websocket error", err)));
      return;
    }
    this.#ws = ws;
    ws.binaryType = this.opts.platform.binaryType;
    ws.onopen = () => {
      if (this.state === "opening") this.onOpen();
    };
    ws.onmessage = (event) => this.#onFrame(event.data);
    ws.onerror = (event) => this.onError(new TransportError("websocket error", event));
    ws.onclose = (event) => {
      if (this.markClosed()) {
        this.emitReserved("close", { description: "websocket connection closed", context: event });
      }
    };
  }

  send(packets: readonly OutgoingPacket[]): void {
    const ws = this.#ws;
    if (ws === undefined) return;
    this.writable = false;
    try {
      // `ws` (Node.js) deflates unless told not to; browsers decide alone and ignore options.
      for (const packet of packets) ws.send(encodeEnginePacket(packet), packet.options);
    } catch (err) {
      this.onError(new TransportError("websocket error", err));
      return;
    }
    // WebSocket.send only queues: consider the batch written on the next macrotask, so a
    // burst of sends is batched and listeners run after the caller's code.
    setTimeout(() => {
      if (this.state === "closed") return;
      this.writable = true;
      this.emitReserved("drain");
    }, 0);
  }

  close(): void {
    const ws = this.#ws;
    if (this.markClosed() && ws !== undefined) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.onerror = () => {};
      ws.close();
    }
  }

  #onFrame(frame: unknown): void {
    if (this.state === "closed") return;
    let packet: EnginePacket;
    try {
      packet = decodeEnginePacket(frame as string);
    } catch (err) {
      this.onError(parseError(err, frame));
      return;
    }
    this.onPacket(packet);
  }
}

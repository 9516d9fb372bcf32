import { decodePayload, type EnginePacket, encodePayload, isBlob } from "@switchboard/protocol";
import type { HttpAnswer } from "../platform/types.js";
import { parseError, TransportError } from "./errors.js";
import { Transport, type TransportState } from "./transport.js";

/** Defined (true) only when scripts/bundle.mjs builds the browser bundles; undeclared elsewhere. */
declare const SWITCHBOARD_BUNDLE: true | undefined;

/** How long a pending GET may outlive `close()` (the server answers it on the close packet). */
const CLOSE_GET_GRACE_MS = 1000;

/**
 * HTTP long-polling over `fetch` (Node.js: `node:http`): a GET is kept pending to receive, each batch of outgoing
 * packets is one POST (Engine.IO v4, "HTTP long-polling"). Binary data travels as `b` + base64.
 */
export class PollingTransport extends Transport {
  readonly name = "polling";
  #polling = false;
  #writing = false;
  #onPause: (() => void) | undefined;
  #abort = new AbortController();

  open(): void {
    this.#poll();
  }

  /** Waits for the pending GET and POST to finish, then calls `onPause` (before an upgrade). */
  pause(onPause: () => void): void {
    this.state = "pausing";
    this.#onPause = () => {
      if (this.#polling || this.#writing || this.state !== "pausing") return;
      this.state = "paused";
      this.#onPause = undefined;
      onPause();
    };
    this.#onPause();
  }

  /** Cancels a pause (the upgrade failed): polling and writing go on. */
  resume(): void {
    if (this.state !== "pausing" && this.state !== "paused") return;
    this.state = "open";
    this.#onPause = undefined;
    this.writable = !this.#writing;
    if (!this.#polling) this.#poll();
  }

  send(packets: readonly EnginePacket[]): void {
    this.writable = false;
    this.#writing = true;
    // A Blob can only be read asynchronously; the transport stays unwritable meanwhile, so
    // later packets wait and the order is kept.
    Promise.all(
      packets.map(async (p) =>
        isBlob(p.data)
          ? { ...p, data: new Uint8Array(await (p.data as unknown as Blob).arrayBuffer()) }
          : p,
      ),
    )
      .then((list) => this.#request("POST", encodePayload(list)))
      .then(
        () => {
          if (this.state === "closed") return;
          this.#writing = false;
          this.writable = true;
          this.emitReserved("drain");
          this.#onPause?.();
        },
        (err: unknown) => this.#fail(err),
      );
  }

  close(): void {
    const wasOpen = this.state !== "opening";
    if (!this.markClosed()) return;
    if (!wasOpen) {
      this.#abort.abort();
      return;
    }
    // Tell the server, so it ends the session now instead of at the next ping timeout. The
    // pending GET is left to end by itself: the server answers it when it reads the close
    // packet. Aborting it first would tear a request the server still holds, and the session
    // would end as "transport error" instead of "transport close". It is aborted if the
    // POST fails, or after CLOSE_GET_GRACE_MS if the server does not answer it.
    const abort = () => this.#abort.abort();
    const timer = setTimeout(abort, CLOSE_GET_GRACE_MS);
    if (typeof SWITCHBOARD_BUNDLE === "undefined") (timer as { unref?: () => void }).unref?.();
    this.#request("POST", "1").catch(() => {
      clearTimeout(timer);
      abort();
    });
  }

  #poll(): void {
    this.#polling = true;
    this.#request("GET").then(
      (body) => this.#onPayload(body),
      (err: unknown) => this.#fail(err),
    );
  }

  #onPayload(body: string): void {
    if (this.state === "closed") return;
    let packets: EnginePacket[];
    try {
      packets = decodePayload(body);
    } catch (err) {
      this.#fail(parseError(err, body));
      return;
    }
    for (const packet of packets) {
      if (this.state === "opening" && packet.type === "open") this.onOpen();
      if (packet.type === "close") {
        this.state = "closed";
        this.emitReserved("close", { description: "closed by the server" });
        return;
      }
      this.onPacket(packet);
      if ((this.state as TransportState) === "closed") return;
    }
    this.#polling = false;
    if (this.state === "pausing") this.#onPause?.();
    else if (this.state === "open") this.#poll();
    else if (this.state === "opening") {
      this.#fail(parseError("no open packet", body));
    }
  }

  async #request(method: "GET" | "POST", body?: string): Promise<string> {
    // a string body goes as text/plain;charset=UTF-8 (fetch's default)
    const headers = this.headers();
    const reason = method === "GET" ? "xhr poll error" : "xhr post error";
    // Node.js: node:http (the platform's pollingRequest), which also feeds the cookie jar;
    // the browser bundles fold this away, and a browser build made by a bundler has no
    // pollingRequest: fetch below (the browser keeps the cookies)
    if (typeof SWITCHBOARD_BUNDLE === "undefined" && this.opts.platform.pollingRequest) {
      let answer: HttpAnswer;
      try {
        answer = await this.opts.platform.pollingRequest(
          method,
          this.uri("http", this.opts.timestampRequests !== false),
          headers,
          body,
          method === "GET" ? this.#abort.signal : undefined,
        );
      } catch (err) {
        throw new TransportError(reason, err);
      }
      this.opts.cookieJar?.store(answer.setCookie);
      if (answer.status < 200 || answer.status > 299) {
        throw new TransportError(reason, answer.status, { body: answer.text });
      }
      return answer.text;
    }
    let response: Response;
    try {
      response = await fetch(this.uri("http", this.opts.timestampRequests !== false), {
        method,
        body,
        headers,
        credentials: this.opts.withCredentials ? "include" : undefined, // default: same-origin
        signal: method === "GET" ? this.#abort.signal : undefined,
      });
    } catch (err) {
      throw new TransportError(reason, err);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      throw new TransportError(reason, err);
    }
    if (!response.ok) throw new TransportError(reason, response.status, { body: text });
    return text;
  }

  #fail(err: unknown): void {
    this.onError(err instanceof TransportError ? err : new TransportError("xhr poll error", err));
  }
}

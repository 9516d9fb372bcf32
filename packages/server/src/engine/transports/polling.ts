import type { IncomingMessage, ServerResponse } from "node:http";
import { decodePayload, type EnginePacket } from "@switchboard/protocol";
import createDebug from "debug";
import type { HandshakeErrorCodeValue } from "../errors.js";

const debug = createDebug("switchboard:engine:polling");

/** What the polling transport needs from the HTTP side (the engine server). */
export interface PollingResponder {
  /**
   * 200 with a text payload (compressed when large and accepted), emitting "headers";
   * `bytes` is the body's UTF-8 length when the caller knows it, else -1.
   */
  writePayload(req: IncomingMessage, res: ServerResponse, body: string, bytes: number): void;
  /** 200 "ok" for a POST. */
  writeOk(req: IncomingMessage, res: ServerResponse): void;
  /** 400/403 JSON error answer. */
  abort(req: IncomingMessage, res: ServerResponse, code: HandshakeErrorCodeValue): void;
  /** 413 answer, then drops the rest of the body. */
  tooLarge(req: IncomingMessage, res: ServerResponse): void;
}

/** What the polling transport reports to its session. */
export interface PollingOwner {
  onPollingPackets(packets: EnginePacket[]): void;
  onPollingGet(): void;
  onPollingError(reason: "transport error" | "parse error", description: unknown): void;
}

/** Settings the transport reads (the server's resolved options). */
export interface PollingLimits {
  readonly maxHttpBufferSize: number;
  readonly maxPayloadPackets: number;
}

/**
 * HTTP long-polling (spec "HTTP long-polling"): at most one GET held until there is data,
 * at most one POST at a time; a second concurrent one is answered 400 and closes the session.
 */
export class PollingTransport {
  readonly name = "polling" as const;
  /** The session; set by the session's constructor. */
  owner: PollingOwner | null = null;
  #responder: PollingResponder;
  #limits: PollingLimits;
  #getReq: IncomingMessage | null = null;
  #getRes: ServerResponse | null = null;
  #posting = false;
  #closed = false;
  /** "close" listener of every held GET's response (one per transport, not per request). */
  readonly #onGetClose: (this: ServerResponse) => void;

  constructor(responder: PollingResponder, limits: PollingLimits) {
    this.#responder = responder;
    this.#limits = limits;
    const transport = this;
    this.#onGetClose = function (this: ServerResponse) {
      transport.#getResClosed(this);
    };
  }

  #getResClosed(res: ServerResponse): void {
    if (this.#getRes !== res) return;
    this.#getReq = null;
    this.#getRes = null;
    this.owner?.onPollingError("transport error", "poll connection closed prematurely");
  }

  /** A GET is held and can take a payload now. */
  get hasPendingGet(): boolean {
    return this.#getRes !== null;
  }

  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.#closed) {
      this.#responder.abort(req, res, 1);
      return;
    }
    if (req.method === "GET") this.#onGet(req, res);
    else if (req.method === "POST") this.#onPost(req, res);
    else this.#responder.abort(req, res, 3);
  }

  #onGet(req: IncomingMessage, res: ServerResponse): void {
    if (this.#getRes !== null) {
      debug("overlapping GET");
      this.#responder.abort(req, res, 3);
      this.owner?.onPollingError("transport error", "overlapping GET request");
      return;
    }
    this.#getReq = req;
    this.#getRes = res;
    res.on("close", this.#onGetClose);
    this.owner?.onPollingGet();
  }

  #onPost(req: IncomingMessage, res: ServerResponse): void {
    if (this.#posting) {
      debug("overlapping POST");
      this.#responder.abort(req, res, 3);
      this.owner?.onPollingError("transport error", "overlapping POST request");
      return;
    }
    const max = this.#limits.maxHttpBufferSize;
    const declared = Number(req.headers["content-length"]);
    if (declared > max) {
      this.#responder.tooLarge(req, res);
      this.owner?.onPollingError("transport error", "payload too large");
      return;
    }
    this.#posting = true;
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        cleanup();
        chunks.length = 0;
        this.#responder.tooLarge(req, res);
        this.owner?.onPollingError("transport error", "payload too large");
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      const text =
        chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8");
      let packets: EnginePacket[];
      try {
        packets = decodePayload(text, this.#limits.maxPayloadPackets);
      } catch (err) {
        this.#responder.abort(req, res, 3);
        this.owner?.onPollingError("parse error", err);
        return;
      }
      this.#responder.writeOk(req, res);
      this.owner?.onPollingPackets(packets);
    };
    const onAbort = () => {
      if (!this.#posting) return;
      cleanup();
      this.owner?.onPollingError("transport error", "data request closed prematurely");
    };
    const cleanup = () => {
      this.#posting = false;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onAbort);
      res.off("close", onAbort);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onAbort);
    res.on("close", onAbort);
  }

  /** Answers the held GET with a payload (`bytes`: its UTF-8 length, or -1); false when none is held. */
  write(body: string, bytes = -1): boolean {
    const req = this.#getReq;
    const res = this.#getRes;
    if (req === null || res === null) return false;
    this.#getReq = null;
    this.#getRes = null;
    this.#responder.writePayload(req, res, body, bytes);
    return true;
  }

  /** Stops the transport; a held GET gets `finalBody` (close or noop packet). */
  close(finalBody: string): void {
    if (this.#closed) return;
    this.write(finalBody);
    this.#closed = true;
  }
}
